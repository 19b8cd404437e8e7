"""Change the number of grids of a plan by merging or splitting whole neighbouring grids.

When an area's total workload cannot fit its grids into the band (17 grids for 3,848 households
can never all reach 300), moving boundary units cannot help; the few moves that can are merging
a light grid into a neighbour, or splitting a heavy grid in two. Both keep every other grid as it
is, so a repair that starts here moves far fewer units than re-partitioning the area.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from gis.optimizer.chains import eject
from gis.optimizer.graph import UnitGraph
from gis.optimizer.metrics import moved_units
from gis.optimizer.solver import SolverParams, partition_piece
from gis.workload import IN, UNDER, band_status


def target_count(
    total: float, count: int, band: tuple[float, float], *, middle: bool = False
) -> int:
    """The grid count nearest ``count`` at which every grid could be in the band; with
    ``middle``, the count whose mean grid sits nearest the band's middle (more merges or splits,
    but room for units that come in lumps).

    When no count fits (550 households and a 300–500 band), the count nearest the band's middle.
    """
    low, high = band
    if total <= 0:
        return max(count, 1)
    fewest = max(1, math.ceil(total / high)) if high > 0 else count
    most = math.floor(total / low) if low > 0 else count
    centre = max(1, round(total / ((low + high) / 2)))
    if fewest > most:
        return centre
    return min(max(centre if middle else count, fewest), most)


def merge_down(
    graph: UnitGraph,
    labels: NDArray[np.int64],
    count: int,
    band: tuple[float, float] | None = None,
) -> NDArray[np.int64]:
    """Merge neighbouring grids until ``count`` grids are left.

    With ``band``, each merge takes the pair of neighbours, one of them below the band, whose
    union lands in the band and moves fewest units (the smaller grid's); otherwise, and when no
    pair lands in the band, the lightest grid goes into its lightest neighbour. Two light
    neighbours merged into one grid in the band fix two grids at the cost of the smaller one,
    where the lightest-into-lightest rule can leave a union still light, to be merged again.
    Labels keep their numbers (a merged grid's number just disappears). A grid with no neighbour
    (an island) is never merged, so fewer merges than asked may happen.
    """
    labels = labels.copy()
    i, j, _ = graph.edges()
    while len(np.unique(labels)) > count:
        alive = np.unique(labels)
        load = np.bincount(labels, weights=graph.workload, minlength=int(alive.max()) + 1)
        size = np.bincount(labels, minlength=int(alive.max()) + 1)
        a, b = labels[i], labels[j]
        cross = a != b
        pairs = np.unique(np.stack([a[cross], b[cross]], axis=1), axis=0)
        if not len(pairs):
            break
        gone, into = -1, -1
        if band is not None:
            union = load[pairs[:, 0]] + load[pairs[:, 1]]
            fits = (
                (band_status(union, *band) == IN)
                & (band_status(load[pairs[:, 0]], *band) == UNDER)
                & (size[pairs[:, 0]] <= size[pairs[:, 1]])
            )
            if fits.any():
                centre = (band[0] + band[1]) / 2
                x, y = pairs[fits, 0], pairs[fits, 1]
                order = np.lexsort((y, x, np.abs(union[fits] - centre), size[x]))
                gone, into = int(x[order[0]]), int(y[order[0]])
        if gone < 0:
            gone = min(alive[np.isin(alive, pairs[:, 0])], key=lambda g: (load[g], g))
            near = pairs[pairs[:, 0] == gone, 1]
            into = min(near.tolist(), key=lambda g: (load[g], g))
        labels[labels == gone] = into
    return labels


def split_up(
    graph: UnitGraph,
    labels: NDArray[np.int64],
    count: int,
    seed: int,
    band: tuple[float, float] | None = None,
) -> NDArray[np.int64]:
    """Split the heaviest grid in two (the optimizer's own partitioner on its units, the halves
    brought into ``band`` where they can be) until there are ``count`` grids; new grids get new
    numbers. A one-unit grid cannot be split."""
    labels = labels.copy()
    while len(np.unique(labels)) < count:
        load = np.bincount(labels, weights=graph.workload)
        sizes = np.bincount(labels)
        splittable = np.flatnonzero(sizes > 1)
        if not len(splittable):
            break
        heaviest = int(splittable[np.argmax(load[splittable])])
        halves = _halved(graph, labels, heaviest, seed, band)
        if not halves:  # a grid already in pieces: leave it to the planner
            break
        labels = halves[0]
    return labels


def reshape(
    graph: UnitGraph,
    labels: NDArray[np.int64],
    count: int,
    seed: int,
    band: tuple[float, float] | None = None,
) -> NDArray[np.int64] | None:
    """The plan brought to ``count`` grids by merges or splits, numbered 0..count-1; None when it
    cannot get there (islands that cannot merge, one-unit grids that cannot split)."""
    current = len(np.unique(labels))
    if count < current:
        labels = merge_down(graph, labels, count, band)
    elif count > current:
        labels = split_up(graph, labels, count, seed, band)
    numbers, compact = np.unique(labels, return_inverse=True)
    if len(numbers) != count:
        return None
    result: NDArray[np.int64] = compact.astype(np.int64)
    return result


def _off(graph: UnitGraph, labels: NDArray[np.int64], band: tuple[float, float]) -> int:
    load = np.bincount(labels, weights=graph.workload)
    return int((band_status(load, *band) != IN).sum())


def _merged(graph: UnitGraph, labels: NDArray[np.int64], light: int) -> list[NDArray[np.int64]]:
    """The plan with grid ``light`` merged into each of its neighbours in turn."""
    i, j, _ = graph.edges()
    near = np.unique(np.concatenate([labels[j[labels[i] == light]], labels[i[labels[j] == light]]]))
    out = []
    for into in near[near != light].tolist():
        merged = labels.copy()
        merged[merged == light] = into
        out.append(np.unique(merged, return_inverse=True)[1].astype(np.int64))
    return out


def _halved(
    graph: UnitGraph, labels: NDArray[np.int64], heavy: int, seed: int,
    band: tuple[float, float] | None = None,
) -> list[NDArray[np.int64]]:  # fmt: skip
    """The plan with grid ``heavy`` cut in two, both halves in ``band`` where units allow (units
    passed between the halves stay in the old grid's place: they cost no move)."""
    members = np.flatnonzero(labels == heavy)
    if len(members) < 2:
        return []
    inside = graph.subgraph(members)
    try:
        halves = partition_piece(inside, 2, seed)
    except RuntimeError:
        return []
    if band is not None and len(members) > 2:
        halves = partition_piece(
            inside, 2, seed, params=SolverParams(move_cost=0.0), initial=halves, band=band
        )
    split = labels.copy()
    split[members[halves == 1]] = int(labels.max()) + 1
    return [split]


def split_heavy(
    graph: UnitGraph, labels: NDArray[np.int64], band: tuple[float, float], most: int, seed: int
) -> NDArray[np.int64]:
    """Every grid heavy enough for two grids in the band (≥ twice its low end) cut in two, the
    heaviest first, while the count stays within ``most``, where both halves land in the band.
    Each unit stays in its old grid's place, so this moves nothing; chains could only pass such
    a surplus on unit by unit."""
    load = np.bincount(labels, weights=graph.workload)
    count = len(load)
    for g in np.argsort(-load, kind="stable").tolist():
        if count >= most or load[g] < 2 * band[0]:
            break
        for split in _halved(graph, labels, g, seed, band):
            halves = np.bincount(split, weights=graph.workload)[[g, -1]]
            if (band_status(halves, *band) == IN).all():
                labels, count = split, count + 1
    return labels


def mend(
    graph: UnitGraph,
    labels: NDArray[np.int64],
    band: tuple[float, float],
    counts: tuple[int, int],
    seed: int,
    steps: int = 3,
) -> NDArray[np.int64]:
    """Ejection chains (:func:`gis.optimizer.chains.eject`), then — while grids stay off the band
    and the count may change within ``counts`` — one grid fewer (an off-band light grid merged
    into the neighbour that leaves fewest grids off after chains) or one more (an off-band heavy
    grid split in two), each tried and the one that leaves fewest grids off and moves fewest
    units kept. A piece whose count sits at the edge of what the band allows (14 grids for 4,500
    households against 300–500) is where units come in lumps that no chain can pass: one merge
    there frees room for every grid."""

    def key(plan: NDArray[np.int64]) -> tuple[int, int]:
        return _off(graph, plan, band), int(moved_units(labels, plan).sum())

    current = eject(graph, split_heavy(graph, labels, band, counts[1], seed), band)
    best, best_key = current, key(current)
    low, high = band
    for _ in range(steps):
        load = np.bincount(current, weights=graph.workload)
        k = len(load)
        options: list[NDArray[np.int64]] = []
        merge = load.mean() < (low + high) / 2
        if best_key[0] == 0:
            break  # a grid more or less is a change of its own, made only to reach the band
        if merge and k - 1 >= counts[0]:
            for g in np.argsort(load, kind="stable")[: max(3, int((load < low).sum()))].tolist():
                options.extend(_merged(graph, current, g))
        elif not merge and k + 1 <= counts[1]:
            for g in np.argsort(-load, kind="stable")[: max(3, int((load > high).sum()))].tolist():
                options.extend(_halved(graph, current, g, seed, band))
        if not options:
            break
        tried = [eject(graph, option, band) for option in options]
        step_key, n = min((key(plan), n) for n, plan in enumerate(tried))
        current = tried[n]
        if step_key < best_key:
            best, best_key = current, step_key
    result: NDArray[np.int64] = np.unique(best, return_inverse=True)[1].astype(np.int64)
    return result
