"""The partitioner of one piece (a connected part of one community) into k connected grids.

Method
------
1. Seeds are spread by farthest-point sampling on unit centroids (seeded, deterministic).
2. Grids grow from the seeds: the lightest grid takes the unassigned neighbour it shares the most
   boundary with, until every unit is taken (connected by construction).
3. Local search moves single boundary units, then swaps pairs across a boundary, accepting a
   change only when it lowers the objective *and* keeps both grids connected. The objective is
   scored incrementally (:class:`Objective`): balance, compactness (cut boundary length) and, when
   repairing an existing plan, a cost per unit moved away from its old grid.
4. Steps 1–3 run from several seeds; the best result wins. A repair starts from the old plan
   instead and stops as soon as it is inside the band, so a good plan is left alone.

Connectivity is never traded: a move that would split the grid it leaves is not made.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from gis.optimizer.graph import UnitGraph


@dataclass(frozen=True)
class SolverParams:
    """Knobs of the search; the defaults are tuned on the sample city (see bench/)."""

    #: 4 keeps a city-size run within 3× METIS's time; 8 buys CV 0.084 instead of 0.091 (bench/)
    restarts: int = 4
    max_passes: int = 40
    #: weight of cut boundary length (in mean unit perimeters) against squared relative imbalance
    compactness: float = 0.006
    #: cost of moving one unit away from its grid in the old plan, in the same unit
    move_cost: float = 0.02


class Objective:
    """f = Σ_g ((L_g − T)/T)² + α·cut/ℓ + β·#(units away from their old grid).

    Every method returns the change of f for a candidate step, in O(degree), so a search never
    rescores the whole plan.
    """

    def __init__(
        self,
        workload: list[float],
        target: float,
        alpha: float,
        length_scale: float,
        anchor: list[int] | None,
        beta: float,
        band: tuple[float, float] | None = None,
    ) -> None:
        self.w = workload
        # A repair only pays for load outside the band: grids inside it are left alone.
        self.band = band
        self.t = target if target > 0 else 1.0
        self.t2 = self.t * self.t
        self.alpha = alpha / length_scale if length_scale > 0 else 0.0
        self.anchor = anchor
        self.beta = beta

    def cost(self, x: float) -> float:
        if self.band is None:
            return (x - self.t) ** 2 / self.t2
        low, high = self.band
        excess = low - x if x < low else (x - high if x > high else 0.0)
        return excess * excess / self.t2

    def balance(self, load: list[float]) -> float:
        return sum(self.cost(x) for x in load)

    def move(
        self, u: int, a: int, b: int, load: list[float], shared_a: float, shared_b: float
    ) -> float:
        w = self.w[u]
        if self.band is None:
            delta = 2.0 * w * (w + load[b] - load[a]) / self.t2
        else:
            la, lb = load[a], load[b]
            delta = self.cost(la - w) + self.cost(lb + w) - self.cost(la) - self.cost(lb)
        delta += self.alpha * (shared_a - shared_b)
        if self.anchor is not None:
            if self.anchor[u] == a:
                delta += self.beta
            elif self.anchor[u] == b:
                delta -= self.beta
        return delta

    def swap_balance(self, wu: float, wv: float, la: float, lb: float) -> float:
        if self.band is None:  # closed form of the squared deviation, as for a move of wu - wv
            d = wu - wv
            return 2.0 * d * (d + lb - la) / self.t2
        new_a, new_b = la - wu + wv, lb - wv + wu
        return self.cost(new_a) + self.cost(new_b) - self.cost(la) - self.cost(lb)


class Search:
    """Mutable state of one search: labels, loads, members, with connectivity checks."""

    def __init__(
        self, nbrs: list[list[tuple[int, float]]], labels: list[int], k: int, w: list[float]
    ):
        self.nbrs = nbrs
        self.labels = labels
        self.load = [0.0] * k
        self.members: list[set[int]] = [set() for _ in range(k)]
        for u, g in enumerate(labels):
            self.load[g] += w[u]
            self.members[g].add(u)
        self.w = w

    def connected_without(self, part: int, removed: int, added: int = -1) -> bool:
        """Is ``part`` minus ``removed`` (plus ``added``) still connected?"""
        nodes = self.members[part]
        size = len(nodes) - 1 + (1 if added >= 0 else 0)
        if size <= 1:
            return size == 1
        start = added if added >= 0 else next(x for x in nodes if x != removed)
        seen = {start}
        queue = deque([start])
        while queue:
            x = queue.popleft()
            for y, _ in self.nbrs[x]:
                if y in seen or y == removed:
                    continue
                if y in nodes or y == added:
                    seen.add(y)
                    queue.append(y)
        return len(seen) == size

    def shared_by_part(self, u: int) -> dict[int, float]:
        shared: dict[int, float] = {}
        for v, length in self.nbrs[u]:
            g = self.labels[v]
            shared[g] = shared.get(g, 0.0) + length
        return shared

    def apply(self, u: int, b: int) -> None:
        a = self.labels[u]
        self.members[a].discard(u)
        self.members[b].add(u)
        self.load[a] -= self.w[u]
        self.load[b] += self.w[u]
        self.labels[u] = b


def _hops(nbrs: list[list[tuple[int, float]]], source: int) -> list[int]:
    dist = [-1] * len(nbrs)
    dist[source] = 0
    queue = deque([source])
    while queue:
        x = queue.popleft()
        for y, _ in nbrs[x]:
            if dist[y] < 0:
                dist[y] = dist[x] + 1
                queue.append(y)
    return dist


def _seeds(nbrs: list[list[tuple[int, float]]], k: int, rng: np.random.Generator) -> list[int]:
    """Farthest-point sampling in graph hops from a random first seed.

    Hops rather than metres so that graph inputs without geometry are seeded the same way; the
    pick among the few farthest units is random so that restarts differ.
    """
    n = len(nbrs)
    seeds = [int(rng.integers(n))]
    dist = _hops(nbrs, seeds[0])
    while len(seeds) < k:
        far = max(dist)
        candidates = [i for i, d in enumerate(dist) if d >= far - 1 and i not in seeds]
        nxt = candidates[int(rng.integers(len(candidates)))]
        seeds.append(nxt)
        dist = [min(a, b) for a, b in zip(dist, _hops(nbrs, nxt), strict=True)]
    return seeds


def _grow(nbrs: list[list[tuple[int, float]]], w: list[float], seeds: list[int]) -> list[int]:
    """Grow grids from seeds, the lightest first, each taking its best-attached neighbour."""
    n = len(nbrs)
    labels = [-1] * n
    load = [0.0] * len(seeds)
    frontier: list[dict[int, float]] = [{} for _ in seeds]
    for g, s in enumerate(seeds):
        labels[s] = g
        load[g] = w[s]
    for g, s in enumerate(seeds):
        for v, length in nbrs[s]:
            if labels[v] < 0:
                frontier[g][v] = frontier[g].get(v, 0.0) + length
    remaining = n - len(seeds)
    active = set(range(len(seeds)))
    while remaining > 0:
        g = min(active, key=lambda p: (load[p], p))
        options = {v: s for v, s in frontier[g].items() if labels[v] < 0}
        frontier[g] = options
        if not options:
            active.discard(g)
            if not active:  # cannot happen in a connected piece; be safe anyway
                raise RuntimeError("growth stalled: the piece is not connected")
            continue
        v = max(options, key=lambda x: (options[x], -x))
        labels[v] = g
        load[g] += w[v]
        remaining -= 1
        del frontier[g][v]
        for y, length in nbrs[v]:
            if labels[y] < 0:
                frontier[g][y] = frontier[g].get(y, 0.0) + length
    return labels


def _local_search(
    state: Search,
    objective: Objective,
    rng: np.random.Generator,
    params: SolverParams,
    stop_when_in_band: tuple[float, float] | None,
) -> None:
    n = len(state.labels)
    eps = 1e-12
    for _ in range(params.max_passes):
        if stop_when_in_band is not None:
            low, high = stop_when_in_band
            if all(low <= x <= high for x in state.load):
                return
        improved = False
        for u in rng.permutation(n).tolist():
            a = state.labels[u]
            if len(state.members[a]) == 1:
                continue
            shared = state.shared_by_part(u)
            if len(shared) == 1 and a in shared:
                continue
            best_b, best_delta = -1, -eps
            sa = shared.get(a, 0.0)
            for b, sb in shared.items():
                if b == a:
                    continue
                delta = objective.move(u, a, b, state.load, sa, sb)
                if delta < best_delta:
                    best_b, best_delta = b, delta
            if best_b >= 0 and state.connected_without(a, u):
                state.apply(u, best_b)
                improved = True
        if _swap_pass(state, objective, rng):
            improved = True
        if not improved:
            return


def _swap_pass(state: Search, objective: Objective, rng: np.random.Generator) -> bool:
    """Exchange two units across a grid boundary when that balances better than any move."""
    improved = False
    labels, w = state.labels, state.w
    for u in rng.permutation(len(labels)).tolist():
        a = labels[u]
        for v, _ in state.nbrs[u]:
            b = labels[v]
            if b == a or len(state.members[a]) == 1 or len(state.members[b]) == 1:
                continue
            delta = objective.swap_balance(w[u], w[v], state.load[a], state.load[b])
            if delta >= -1e-9:
                continue
            delta += objective.alpha * _swap_cut_delta(state, u, v, a, b)
            if objective.anchor is not None:
                anchor = objective.anchor
                delta += objective.beta * (
                    (anchor[u] == a) - (anchor[u] == b) + (anchor[v] == b) - (anchor[v] == a)
                )
            if delta >= -1e-9:
                continue
            if not (state.connected_without(a, u, v) and state.connected_without(b, v, u)):
                continue
            state.apply(u, b)
            state.apply(v, a)
            improved = True
            break
    return improved


def _swap_cut_delta(state: Search, u: int, v: int, a: int, b: int) -> float:
    labels = state.labels
    delta = 0.0
    for x, length in state.nbrs[u]:
        if x == v:
            continue
        delta += length * ((labels[x] != b) - (labels[x] != a))
    for x, length in state.nbrs[v]:
        if x == u:
            continue
        delta += length * ((labels[x] != a) - (labels[x] != b))
    return delta


def _canonical(labels: list[int]) -> NDArray[np.int64]:
    """Number grids in order of their first unit, so equal plans have equal labels."""
    mapping: dict[int, int] = {}
    out = np.empty(len(labels), dtype=np.int64)
    for i, g in enumerate(labels):
        out[i] = mapping.setdefault(g, len(mapping))
    return out


def adjacency_lists(graph: UnitGraph) -> list[list[tuple[int, float]]]:
    indptr, indices, shared = graph.indptr.tolist(), graph.indices.tolist(), graph.cut_cost.tolist()
    return [
        list(
            zip(indices[indptr[i] : indptr[i + 1]], shared[indptr[i] : indptr[i + 1]], strict=True)
        )
        for i in range(graph.n)
    ]


def partition_piece(
    graph: UnitGraph,
    k: int,
    seed: int,
    *,
    params: SolverParams | None = None,
    initial: NDArray[np.int64] | None = None,
    band: tuple[float, float] | None = None,
) -> NDArray[np.int64]:
    """Labels 0..k-1 for the units of a connected piece, every grid connected.

    ``initial`` (an existing plan with exactly k grids, each connected) turns the search into a
    repair: it starts there, pays for every unit it moves, and stops once all grids are in
    ``band``.
    """
    params = params or SolverParams()
    n = graph.n
    if k <= 1:
        return np.zeros(n, dtype=np.int64)
    if k >= n:
        return np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(seed)
    nbrs = adjacency_lists(graph)
    w = graph.workload.tolist()
    target = float(graph.workload.sum()) / k
    perimeters = graph.perimeter[np.isfinite(graph.perimeter)]
    scale = (
        float(perimeters.mean())
        if len(perimeters)
        else float(np.mean(graph.shared) if len(graph.shared) else 1.0)
    )

    if initial is not None:
        anchor = _canonical(initial.tolist()).tolist()
        objective = Objective(
            w, target, params.compactness, scale, anchor, params.move_cost, band=band
        )
        state = Search(nbrs, list(anchor), k, w)
        _local_search(state, objective, rng, params, stop_when_in_band=band)
        return _canonical(state.labels)

    objective = Objective(w, target, params.compactness, scale, None, 0.0)
    best: tuple[float, list[int]] | None = None
    for _ in range(params.restarts):
        labels = _grow(nbrs, w, _seeds(nbrs, k, rng))
        state = Search(nbrs, labels, k, w)
        _local_search(state, objective, rng, params, stop_when_in_band=None)
        score = objective.balance(state.load) + objective.alpha * _cut(nbrs, state.labels)
        if best is None or score < best[0] - 1e-12:
            best = (score, list(state.labels))
    assert best is not None
    return _canonical(best[1])


def _cut(nbrs: list[list[tuple[int, float]]], labels: list[int]) -> float:
    return sum(
        length
        for u, row in enumerate(nbrs)
        for v, length in row
        if u < v and labels[u] != labels[v]
    )
