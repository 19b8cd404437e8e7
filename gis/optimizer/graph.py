"""The unit graph the optimizer works on: units, workload, groups and rook adjacency.

Rook adjacency means a shared boundary of positive length: two blocks that touch only at a corner
are not neighbours, because a grid worker cannot walk from one to the other without leaving the
grid. Shared lengths (in metres) are kept: they drive compactness, and with unit areas and
perimeters they give every grid's Polsby–Popper score without dissolving any geometry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer

from gis.errors import Invalid
from gis.infra.settings import MIN_SHARED_M
from gis.optimizer.adjacency import Project, rook_adjacency


@dataclass(frozen=True)
class UnitGraph:
    """Units 0..n-1 with their attributes and a symmetric CSR adjacency.

    ``indptr``/``indices``/``shared`` are the CSR arrays: the neighbours of unit ``i`` are
    ``indices[indptr[i]:indptr[i+1]]`` and the boundary length shared with each is ``shared[…]``.
    ``area`` and ``perimeter`` are in m² and m (NaN when the input had no geometry).
    """

    ids: NDArray[np.object_]
    workload: NDArray[np.float64]
    groups: NDArray[np.int64]
    group_names: NDArray[np.object_]
    indptr: NDArray[np.int64]
    indices: NDArray[np.int64]
    shared: NDArray[np.float64]
    area: NDArray[np.float64]
    perimeter: NDArray[np.float64]
    centroids: NDArray[np.float64] = field(repr=False)
    #: What cutting each edge costs the search, per CSR entry like ``shared``; None: its length.
    #: Boundary clarity (:mod:`gis.optimizer.clarity`) makes a cut along a road cheaper than one
    #: through a block; the measures of a plan (compactness) always use the true ``shared``.
    cut: NDArray[np.float64] | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return len(self.ids)

    def neighbours(self, i: int) -> NDArray[np.int64]:
        return self.indices[self.indptr[i] : self.indptr[i + 1]]

    @property
    def cut_cost(self) -> NDArray[np.float64]:
        """The cost of cutting each CSR entry's edge (its length unless weighed otherwise)."""
        return self.shared if self.cut is None else self.cut

    def edges(self) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
        """Each undirected edge once: (i, j, shared length) with i < j."""
        rows = np.repeat(np.arange(self.n), np.diff(self.indptr))
        keep = rows < self.indices
        return rows[keep], self.indices[keep], self.shared[keep]

    def edge_cuts(self) -> NDArray[np.float64] | None:
        """The cut cost of each edge, in the order of :meth:`edges` (None when unweighed)."""
        if self.cut is None:
            return None
        rows = np.repeat(np.arange(self.n), np.diff(self.indptr))
        return self.cut[rows < self.indices]

    def subgraph(self, members: NDArray[np.int64]) -> UnitGraph:
        """The units ``members`` (global indices) with the edges among them only."""
        local = np.full(self.n, -1, dtype=np.int64)
        local[members] = np.arange(len(members))
        i, j, length = self.edges()
        cuts = self.edge_cuts()
        keep = (local[i] >= 0) & (local[j] >= 0)
        return from_edges(
            ids=self.ids[members],
            workload=self.workload[members],
            groups=self.groups[members],
            group_names=self.group_names,
            edge_i=local[i[keep]],
            edge_j=local[j[keep]],
            shared=length[keep],
            area=self.area[members],
            perimeter=self.perimeter[members],
            centroids=self.centroids[members],
            cut=None if cuts is None else cuts[keep],
        )


def split(graph: UnitGraph, members: list[NDArray[np.int64]]) -> list[UnitGraph]:
    """The subgraphs of disjoint unit sets, in one pass over the edges (not one per set)."""
    piece = np.full(graph.n, -1, dtype=np.int64)
    local = np.zeros(graph.n, dtype=np.int64)
    for p, m in enumerate(members):
        piece[m] = p
        local[m] = np.arange(len(m))
    i, j, length = graph.edges()
    cuts = graph.edge_cuts()
    cut = length if cuts is None else cuts
    inside = (piece[i] >= 0) & (piece[i] == piece[j])
    i, j, length, cut = i[inside], j[inside], length[inside], cut[inside]
    order = np.argsort(piece[i], kind="stable")
    i, j, length, cut = i[order], j[order], length[order], cut[order]
    bounds = np.searchsorted(piece[i], np.arange(len(members) + 1))
    out = []
    for p, m in enumerate(members):
        lo, hi = bounds[p], bounds[p + 1]
        out.append(
            from_edges(
                ids=graph.ids[m],
                workload=graph.workload[m],
                groups=graph.groups[m],
                group_names=graph.group_names,
                edge_i=local[i[lo:hi]],
                edge_j=local[j[lo:hi]],
                shared=length[lo:hi],
                area=graph.area[m],
                perimeter=graph.perimeter[m],
                centroids=graph.centroids[m],
                cut=None if cuts is None else cut[lo:hi],
            )
        )
    return out


