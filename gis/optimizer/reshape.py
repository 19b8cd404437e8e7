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

from gis.optimizer.graph import UnitGraph
from gis.optimizer.solver import partition_piece


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


def merge_down(graph: UnitGraph, labels: NDArray[np.int64], count: int) -> NDArray[np.int64]:
    """Merge the lightest grid into its lightest neighbour until ``count`` grids are left.

    Labels keep their numbers (a merged grid's number just disappears). A grid with no neighbour
    (an island) is never merged, so fewer merges than asked may happen.
    """
    labels = labels.copy()
    i, j, _ = graph.edges()
    while len(np.unique(labels)) > count:
        alive = np.unique(labels)
        load = np.bincount(labels, weights=graph.workload, minlength=int(alive.max()) + 1)
        a, b = labels[i], labels[j]
        cross = a != b
        pairs = np.unique(np.stack([a[cross], b[cross]], axis=1), axis=0)
        if not len(pairs):
            break
        lightest = min(alive[np.isin(alive, pairs[:, 0])], key=lambda g: (load[g], g))
        near = pairs[pairs[:, 0] == lightest, 1]
        into = min(near.tolist(), key=lambda g: (load[g], g))
        labels[labels == lightest] = into
    return labels


def split_up(
    graph: UnitGraph, labels: NDArray[np.int64], count: int, seed: int
) -> NDArray[np.int64]:
    """Split the heaviest grid in two (the optimizer's own partitioner on its units) until there
    are ``count`` grids; new grids get new numbers. A one-unit grid cannot be split."""
    labels = labels.copy()
    while len(np.unique(labels)) < count:
        load = np.bincount(labels, weights=graph.workload)
        sizes = np.bincount(labels)
        splittable = np.flatnonzero(sizes > 1)
        if not len(splittable):
            break
        heaviest = int(splittable[np.argmax(load[splittable])])
        members = np.flatnonzero(labels == heaviest)
        try:
            halves = partition_piece(graph.subgraph(members), 2, seed)
        except RuntimeError:  # a grid already in pieces: leave it to the planner
            break
        labels[members[halves == 1]] = int(labels.max()) + 1
    return labels


def reshape(
    graph: UnitGraph, labels: NDArray[np.int64], count: int, seed: int
) -> NDArray[np.int64] | None:
    """The plan brought to ``count`` grids by merges or splits, numbered 0..count-1; None when it
    cannot get there (islands that cannot merge, one-unit grids that cannot split)."""
    current = len(np.unique(labels))
    if count < current:
        labels = merge_down(graph, labels, count)
    elif count > current:
        labels = split_up(graph, labels, count, seed)
    numbers, compact = np.unique(labels, return_inverse=True)
    if len(numbers) != count:
        return None
    result: NDArray[np.int64] = compact.astype(np.int64)
    return result
