"""Rook adjacency of a polygon partition: who shares a boundary with whom, and how long it is.

Measuring every candidate pair's shared boundary with ``shapely.intersection`` costs ~50 µs a
pair: 57 s of 71 s for a province-sized input of 176,000 units (1.2 million candidate pairs),
171 s for 760,000. In a partition, neighbours almost always share their boundary vertex for
vertex, so the shared boundary is the set of ring segments that both polygons have. Those are
found by sorting: every ring segment, its end points snapped and put in order, is a key; a key
that two polygons hold is a piece of their common boundary. That is a few sorts of numpy arrays.

Only where vertices do not match — a T-junction (one polygon's vertex in the middle of its
neighbour's edge: common where departments drew their lines separately) or overlapping rings —
does a segment stay unmatched. Pairs of polygons that *both* have an unmatched segment are
measured the exact way, with ``shapely.intersection`` of their snapped boundaries, and that
measurement replaces what the segments said. A polygon whose every segment is matched shares
exactly those segments with its neighbours, so nothing is missed: the result is the one the
exact way gives for every pair (tests/test_optimizer.py compares them).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely
from numpy.typing import NDArray

#: Maps an (n, 2) array of coordinates to another CRS (e.g. degrees → metres).
Project = Callable[[NDArray[np.float64]], NDArray[np.float64]]

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Pairs = tuple[Ints, Ints, Floats, Floats]
#: :data:`Pairs` and which polygons have every ring segment matched.
Matched = tuple[Ints, Ints, Floats, Floats, NDArray[np.bool_]]


def rook_adjacency(
    geoms: NDArray[np.object_], *, snap: float = 0.0, project: Project | None = None
) -> Pairs:
    """Pairs ``i < j`` of polygons whose boundaries meet, with the length of what they share.

    Returns ``(i, j, length, projected_length)``: lengths in the geometries' CRS and, with
    ``project``, in the CRS it maps to (else the same). Coordinates are snapped to ``snap``
    first (as :func:`shapely.set_precision` would), so that vertices a rounding apart count as
    one. Pairs that meet only at a point have length 0: the caller decides what is rook.
    """
    n = len(geoms)
    seg_a, seg_b, owner = _segments(geoms, snap)
    i, j, length, projected, complete = _matched(seg_a, seg_b, owner, n, project)
    ri, rj, rlen, rproj = _measured(geoms, ~complete, snap, project)
    if len(ri):
        redo = np.isin(i * n + j, ri * n + rj)
        i, j = np.concatenate([i[~redo], ri]), np.concatenate([j[~redo], rj])
        length = np.concatenate([length[~redo], rlen])
        projected = np.concatenate([projected[~redo], rproj])
    return i, j, length, projected


def _segments(
    geoms: NDArray[np.object_], snap: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """Every ring segment as (start, end) coordinates, snapped, and the polygon it belongs to."""
    parts, owner_of_part = shapely.get_parts(shapely.boundary(geoms), return_index=True)
    coords, part = shapely.get_coordinates(parts, return_index=True)
    if snap > 0:
        coords = np.round(coords / snap) * snap
    same = part[:-1] == part[1:]
    start, end = coords[:-1][same], coords[1:][same]
    owner = owner_of_part[part[:-1][same]].astype(np.int64)
    moving = np.any(start != end, axis=1)  # snapping can collapse a segment to a point
    return start[moving], end[moving], owner[moving]


def _matched(
    start: NDArray[np.float64],
    end: NDArray[np.float64],
    owner: NDArray[np.int64],
    n: int,
    project: Project | None,
) -> Matched:
    """Segments held by exactly two polygons, summed per pair; and which polygons have every
    segment matched (``complete``)."""
    flip = (start[:, 0] > end[:, 0]) | ((start[:, 0] == end[:, 0]) & (start[:, 1] > end[:, 1]))
    low = np.where(flip[:, None], end, start)
    high = np.where(flip[:, None], start, end)
    order = np.lexsort((high[:, 1], high[:, 0], low[:, 1], low[:, 0]))
    key = np.column_stack([low, high])[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = np.any(key[1:] != key[:-1], axis=1)
    run = np.cumsum(first) - 1
    size = np.bincount(run)[run]
    ordered_owner = owner[order]
    # A run of two from two polygons is a shared piece; anything else (a segment of one
    # polygon only, three or more holders, a ring touching itself) is left to the exact way.
    pair_first = first & (size == 2)
    pair_first[pair_first] &= (
        ordered_owner[np.flatnonzero(pair_first) + 1] != ordered_owner[pair_first]
    )
    matched_sorted = pair_first.copy()
    matched_sorted[np.flatnonzero(pair_first) + 1] = True
    complete = np.ones(n, dtype=bool)
    complete[ordered_owner[~matched_sorted]] = False

    at = np.flatnonzero(pair_first)
    p, q = ordered_owner[at], ordered_owner[at + 1]
    i, j = np.minimum(p, q), np.maximum(p, q)
    a, b = key[at, :2], key[at, 2:]
    length = np.hypot(*(b - a).T)
    projected = np.hypot(*(project(b) - project(a)).T) if project else length
    codes, inverse = np.unique(i * n + j, return_inverse=True)
    return (
        (codes // n).astype(np.int64),
        (codes % n).astype(np.int64),
        np.bincount(inverse, weights=length, minlength=len(codes)).astype(np.float64),
        np.bincount(inverse, weights=projected, minlength=len(codes)).astype(np.float64),
        complete,
    )


def _measured(
    geoms: NDArray[np.object_], incomplete: NDArray[np.bool_], snap: float, project: Project | None
) -> Pairs:
    """The exact way, for pairs of polygons that both have an unmatched segment."""
    which = np.flatnonzero(incomplete)
    empty = np.zeros(0, dtype=np.int64)
    if len(which) < 2:
        return empty, empty, np.zeros(0), np.zeros(0)
    subset = shapely.set_precision(geoms[which], snap) if snap > 0 else geoms[which]
    left, right = shapely.STRtree(subset).query(subset, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    boundary = shapely.boundary(subset)
    lines = shapely.intersection(boundary[left], boundary[right])
    length = shapely.length(lines)
    projected = shapely.length(shapely.transform(lines, project)) if project else length
    return which[left].astype(np.int64), which[right].astype(np.int64), length, projected
