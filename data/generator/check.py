"""Verification: read the written file back and check the invariants Gridmap relies on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import shapely

from .assemble import LAYER_ORDER, union_groups
from .common import (
    CORES,
    DEPARTMENT_LAYERS,
    TOTAL_BASE_UNITS,
    UNIFIED_CV_BAND,
    UNIFIED_GRIDS,
    UNIFIED_LAYER,
)
from .graph import Graph, component_count, rook_adjacency
from .incidents import locate_points
from .roads import check_linear


class Report:
    """Collects check results and prints them as they come."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    def info(self, text: str) -> None:
        print(f"  {text}")  # noqa: T201

    def check(self, ok: bool, text: str) -> None:
        print(f"  [{'ok' if ok else 'FAIL'}] {text}")  # noqa: T201
        if not ok:
            self.failures.append(text)


@dataclass
class Readback:
    """The written file's layers, and what several checks derive from its base units."""

    data: dict[str, pd.DataFrame]
    geom: np.ndarray
    graph: Graph
    unit_index: pd.Series
    comm_of_unit: np.ndarray

    @classmethod
    def of(cls, path: Path) -> Readback:
        data = {name: pyogrio.read_dataframe(path, layer=name) for name in LAYER_ORDER}
        units = data["base_units"]
        geom = units.geometry.to_numpy()
        return cls(
            data=data,
            geom=geom,
            graph=rook_adjacency(geom),
            unit_index=pd.Series(np.arange(len(units)), index=units["code"]),
            comm_of_unit=units["community_code"].to_numpy(),
        )


def _check_counts(rep: Report, read: Readback) -> None:
    """Row counts and grid counts against the Fuzhou figures."""
    data = read.data
    rep.info("rows: " + ", ".join(f"{k}={len(v)}" for k, v in data.items()))
    units, grids = data["base_units"], data["grids"]
    per_layer = grids.groupby("layer_code").size()
    dept = [c for c in DEPARTMENT_LAYERS if c in per_layer.index]
    rep.info(
        "grids per layer: "
        + ", ".join(f"{k}={per_layer.get(k, 0)}" for k in [*DEPARTMENT_LAYERS, UNIFIED_LAYER[0]])
    )
    rep.check(
        int(per_layer[dept].sum()) == TOTAL_BASE_UNITS,
        f"departmental grids total {int(per_layer[dept].sum())} == {TOTAL_BASE_UNITS}",
    )
    rep.check(
        int(per_layer.get("unified", 0)) == UNIFIED_GRIDS,
        f"unified grids {int(per_layer.get('unified', 0))} == {UNIFIED_GRIDS}",
    )
    rep.check(len(units) == TOTAL_BASE_UNITS, f"base units {len(units)} == {TOTAL_BASE_UNITS}")


def _check_coverage(rep: Report, read: Readback) -> None:
    """Base units: one valid coverage without gaps; communities and streets contiguous; codes
    hierarchical; every unit inside its district."""
    data = read.data
    units = data["base_units"]
    geom, graph, comm_of_unit = read.geom, read.graph, read.comm_of_unit
    types = shapely.get_type_id(geom)
    rep.check(bool((types == 3).all()), "every base unit is a single Polygon")
    rep.check(bool(shapely.is_valid(geom).all()), "every base unit is valid")
    rep.check(bool(shapely.coverage_is_valid(geom)), "base units form a valid coverage")
    tree = shapely.STRtree(geom)
    overl = tree.query(geom, predicate="overlaps")
    rep.check(overl.shape[1] == 0, f"overlapping unit pairs: {overl.shape[1] // 2}")
    comm_lab = pd.factorize(comm_of_unit)[0]
    rep.check(int(component_count(graph, comm_lab).max()) == 1, "every community is contiguous")
    holes = shapely.get_num_interior_rings(union_groups(geom, comm_lab, comm_lab.max() + 1))
    city = shapely.union_all(geom)
    city_holes = int(shapely.get_num_interior_rings(shapely.get_parts(city)).sum())
    rep.check(city_holes == 0, f"no gaps inside the city (holes in union of units: {city_holes})")
    rep.info(f"communities enclosing another community: {int((holes > 0).sum())}")
    comms, streets = data["communities"], data["streets"]
    street_of_comm = dict(zip(comms["code"], comms["street_code"], strict=True))
    street_lab = pd.factorize(np.array([street_of_comm[c] for c in comm_of_unit]))[0]
    rep.check(int(component_count(graph, street_lab).max()) == 1, "every street is contiguous")
    hier = (
        units["code"].str[:12].eq(units["community_code"]).all()
        and all(c.startswith(s) for c, s in zip(comms["code"], comms["street_code"], strict=True))
        and all(
            s.startswith(d) for s, d in zip(streets["code"], streets["district_code"], strict=True)
        )
    )
    rep.check(bool(hier), "codes are hierarchical (district > street > community > unit)")
    districts = data["districts"]
    dist_geom = dict(zip(districts["code"], districts.geometry, strict=True))
    unit_district = units["community_code"].str[:6].map(dist_geom).to_numpy()
    inside = shapely.covered_by(geom, shapely.buffer(unit_district, 1e-6))
    rep.check(bool(inside.all()), "every unit lies in its district outline (1e-6 deg tolerance)")
    centres_in = all(
        shapely.contains_xy(dist_geom[spec.district_code], *spec.centre) for spec in CORES
    )
    rep.check(centres_in, "core centres lie inside their district outlines")
    rep.info(f"share of units in 临川: {(units['code'].str[:6] == '361002').mean():.3f}")


