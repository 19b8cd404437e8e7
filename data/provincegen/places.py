"""Base units, streets and communities inside the real county outlines.

Units are Voronoi cells of seed points drawn inside each county (denser in city districts 区
and around each county seat), clipped to the province. A unit belongs to the county its seed
lies in, so counties, streets and communities are unions of whole units and nest exactly.
Streets and communities are nearest-seed regions inside their county (KD-tree on coordinates
shifted apart by county, see :func:`common.nearest_in_group`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import cKDTree

from provincegen.common import (
    COMMUNITIES,
    GRID_SIZE,
    STREETS,
    UNITS,
    URBAN_DENSITY,
    allocate,
    nearest_in_group,
    rank_within,
    rng,
)
from provincegen.outlines import Outlines


@dataclass
class Places:
    """Units and the hierarchy above them, as index arrays (no per-feature objects)."""

    xy: np.ndarray  # seed of each unit (lon, lat)
    safe: np.ndarray  # radius around the seed that stays inside the unit (degrees)
    geom: np.ndarray  # unit polygons
    county: np.ndarray  # county index of each unit
    town: np.ndarray  # unit drawn around a county seat (built-up) rather than spread out
    unit_comm: np.ndarray  # community index of each unit
    comm_street: np.ndarray  # street index of each community
    comm_county: np.ndarray
    comm_urban: np.ndarray
    street_county: np.ndarray


def _urban(outlines: Outlines) -> np.ndarray:
    return np.char.endswith(outlines.county_name.astype(str), "区")


def _county_points(
    geom: shapely.Geometry, n: int, urban: bool, gen: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points inside one county: a share clustered around its seat, the rest uniform."""
    shapely.prepare(geom)
    x0, y0, x1, y1 = shapely.bounds(geom)
    seat = shapely.get_coordinates(shapely.point_on_surface(geom))[0]
    sigma = (0.25 if urban else 0.06) * np.sqrt(shapely.area(geom))
    clustered = gen.random(8 * n + 64) < (0.7 if urban else 0.3)
    pts = np.where(
        clustered[:, None],
        seat + gen.normal(0.0, sigma, (len(clustered), 2)),
        np.column_stack([gen.uniform(x0, x1, len(clustered)), gen.uniform(y0, y1, len(clustered))]),
    )
    keep = shapely.contains_xy(geom, pts[:, 0], pts[:, 1])
    pts, clustered = pts[keep][:n], clustered[keep][:n]
    if len(pts) < n:  # a very thin county: top up uniformly (rare, still seeded)
        extra, more = _county_points(geom, n - len(pts), urban, gen)
        pts, clustered = np.vstack([pts, extra]), np.concatenate([clustered, more])
    return pts, clustered


def _seeds(outlines: Outlines, scale: float, seed: int) -> tuple[np.ndarray, ...]:
    """Seed points of all units, their county and whether they are built-up."""
    urban = _urban(outlines)
    area = shapely.area(outlines.county_geom)
    n = allocate(round(UNITS * scale), area * np.where(urban, URBAN_DENSITY, 1.0), minimum=8)
    gen = rng(seed, 1)
    parts = [  # a loop over the 100 counties, vectorised inside each
        _county_points(g, int(k), bool(u), gen)
        for g, k, u in zip(outlines.county_geom, n, urban, strict=True)
    ]
    xy = np.round(np.vstack([p[0] for p in parts]), 7)
    town = np.concatenate([p[1] for p in parts])
    county = np.repeat(np.arange(len(n)), n)
    _, first = np.unique(xy, axis=0, return_index=True)  # Voronoi needs distinct seeds
    keep = np.sort(first)
    return xy[keep], county[keep], town[keep]


def _cells(xy: np.ndarray, province: shapely.Geometry) -> np.ndarray:
    """Voronoi cells in seed order, clipped to the province, one polygon each."""
    box = shapely.box(*shapely.bounds(province)).buffer(0.5)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=box, ordered=True)
    )
    shapely.prepare(province)
    edge = ~shapely.contains_properly(province, cells)
    cells[edge] = shapely.intersection(cells[edge], province)
    cells = shapely.set_precision(cells, GRID_SIZE)
    parts, index = shapely.get_parts(cells, return_index=True)
    parts_area = shapely.area(parts)
    order = np.lexsort((-parts_area, index))  # largest part of each cell first
    first = np.unique(index[order], return_index=True)[1]
    out = np.array(parts[order][first])
    return out


def _hierarchy(
    xy: np.ndarray, county: np.ndarray, town: np.ndarray, urban: np.ndarray, scale: float, seed: int
) -> tuple[np.ndarray, ...]:
    """Communities and streets as nearest-seed regions inside each county."""
    n_county = int(county.max()) + 1
    per_county = np.bincount(county, minlength=n_county)
    weight = per_county * np.where(urban, 1.6, 1.0)  # smaller communities in districts
    n_comm = np.minimum(allocate(round(COMMUNITIES * scale), weight, minimum=2), per_county)
    n_street = np.minimum(allocate(round(STREETS * scale), per_county.astype(float)), n_comm)
    rank = rank_within(county, rng(seed, 2).random(len(county)))
    comm_seed = np.flatnonzero(rank < n_comm[county])
    comm_seed = comm_seed[np.lexsort((rank[comm_seed], county[comm_seed]))]
    unit_comm = nearest_in_group(xy, county, xy[comm_seed], county[comm_seed])
    street_seed = np.flatnonzero(rank[comm_seed] < n_street[county[comm_seed]])
    comm_street = nearest_in_group(
        xy[comm_seed], county[comm_seed], xy[comm_seed][street_seed], county[comm_seed][street_seed]
    )
    comm_urban = urban[county[comm_seed]] | town[comm_seed]
    return unit_comm, comm_street, county[comm_seed], comm_urban, county[comm_seed][street_seed]


def build_places(outlines: Outlines, scale: float, seed: int) -> Places:
    """Units and their streets and communities."""
    xy, county, town = _seeds(outlines, scale, seed)
    geom = _cells(xy, outlines.province)
    dist, _ = cKDTree(xy).query(xy, k=2)
    unit_comm, comm_street, comm_county, comm_urban, street_county = _hierarchy(
        xy, county, town, _urban(outlines), scale, seed
    )
    return Places(
        xy=xy,
        safe=dist[:, 1] * 0.4,
        geom=geom,
        county=county,
        town=town,
        unit_comm=unit_comm,
        comm_street=comm_street,
        comm_county=comm_county,
        comm_urban=comm_urban,
        street_county=street_county,
    )
