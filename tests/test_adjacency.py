"""Rook adjacency by matched ring segments gives what measuring every pair exactly gives."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from gis.optimizer.adjacency import rook_adjacency
from gis.optimizer.graph import MIN_SHARED, from_frame, rook_edges


def exact(geoms, snap: float = 0.0) -> dict[tuple[int, int], float]:
    """The definition: every pair whose snapped boundaries meet, measured with shapely."""
    if snap:
        geoms = shapely.set_precision(geoms, snap)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    lengths = shapely.length(
        shapely.intersection(shapely.boundary(geoms[left]), shapely.boundary(geoms[right]))
    )
    return {
        (int(a), int(b)): float(x)
        for a, b, x in zip(left, right, lengths, strict=True)
        if x > MIN_SHARED
    }


def found(geoms, snap: float = 0.0) -> dict[tuple[int, int], float]:
    i, j, length, _ = rook_adjacency(geoms, snap=snap)
    return {
        (int(a), int(b)): float(x) for a, b, x in zip(i, j, length, strict=True) if x > MIN_SHARED
    }


def voronoi(n: int, seed: int):
    rng = np.random.default_rng(seed)
    frame = box(0, 0, 1000, 1000)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(rng.random((n, 2)) * 1000), extend_to=frame)
    )
    cells = shapely.set_precision(shapely.intersection(cells, frame), 0.01)
    return cells[~shapely.is_empty(cells)]


@pytest.mark.parametrize("seed", range(6))
def test_a_voronoi_partition_matches_the_exact_measure(seed: int) -> None:
    cells = voronoi(400, seed)
    want, got = exact(cells), found(cells)
    assert got.keys() == want.keys()
    assert all(got[k] == pytest.approx(want[k], rel=1e-9) for k in want)


def test_a_t_junction_is_measured_the_exact_way() -> None:
    """A's right edge has no vertex where B and C meet: no segment matches, yet all three are
    neighbours along a boundary of length 1."""
    geoms = np.array([box(0, 0, 1, 2), box(1, 0, 2, 1), box(1, 1, 2, 2)])
    assert found(geoms) == {(0, 1): 1.0, (0, 2): 1.0, (1, 2): 1.0}


def test_a_boundary_matched_in_part_counts_whole() -> None:
    """A has vertices at y = 0, 1, 2, 3 on its right edge, B at 0, 1, 3: the piece 0–1 matches
    segment for segment, 1–3 does not; the pair shares 3, not 1."""
    a = Polygon([(0, 0), (1, 0), (1, 1), (1, 2), (1, 3), (0, 3)])
    b = Polygon([(1, 0), (2, 0), (2, 3), (1, 3), (1, 1)])
    assert found(np.array([a, b])) == {(0, 1): pytest.approx(3.0)}


def test_corners_holes_and_multipolygons() -> None:
    ring = Polygon(box(0, 0, 3, 3).exterior.coords, [box(1, 1, 2, 2).exterior.coords])
    island = box(1, 1, 2, 2)  # fills the hole: shares the whole inner ring
    corner = box(4, 3, 5, 4)  # touches the pair at one point only
    pair = shapely.MultiPolygon([box(3, 0, 4, 1), box(3, 2, 4, 3)])  # two pieces on one side
    geoms = np.array([ring, island, corner, pair])
    assert found(geoms) == {(0, 1): 4.0, (0, 3): 2.0}
    assert exact(geoms) == found(geoms)


def test_vertices_a_rounding_apart_are_one_with_snapping() -> None:
    a = box(0, 0, 1, 1)
    b = Polygon([(1 + 1e-12, 0), (2, 0), (2, 1), (1 - 1e-12, 1)])
    geoms = np.array([a, b])
    assert found(geoms, snap=1e-9) == exact(geoms, snap=1e-9) == {(0, 1): pytest.approx(1.0)}


def test_rook_edges_and_the_unit_graph_in_degrees_are_measured_in_metres() -> None:
    cells = voronoi(300, 11)
    # The same partition placed in Jiangxi, in degrees: 1000 units ≈ 0.01°.
    degrees = shapely.transform(cells, lambda xy: xy * 1e-5 + [116.3, 27.9])
    frame = gpd.GeoDataFrame(
        {"code": [f"u{k}" for k in range(len(cells))]}, geometry=degrees, crs="EPSG:4326"
    )
    graph = from_frame(
        frame, id_column="code", workload=np.ones(len(frame)), group_column=None, min_shared=0
    )
    i, j, lengths = graph.edges()
    pairs = {(int(a), int(b)) for a, b in zip(i, j, strict=True) if a < b}
    assert pairs == set(exact(np.asarray(degrees), snap=1e-9))
    # Shared lengths in metres, as GeoPandas measures the shared lines reprojected.
    metric = frame.estimate_utm_crs()
    lines = shapely.intersection(
        shapely.boundary(degrees[[a for a, _ in sorted(pairs)]]),
        shapely.boundary(degrees[[b for _, b in sorted(pairs)]]),
    )
    want = gpd.GeoSeries(lines, crs="EPSG:4326").to_crs(metric).length.to_numpy()
    lookup = dict(zip(zip(i.tolist(), j.tolist(), strict=True), lengths, strict=True))
    got = np.array([lookup[p] for p in sorted(pairs)])
    assert got == pytest.approx(want, rel=1e-6)
    ri, rj, _ = rook_edges(cells)
    assert set(zip(ri.tolist(), rj.tolist(), strict=True)) == set(exact(cells))