def _check_layers(rep: Report, read: Readback) -> None:
    """Every layer: each unit in one grid, contiguous grids, nesting; how the layers overlap."""
    data, graph, unit_index = read.data, read.graph, read.unit_index
    units, grids, members = data["base_units"], data["grids"], data["memberships"]
    comm_of_unit = read.comm_of_unit
    counts = members.groupby("layer_code")["unit_code"].agg(["size", "nunique"])
    rep.check(
        bool((counts["size"] == len(units)).all() and (counts["nunique"] == len(units)).all()),
        "every base unit is in exactly one grid of every layer",
    )
    rep.check(
        not grids.duplicated(["layer_code", "code"]).any(), "grid codes unique within each layer"
    )
    grid_comm = dict(
        zip(
            zip(grids["layer_code"], grids["code"], strict=True),
            grids["community_code"],
            strict=True,
        )
    )
    for layer, part in members.groupby("layer_code", sort=False):
        idx = unit_index[part["unit_code"]].to_numpy()
        lab = np.empty(len(units), dtype=np.int64)
        lab[idx] = pd.factorize(part["grid_code"])[0]
        pieces = component_count(graph, lab)
        comm_per_grid = pd.Series(comm_of_unit[idx]).groupby(part["grid_code"].to_numpy()).nunique()
        nested = layer == "unified" or DEPARTMENT_LAYERS.get(layer, ("", "", 0, True))[3]
        text = f"layer {layer:9s}: {len(pieces)} grids, all contiguous={bool((pieces == 1).all())}"
        if nested:
            text += f", nested in one community={bool((comm_per_grid == 1).all())}"
            ok = (pieces == 1).all() and (comm_per_grid == 1).all()
        else:
            text += f", grids crossing community lines={int((comm_per_grid > 1).sum())}"
            ok = (pieces == 1).all()
        prefix_ok = all(g.startswith(grid_comm[(layer, g)]) for g in part["grid_code"].unique())
        rep.check(bool(ok and prefix_ok), text)

    layer_units = {
        layer: part.set_index("unit_code")["grid_code"].reindex(units["code"]).to_numpy()
        for layer, part in members.groupby("layer_code", sort=False)
    }
    pairs = [
        ("zongzhi", "chengguan"),
        ("zongzhi", "dangjian"),
        ("xinfang", "minzheng"),
        ("chengguan", "yingji"),
        ("zongzhi", "unified"),
    ]
    for a, b in pairs:
        split = pd.Series(layer_units[b]).groupby(layer_units[a]).nunique()
        rep.info(f"overlap {a}->{b}: {(split > 1).mean():.0%} of {a} grids are cut by {b} grids")


def _check_contents(rep: Report, read: Readback) -> None:
    """Buildings inside their units and adding up to the unit totals; incidents located."""
    data, geom, unit_index = read.data, read.geom, read.unit_index
    units, bld = data["base_units"], data["buildings"]
    bidx = unit_index[bld["unit_code"]].to_numpy()
    within = shapely.within(bld.geometry.to_numpy(), geom[bidx])
    rep.check(
        bool(within.all()), f"every building lies within its unit ({int(within.sum())}/{len(bld)})"
    )
    nverts = shapely.get_num_coordinates(bld.geometry.to_numpy())
    rep.check(bool((nverts == 5).all()), "building footprints have 5 vertices")
    sums = (
        bld.groupby(bidx)[["households", "population"]]
        .sum()
        .reindex(np.arange(len(units)), fill_value=0)
    )
    nb = np.bincount(bidx, minlength=len(units))
    rep.check(
        bool(
            (sums["households"].to_numpy() == units["households"].to_numpy()).all()
            and (sums["population"].to_numpy() == units["population"].to_numpy()).all()
            and (nb == units["buildings"].to_numpy()).all()
        ),
        "unit households/population/buildings equal the sums of their buildings",
    )
    inc = data["incidents"]
    loc = locate_points(inc.geometry.to_numpy(), geom)
    rep.check(
        bool((loc >= 0).all())
        and bool(
            (np.bincount(loc[loc >= 0], minlength=len(units)) == units["incidents_per_year"]).all()
        ),
        "incidents_per_year equals the incidents located in each unit",
    )


