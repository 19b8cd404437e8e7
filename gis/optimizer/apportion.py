"""How many grids each community (each connected piece of one) gets.

With a target count K, the K grids are shared out in proportion to workload: we minimise
Σ_c k_c·(W_c/k_c − μ)² with μ = W/K, which for this separable convex cost is solved exactly by
handing out grids one at a time to the piece whose cost falls most. With a band, each piece's count
is clamped to its feasible range [ceil(W/high), floor(W/low)]; a piece whose range is empty (too
light for one grid, or holding a unit heavier than the band) gets the count closest to the band and
is named in the report.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from gis.errors import Infeasible, Invalid


@dataclass(frozen=True)
class Apportionment:
    counts: NDArray[np.int64]
    #: piece index → why it cannot meet the band
    notes: dict[int, str]


def band_range(weight: float, size: int, band: tuple[float, float]) -> tuple[int, int]:
    low, high = band
    lo = max(1, math.ceil(weight / high))
    hi = min(size, math.floor(weight / low)) if low > 0 else size
    return lo, hi


def _closest_to_band(weight: float, size: int, band: tuple[float, float]) -> int:
    """The count whose mean grid is nearest the band (used when no count fits it)."""
    low, high = band
    candidates = range(1, size + 1)

    def distance(k: int) -> float:
        mean = weight / k
        return max(low - mean, mean - high, 0.0)

    return min(candidates, key=lambda k: (distance(k), k))


def apportion(
    weights: NDArray[np.float64],
    sizes: NDArray[np.int64],
    *,
    target: int | None,
    band: tuple[float, float] | None,
    labels: list[str],
) -> Apportionment:
    """Grid counts per piece; ``labels`` name the pieces in errors and notes."""
    if target is None and band is None:
        raise Invalid(
            "请给出目标网格数（--target-count K）或工作量区间（--band"
            " LOW:HIGH） ("
            "give a target count (--target-count K) or a band (--band LOW:HIGH))"
        )
    if band is not None and not (0 <= band[0] < band[1]):
        raise Invalid(
            f"工作量区间 {band[0]:g}:{band[1]:g} 为空：LOW 须小于 HIGH"
            " ("
            f"the band {band[0]:g}:{band[1]:g} is empty: LOW must be below HIGH)"
        )
    pieces = len(weights)
    lower = np.ones(pieces, dtype=np.int64)
    upper = sizes.astype(np.int64).copy()
    notes: dict[int, str] = {}
    if band is not None:
        for p in range(pieces):
            lo, hi = band_range(float(weights[p]), int(sizes[p]), band)
            if lo <= hi:
                lower[p], upper[p] = lo, hi
                continue
            k = _closest_to_band(float(weights[p]), int(sizes[p]), band)
            lower[p] = upper[p] = k
            mean = weights[p] / k
            notes[p] = (
                f"{labels[p]}: workload {weights[p]:.0f} in {sizes[p]} unit(s) cannot be cut into "
                f"grids inside {band[0]:g}–{band[1]:g}; {k} grid(s) of mean {mean:.0f}"
            )
        if len(notes) == pieces:
            raise Infeasible(
                f"没有社区能满足工作量区间 {band[0]:g}:{band[1]:g}：请对照"
                f"工作量检查区间（{pieces} 个社区共 {weights.sum():.0f}） "
                "("
                f"no community can meet the band {band[0]:g}:{band[1]:g}; check the band against "
                f"the workload (total {weights.sum():.0f} in {pieces} communit(ies)))"
            )
    if target is None:
        assert band is not None
        mid = (band[0] + band[1]) / 2

        def best_count(p: int) -> int:
            def spread(k: int) -> tuple[float, int]:
                return (k * (float(weights[p]) / k - mid) ** 2, k)

            return min(range(int(lower[p]), int(upper[p]) + 1), key=spread)

        counts = np.array(
            [best_count(p) for p in range(pieces)],
            dtype=np.int64,
        )
        return Apportionment(counts, notes)

    total_units = int(sizes.sum())
    if target > total_units:
        raise Infeasible(
            f"目标网格数 {target} 大于单元数（{total_units}） ("
            f"target count {target} is larger than the number of units ({total_units}))"
        )
    if target < int(lower.sum()):
        raise Infeasible(
            f"目标网格数 {target} 小于 {pieces} 个社区/片区至少需要的 {int(lower.sum())} 个网格 ("
            f"target count {target} is smaller than the {int(lower.sum())} grids the "
            f"{pieces} communit(ies)/pieces need at least"
            + (" inside the band" if band is not None and lower.sum() > pieces else "")
            + ")"
        )
    if target > int(upper.sum()):
        raise Infeasible(
            f"目标网格数 {target} 大于各社区最多能容纳的 {int(upper.sum())} 个网格 ("
            f"target count {target} is larger than the {int(upper.sum())} grids the communities "
            "can hold" + (" inside the band" if band is not None else "") + ")"
        )
    mu = float(weights.sum()) / target
    counts = lower.copy()

    def gain(p: int) -> float:  # cost change of giving piece p one more grid (negative = better)
        k = counts[p]
        return float(mu * mu - weights[p] ** 2 / (k * (k + 1)))

    heap = [(gain(p), p) for p in range(pieces) if counts[p] < upper[p]]
    heapq.heapify(heap)
    for _ in range(target - int(counts.sum())):
        _, p = heapq.heappop(heap)
        counts[p] += 1
        if counts[p] < upper[p]:
            heapq.heappush(heap, (gain(p), p))
    return Apportionment(counts, notes)
