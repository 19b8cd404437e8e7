"""Validators (each hard constraint, true/false with a reason) and the metrics report of a plan.

Grid area and perimeter come from the units: area is the sum of unit areas, perimeter the sum of
unit perimeters minus twice the boundary shared inside the grid. On a clean coverage this equals
dissolving the geometry, at the cost of a few array sums.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from gis.errors import Infeasible, Invalid
from gis.optimizer.apportion import apportion
from gis.optimizer.graph import UnitGraph, components
from gis.workload import IN, band_status


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    reason: str = ""


def grid_pieces(graph: UnitGraph, labels: NDArray[np.int64]) -> NDArray[np.int64]:
    """Every unit's connected piece of its grid (numbered over the whole graph), by rook
    adjacency: two units are in one piece when a path inside their grid joins them."""
    i, j, _ = graph.edges()
    inside = labels[i] == labels[j]
    n = graph.n
    matrix = csr_matrix((np.ones(int(inside.sum())), (i[inside], j[inside])), shape=(n, n))
    _, comp = connected_components(matrix, directed=False)
    result: NDArray[np.int64] = comp.astype(np.int64)
    return result


def grid_components(graph: UnitGraph, labels: NDArray[np.int64]) -> NDArray[np.int64]:
    """Number of connected pieces of every grid (1 = connected), by rook adjacency."""
    comp = grid_pieces(graph, labels)
    grids = labels.max() + 1 if graph.n else 0
    pieces = np.zeros(grids, dtype=np.int64)
    first_unit_of_comp = np.unique(comp, return_index=True)[1]
    np.add.at(pieces, labels[first_unit_of_comp], 1)
    return pieces


def check_all_assigned(labels: NDArray[np.int64], n: int) -> Check:
    missing = int((labels < 0).sum()) if len(labels) == n else n
    return Check("every unit in exactly one grid", missing == 0, f"{missing} unit(s) unassigned")


def check_connected(pieces: NDArray[np.int64]) -> Check:
    """``pieces``: the number of connected pieces of every grid (:func:`grid_components`)."""
    broken = np.flatnonzero(pieces > 1)
    return Check(
        "every grid connected (rook)",
        len(broken) == 0,
        f"{len(broken)} grid(s) in several pieces, e.g. grid #{broken[:5].tolist()}",
    )


def check_inside_groups(crossing: int) -> Check:
    """``crossing``: the number of grids holding units of several groups (:func:`crossings`)."""
    return Check("every grid inside one community", crossing == 0, f"{crossing} grid(s) cross")


def check_count(labels: NDArray[np.int64], target: int | None) -> Check:
    count = int(labels.max() + 1) if len(labels) else 0
    if target is None:
        return Check("grid count", True)
    return Check("grid count == target", count == target, f"{count} grids, target {target}")


def crossings(graph: UnitGraph, labels: NDArray[np.int64]) -> int:
    grids = int(labels.max() + 1) if len(labels) else 0
    pairs = np.unique(np.stack([labels, graph.groups]), axis=1)
    per_grid = np.bincount(pairs[0], minlength=grids)
    return int((per_grid > 1).sum())


def polsby_popper(graph: UnitGraph, labels: NDArray[np.int64]) -> NDArray[np.float64]:
    """4πA/P² of every grid (NaN when the input has no geometry)."""
    grids = int(labels.max() + 1)
    area = np.bincount(labels, weights=graph.area, minlength=grids)
    perimeter = np.bincount(labels, weights=graph.perimeter, minlength=grids)
    i, j, shared = graph.edges()
    inside = labels[i] == labels[j]
    perimeter -= 2 * np.bincount(labels[i[inside]], weights=shared[inside], minlength=grids)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 4 * math.pi * area / perimeter**2


@dataclass
class Report:
    """What every run reports (``--json`` prints it)."""

    units: int
    count: int
    target_count: int | None
    band: list[float] | None
    workload_total: float
    workload_mean: float
    workload_cv: float
    workload_min: float
    workload_max: float
    share_in_band: float
    band_used: list[float]
    share_within_25pct_of_mean: float
    connected_share: float
    crossings: int
    polsby_popper_mean: float | None
    polsby_popper_min: float | None
    units_moved: int | None = None
    workload_moved: float | None = None
    #: no plan with this many grids, connected and inside the same communities, can have a
    #: lower workload CV (:func:`cv_lower_bound`); ``above_bound`` = CV / bound − 1
    workload_cv_bound: float | None = None
    above_bound: float | None = None
    #: the heaviest grid over the mean grid (issue goal: ≤ 1.5 unless one unit is that heavy)
    heaviest_to_mean: float | None = None
    seconds: float = 0.0
    seed: int = 0
    checks: list[dict[str, Any]] = field(default_factory=list)
    communities_off_band: list[str] = field(default_factory=list)
    islands: list[str] = field(default_factory=list)
    heavy_units: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return all(c["ok"] for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"valid": self.valid}


def measure(
    graph: UnitGraph,
    labels: NDArray[np.int64],
    *,
    target: int | None = None,
    band: tuple[float, float] | None = None,
    previous: NDArray[np.int64] | None = None,
) -> Report:
    """Metrics and validator results of a plan. ``previous`` gives units/workload moved."""
    count = int(labels.max() + 1) if len(labels) else 0
    loads = np.bincount(labels, weights=graph.workload, minlength=count)
    mean = float(loads.mean()) if count else 0.0
    used = list(band) if band is not None else [0.75 * mean, 1.25 * mean]
    pp = polsby_popper(graph, labels)
    finite = pp[np.isfinite(pp)]
    pieces = grid_components(graph, labels)
    crossing = crossings(graph, labels)
    checks = [
        check_all_assigned(labels, graph.n),
        check_connected(pieces),
        check_inside_groups(crossing),
        check_count(labels, target),
    ]
    report = Report(
        units=graph.n,
        count=count,
        target_count=target,
        band=list(band) if band is not None else None,
        workload_total=float(loads.sum()),
        workload_mean=round(mean, 3),
        workload_cv=round(float(loads.std() / mean), 4) if mean else 0.0,
        workload_min=float(loads.min()) if count else 0.0,
        workload_max=float(loads.max()) if count else 0.0,
        share_in_band=round(float((band_status(loads, *used) == IN).mean()), 4),
        band_used=[round(x, 3) for x in used],
        share_within_25pct_of_mean=round(float((np.abs(loads - mean) <= 0.25 * mean).mean()), 4),
        connected_share=round(float((pieces == 1).mean()), 4) if count else 1.0,
        crossings=crossing,
        polsby_popper_mean=round(float(finite.mean()), 4) if len(finite) else None,
        polsby_popper_min=round(float(finite.min()), 4) if len(finite) else None,
        checks=[{"name": c.name, "ok": c.ok, "reason": "" if c.ok else c.reason} for c in checks],
    )
    bound = cv_lower_bound(graph, count)
    if bound is not None and mean:
        report.workload_cv_bound = round(bound, 4)
        report.above_bound = round(report.workload_cv / bound - 1, 4) if bound > 0 else None
        report.heaviest_to_mean = round(report.workload_max / mean, 3)
    if previous is not None:
        moved = moved_units(previous, labels)
        report.units_moved = int(moved.sum())
        report.workload_moved = float(graph.workload[moved].sum())
    return report


def cv_lower_bound(graph: UnitGraph, count: int) -> float | None:
    """A workload CV that no plan of ``count`` grids can beat, so that a county knows whether a
    better plan can exist: the larger of two bounds, each valid for every plan.

    Pieces: a grid lies inside one connected piece of one community (:func:`components`), so a
    plan gives each piece ``k_p ≥ 1`` grids (at most its units); with ``μ = W / count`` its
    squared deviations are at least those of ``k_p`` equal grids, ``k_p·(W_p/k_p − μ)²``. The
    least sum of those over the counts adding up to ``count`` is what :func:`apportion` finds
    exactly (a separable convex cost, handed out one grid at a time).

    Heavy units: that bound cuts units, so it says nothing where one unit outweighs the mean grid
    (a city county among rural ones). :func:`_heavy_unit_squares` adds what indivisibility costs.
    Either sum of squares, root-mean over the grids and divided by μ, bounds the CV from below.
    ``None`` when ``count`` cannot be apportioned.
    """
    if count < 1 or graph.n == 0:
        return None
    piece = components(graph)
    weights = np.bincount(piece, weights=graph.workload).astype(np.float64)
    sizes = np.bincount(piece).astype(np.int64)
    try:
        counts = apportion(
            weights, sizes, target=count, band=None, labels=[str(p) for p in range(len(sizes))]
        ).counts
    except (Infeasible, Invalid):
        return None
    mu = weights.sum() / count
    if mu <= 0:
        return None
    squares = float((counts * (weights / counts - mu) ** 2).sum())
    squares = max(squares, _heavy_unit_squares(graph.workload, count, mu))
    return float(math.sqrt(squares / count) / mu)


def _heavy_unit_squares(workload: NDArray[np.float64], count: int, mu: float) -> float:
    """Least sum of squared deviations any plan has because its units ≥ μ cannot be cut.

    Let ``w_1 ≥ … ≥ w_m ≥ μ`` be those units and ``L_1 ≥ … ≥ L_count`` a plan's sorted grid
    loads. The ``j`` heaviest units lie in at most ``j`` grids, so ``L_1 + … + L_j ≥ w_1 + … +
    w_j`` for ``j ≤ m``; then every partial sum of ``L`` is at least that of ``L* = (w_1, …,
    w_m, r, …, r)`` with ``r = (count·μ − Σw_i)/(count − m) ≤ μ`` (the rest of ``L`` averages at
    most ``r``), so ``L`` majorizes ``L*`` and, the sum of squares being Schur-convex, costs at
    least ``Σ(w_i − μ)² + (Σ(w_i − μ))²/(count − m)``.
    """
    heavy = workload[workload >= mu] - mu
    m = len(heavy)
    if m == 0 or m >= count:
        return 0.0
    return float((heavy**2).sum() + heavy.sum() ** 2 / (count - m))


def moved_units(previous: NDArray[np.int64], labels: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Units whose grid changed, matching each new grid to the old grid it overlaps most."""
    pairs, counts = np.unique(np.stack([labels, previous]), axis=1, return_counts=True)
    best: dict[int, int] = {}
    best_count: dict[int, int] = {}
    for (new, old), c in zip(pairs.T.tolist(), counts.tolist(), strict=True):
        if c > best_count.get(new, 0):
            best[new], best_count[new] = old, c
    matched = np.array([best[g] for g in labels.tolist()])
    changed: NDArray[np.bool_] = matched != previous
    return changed