def _summarise(rep: Report, read: Readback) -> None:
    """Figures of the city (households, buildings, communities, members, incidents)."""
    data = read.data
    units, bld, inc = data["base_units"], data["buildings"], data["incidents"]
    comms, streets = data["communities"], data["streets"]
    hh, pop = int(units["households"].sum()), int(units["population"].sum())
    care = int(units["care_people"].sum())
    rep.info(
        f"households {hh:,}, population {pop:,} ({pop / hh:.2f} per household), "
        f"care people {care:,} ({care / pop:.1%})"
    )
    rep.info(
        f"buildings {len(bld):,}: households per building "
        f"min {bld['households'].min()}, median {int(bld['households'].median())}, "
        f"max {bld['households'].max()}; floors {bld['floors'].min()}-{bld['floors'].max()}"
    )
    uh = units["households"]
    rep.info(
        f"households per unit: min {uh.min()}, p10 {int(uh.quantile(0.1))}, median "
        f"{int(uh.median())}, p90 {int(uh.quantile(0.9))}, max {uh.max()}"
    )
    kinds = comms["kind"].value_counts()
    rep.info(
        f"communities: {len(comms)} ({kinds.get('urban', 0)} urban, "
        f"{kinds.get('village', 0)} villages); streets: {len(streets)}"
    )
    pm = data["party_members"]
    rep.info(
        f"party members {len(pm):,}: 1 per {hh / len(pm):.2f} households; "
        f"organisations {len(data['party_organisations'])}"
    )
    rep.check(
        pm["phone"].is_unique and pm["phone"].str.fullmatch(r"1[358]\d{9}").all(),
        "member phones are unique 11-digit 13x/15x/18x numbers",
    )
    rep.info(
        f"incidents {len(inc):,}; evaluated {(inc['state'] == 'evaluated').mean():.1%}; "
        f"{inc['category'].nunique()} categories"
    )


def _check_unified(rep: Report, read: Readback) -> None:
    """The unified layer's balance, and one grid leader per unified grid."""
    data = read.data
    units, grids, members = data["base_units"], data["grids"], data["memberships"]
    bld, comms, pm = data["buildings"], data["communities"], data["party_members"]
    uni = members[members["layer_code"] == "unified"]
    uni_hh = (
        units.set_index("code")["households"]
        .reindex(uni["unit_code"])
        .groupby(uni["grid_code"].to_numpy())
        .sum()
    )
    cv = float(uni_hh.std(ddof=0) / uni_hh.mean())
    rep.check(
        UNIFIED_CV_BAND[0] <= cv <= UNIFIED_CV_BAND[1],
        f"unified grids: mean {uni_hh.mean():.1f} households, CV {cv:.3f}, "
        f"min {uni_hh.min()}, max {uni_hh.max()}, "
        f"in 300-500: {((uni_hh >= 300) & (uni_hh <= 500)).mean():.0%}",
    )
    asg = data["assignments"]
    gl = asg[asg["role"] == "grid_leader"]
    unified_grids = grids[grids["layer_code"] == "unified"].set_index("code")
    member_comm = dict(zip(pm["code"], pm["community_code"], strict=True))
    gl_same = (
        gl["member_code"].map(member_comm).to_numpy()
        == unified_grids["community_code"].reindex(gl["target_code"]).to_numpy()
    )
    rep.check(
        len(gl) == UNIFIED_GRIDS
        and set(gl["target_code"]) == set(unified_grids.index)
        and bool(gl_same.all()),
        f"one grid leader per unified grid, from the grid's community ({len(gl)})",
    )
    bl = asg[asg["role"] == "building_leader"]
    kind_of = dict(zip(comms["code"], comms["kind"], strict=True))
    urban_b = bld["unit_code"].str[:12].map(kind_of).eq("urban")
    eligible = int((urban_b & (bld["households"] >= 20)).sum())
    same = (bl["member_code"].map(member_comm) == bl["target_code"].str[:12]).mean()
    rep.info(
        f"building leaders {len(bl):,} for {eligible:,} urban buildings with >= 20 households "
        f"({len(bl) / max(eligible, 1):.0%}); same community {same:.0%}; members with several "
        f"roles: {int(asg['member_code'].duplicated().sum())}"
    )


def check_file(path: Path) -> bool:
    """Verify the invariants the rest of Gridmap relies on; True when all hold."""
    rep = Report()
    print(f"verification of {path}")  # noqa: T201
    read = Readback.of(path)
    for step in (
        _check_counts,
        _check_coverage,
        _check_layers,
        _check_contents,
        _summarise,
        _check_unified,
        check_linear,
    ):
        step(rep, read)
    if rep.failures:
        print(f"FAILED: {len(rep.failures)} check(s)")  # noqa: T201
    else:
        print("all checks passed")  # noqa: T201
    return not rep.failures


def same_layers(old: Path, new: Path, changed: tuple[str, ...] = ("metadata",)) -> bool:
    """True when every layer of ``old`` (but ``changed``) reads back equal in ``new``.

    Why: the roads and the river were added to a city whose units, grids and figures the tests
    pin; regenerating must add layers, never move what was there (``--same-as``).
    """
    ok = True
    for name, _ in pyogrio.list_layers(old):
        if name in changed:
            continue
        same = pyogrio.read_dataframe(old, layer=name).equals(
            pyogrio.read_dataframe(new, layer=name)
        )
        print(f"  [{'ok' if same else 'FAIL'}] layer {name} unchanged")  # noqa: T201
        ok = ok and same
    return ok