def from_edges(
    *,
    ids: NDArray[np.object_],
    workload: NDArray[np.float64],
    groups: NDArray[np.int64],
    group_names: NDArray[np.object_],
    edge_i: NDArray[np.int64],
    edge_j: NDArray[np.int64],
    shared: NDArray[np.float64],
    area: NDArray[np.float64] | None = None,
    perimeter: NDArray[np.float64] | None = None,
    centroids: NDArray[np.float64] | None = None,
    cut: NDArray[np.float64] | None = None,
) -> UnitGraph:
    """Build the CSR graph from an undirected edge list (each edge once, either direction)."""
    n = len(ids)
    rows = np.concatenate([edge_i, edge_j]).astype(np.int64)
    cols = np.concatenate([edge_j, edge_i]).astype(np.int64)
    lengths = np.concatenate([shared, shared]).astype(np.float64)
    order = np.lexsort((cols, rows))
    rows, cols, lengths = rows[order], cols[order], lengths[order]
    cuts = None if cut is None else np.concatenate([cut, cut]).astype(np.float64)[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, rows + 1, 1)
    np.cumsum(indptr, out=indptr)
    nan = np.full(n, np.nan)
    return UnitGraph(
        ids=np.asarray(ids, dtype=object),
        workload=np.asarray(workload, dtype=np.float64),
        groups=np.asarray(groups, dtype=np.int64),
        group_names=np.asarray(group_names, dtype=object),
        indptr=indptr,
        indices=cols,
        shared=lengths,
        area=nan if area is None else np.asarray(area, dtype=np.float64),
        perimeter=nan if perimeter is None else np.asarray(perimeter, dtype=np.float64),
        centroids=np.zeros((n, 2)) if centroids is None else np.asarray(centroids, dtype=float),
        cut=cuts,
    )


#: Shared boundaries shorter than this (in the CRS's units) are numerical dust, not adjacency.
MIN_SHARED = 1e-9


def rook_edges(
    geoms: NDArray[np.object_],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Pairs of polygons sharing a boundary of positive length, with that length (in the units
    of the geometry's CRS); see :mod:`gis.optimizer.adjacency`."""
    left, right, lengths, _ = rook_adjacency(geoms)
    rook = lengths > MIN_SHARED
    return left[rook], right[rook], lengths[rook]


def _projector(source: CRS, target: CRS) -> Project:
    """Coordinates from ``source`` to ``target`` (x, y order whatever the CRS's axis order)."""
    transformer = Transformer.from_crs(source, target, always_xy=True)

    def project(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return project


def encode_groups(
    values: NDArray[np.object_] | None, n: int
) -> tuple[NDArray[np.object_], NDArray[np.int64]]:
    """Group names and each unit's group index; no group column means one unnamed group."""
    if values is None:
        values = np.full(n, "", dtype=object)
    names, groups = np.unique(np.asarray(values, dtype=str), return_inverse=True)
    return names.astype(object), groups.astype(np.int64)


def shared_boundaries(
    frame: gpd.GeoDataFrame,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Pairs ``i < j`` of the frame's polygons that share a boundary of positive length, with
    that length in metres (a local UTM zone for lon/lat input). The optimizer's graph and the
    database's ``unit_edge`` (pieces of a grid, gis/unit_edges.py) are both built from it."""
    # Adjacency is decided in the file's own coordinates, where shared edges are exact:
    # reprojecting first can leave neighbours a few nanometres apart, or give corners a length.
    snap = 1e-9 if frame.crs.is_geographic else 1e-4  # ≈0.1 mm either way
    project = None
    if frame.crs.is_geographic:
        project = _projector(frame.crs, frame.estimate_utm_crs())
    edge_i, edge_j, native, shared = rook_adjacency(
        np.asarray(frame.geometry.values), snap=snap, project=project
    )
    rook = (native > MIN_SHARED) & (shared > 0)
    return edge_i[rook], edge_j[rook], shared[rook]


def from_frame(
    frame: gpd.GeoDataFrame,
    *,
    id_column: str,
    workload: NDArray[np.float64],
    group_column: str | None,
    min_shared: float = MIN_SHARED_M,
) -> UnitGraph:
    """The unit graph of polygons, measured in metres in a local projected CRS.

    Units are neighbours where they share at least ``min_shared`` metres of boundary: a corner
    contact of a few centimetres holds two polygons together for ``ST_Union`` but is no way
    through for a grid worker, so a grid must not rely on it to be connected.
    """
    if frame.crs is None:
        raise Invalid(
            "输入数据没有坐标系：请为文件指定（.prj 或 EPSG） ("
            "the input has no coordinate system: give the file one (.prj or EPSG))"
        )
    geoms = frame.geometry.values
    if frame.crs.is_geographic:
        geoms = frame.geometry.to_crs(frame.estimate_utm_crs()).values
    edge_i, edge_j, shared = shared_boundaries(frame)
    rook = shared >= min_shared
    edge_i, edge_j, shared = edge_i[rook], edge_j[rook], shared[rook]
    names, groups = encode_groups(
        frame[group_column].astype(str).to_numpy() if group_column else None, len(frame)
    )
    centroids = shapely.get_coordinates(shapely.centroid(geoms))
    return from_edges(
        ids=frame[id_column].to_numpy(dtype=object),
        workload=workload,
        groups=groups,
        group_names=names,
        edge_i=edge_i,
        edge_j=edge_j,
        shared=shared,
        area=shapely.area(geoms),
        perimeter=shapely.length(geoms),
        centroids=centroids,
    )


def components(graph: UnitGraph) -> NDArray[np.int64]:
    """Connected-component label of every unit, counting only edges inside its group.

    A community whose units fall into several pieces (an exclave, an island) is several
    subproblems: no grid may join them, since that would glue across another community.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    i, j, _ = graph.edges()
    same = graph.groups[i] == graph.groups[j]
    n = graph.n
    matrix = csr_matrix((np.ones(int(same.sum())), (i[same], j[same])), shape=(n, n))
    _, labels = connected_components(matrix, directed=False)
    result: NDArray[np.int64] = labels.astype(np.int64)
    return result
