"""Assemble the province into the city-package layout (gis.city_package.LAYERS) and write it.

The package is a GeoPackage like data/fuzhou_sample.gpkg, plus a ``cities`` layer (code, name,
outline) that the loader uses to check that every county lies in its city. The file is written
with GDAL's ``last_change`` pinned so that the same seed and scale give the same bytes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from generator.assemble import LAYER_ORDER as CITY_LAYER_ORDER
from generator.assemble import write_gpkg

from provincegen import people
from provincegen.common import codes, rank_within
from provincegen.layers import build_layers
from provincegen.outlines import Outlines, load_outlines, outline_source
from provincegen.places import Places, build_places

#: The sample city's layers, with the province's cities first (read by the loader's checks).
#: The sample city's layers but its roads and river (optional in a package: none drawn here yet).
LAYER_ORDER = ("cities", *(n for n in CITY_LAYER_ORDER if n not in ("roads", "rivers")))


def log(message: str, started: float) -> None:
    print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr)


def _union(geoms: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """Coverage union of the units of each label (a loop over groups, not over units)."""
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(n + 1))
    out = [shapely.coverage_union_all(geoms[order[bounds[i] : bounds[i + 1]]]) for i in range(n)]
    return np.array(
        [g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g]) for g in out],
        dtype=object,
    )


def _frame(data: dict, geometry: np.ndarray | None = None) -> pd.DataFrame:
    if geometry is None:
        return pd.DataFrame(data)
    return gpd.GeoDataFrame(data, geometry=geometry, crs="EPSG:4326")


def admin_frames(outlines: Outlines, places: Places) -> tuple[dict[str, pd.DataFrame], dict]:
    """Cities, counties, streets, communities (outlines are unions of whole units)."""
    n_county, n_street = len(outlines.county_code), len(places.street_county)
    n_comm = len(places.comm_street)
    street_no = rank_within(places.street_county, np.arange(n_street))
    street_code = codes(outlines.county_code[places.street_county], street_no, 3)
    urban_county = np.char.endswith(outlines.county_name.astype(str), "区")
    street_name = np.char.add(
        np.char.add(outlines.county_name[places.street_county], (street_no + 1).astype(str)),
        np.where(urban_county[places.street_county], "街道", "镇"),
    )
    comm_no = rank_within(places.comm_street, np.arange(n_comm))
    comm_code = codes(street_code[places.comm_street], comm_no, 3)
    comm_name = np.char.add(
        np.char.add(street_name[places.comm_street], (comm_no + 1).astype(str)),
        np.where(places.comm_urban, "社区", "村"),
    )
    unit_no = rank_within(places.unit_comm, np.arange(len(places.xy)))
    unit_code = codes(np.char.add(comm_code[places.unit_comm], "U"), unit_no, 4)
    frames = {
        "cities": _frame(
            {"code": outlines.city_code, "name": outlines.city_name}, outlines.city_geom
        ),
        "districts": _frame(
            {"code": outlines.county_code, "name": outlines.county_name},
            _union(places.geom, places.county, n_county),
        ),
        "streets": _frame(
            {
                "code": street_code,
                "name": street_name,
                "district_code": outlines.county_code[places.street_county],
            },
            _union(places.geom, places.comm_street[places.unit_comm], n_street),
        ),
        "communities": _frame(
            {
                "code": comm_code,
                "name": comm_name,
                "street_code": street_code[places.comm_street],
                "kind": np.where(places.comm_urban, "urban", "village"),
            },
            _union(places.geom, places.unit_comm, n_comm),
        ),
    }
    return frames, {"comm_code": comm_code, "comm_name": comm_name, "unit_code": unit_code}


def unit_frames(places: Places, attrs: pd.DataFrame, ids: dict, seed: int) -> dict:
    """Base units and buildings."""
    units = _frame(
        {"code": ids["unit_code"], "community_code": ids["comm_code"][places.unit_comm], **attrs},
        places.geom,
    )
    b = people.buildings(places, ids["unit_code"], attrs, seed)
    ids["building_comm"] = places.unit_comm[b.pop("unit")]
    return {"base_units": units, "buildings": _frame(b, b.pop("geometry"))}


def layer_frames(places: Places, ids: dict, seed: int) -> tuple[dict, list]:
    """Grid layers, grids and memberships."""
    layers = build_layers(places, ids["comm_code"], seed)
    grids = [
        pd.DataFrame(
            {
                "layer_code": lay.code,
                "code": lay.grid_code,
                "name": np.char.add(
                    np.char.add(ids["comm_name"][lay.grid_comm], "第"),
                    np.char.add(
                        np.char.mod(
                            "%d", rank_within(lay.grid_comm, np.arange(len(lay.grid_comm))) + 1
                        ),
                        "网格",
                    ),
                ),
                "community_code": ids["comm_code"][lay.grid_comm],
            }
        )
        for lay in layers
    ]
    members = [
        pd.DataFrame(
            {
                "layer_code": lay.code,
                "grid_code": lay.grid_code[lay.grid_of_unit],
                "unit_code": ids["unit_code"],
            }
        )
        for lay in layers
    ]
    frames = {
        "grid_layers": pd.DataFrame(
            {
                "code": [lay.code for lay in layers],
                "name": [lay.name for lay in layers],
                "kind": [lay.kind for lay in layers],
                "department": [lay.department for lay in layers],
            }
        ),
        "grids": pd.concat(grids, ignore_index=True),
        "memberships": pd.concat(members, ignore_index=True),
    }
    return frames, layers


def party_frames(
    places: Places, attrs: pd.DataFrame, ids: dict, leaders: np.ndarray, seed: int
) -> tuple[dict, dict]:
    """Party organisations (one per community) and members."""
    n_comm = len(ids["comm_code"])
    member, comm = people.member_table(places, attrs, leaders, seed)
    member["community_code"] = ids["comm_code"][member.pop("community")]
    orgs = pd.DataFrame(
        {
            "code": np.char.add("P", np.char.zfill((np.arange(n_comm) + 1).astype(str), 6)),
            "name": np.char.add(ids["comm_name"], "党支部"),
            "kind": "community",
            "community_code": ids["comm_code"],
        }
    )
    frames = {"party_organisations": orgs, "party_members": _frame(member, member.pop("geometry"))}
    return frames, {"member_comm": comm, "member_code": member["code"]}


def generate(scale: float = 1.0, seed: int = 36) -> dict[str, pd.DataFrame]:
    """The whole province package as frames by layer name (in :data:`LAYER_ORDER`)."""
    started = time.perf_counter()
    outlines = load_outlines()
    log("outlines read", started)
    places = build_places(outlines, scale, seed)
    log(f"{len(places.xy):,} units, {len(places.comm_street):,} communities", started)
    attrs = people.households(places, scale, seed)
    out, ids = admin_frames(outlines, places)
    log("outlines of counties, streets and communities", started)
    out |= unit_frames(places, attrs, ids, seed)
    grids, layers = layer_frames(places, ids, seed)
    out |= grids
    leaders = np.bincount(layers[-1].grid_comm, minlength=len(ids["comm_code"]))
    party, members = party_frames(places, attrs, ids, leaders, seed)
    out |= party
    inc = people.incidents(places, attrs, seed)
    out["incidents"] = _frame(inc, inc.pop("geometry"))
    unified = layers[-1]
    lead = people.building_leader_mask(len(out["buildings"]), seed)
    b_comm = ids["building_comm"]
    out["assignments"] = people.assignments(
        members["member_comm"],
        members["member_code"],
        [
            ("grid_leader", "grid", unified.grid_code, unified.grid_comm),
            (
                "building_leader",
                "building",
                out["buildings"]["code"].to_numpy()[lead],
                b_comm[lead],
            ),
        ],
        seed,
    )
    out["metadata"] = _metadata(out, scale, seed)
    log("assembled", started)
    return out


def _metadata(out: dict[str, pd.DataFrame], scale: float, seed: int) -> pd.DataFrame:
    rows = {
        "generator": "gridmap province generate (data/provincegen)",
        "seed": str(seed),
        "scale": repr(scale),
        "crs": "EPSG:4326",
        "outline_source": outline_source(),
        "total_households": str(int(out["base_units"]["households"].sum())),
        "total_population": str(int(out["base_units"]["population"].sum())),
    }
    rows |= {f"count_{name}": str(len(frame)) for name, frame in out.items()}
    return pd.DataFrame({"key": list(rows), "value": list(rows.values())})


def write_package(layers: dict[str, pd.DataFrame], path: Path) -> None:
    """Write all layers to a fresh GeoPackage, atomically replacing ``path`` (the sample city's
    writer, with the province's layer order)."""
    write_gpkg(layers, Path(path), LAYER_ORDER)
