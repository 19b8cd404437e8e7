"""Loading a city package: right geometry and totals, idempotent, all-or-nothing on bad input."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Polygon
from sqlalchemy import text

from gis.access import Access
from gis.errors import InvalidFile
from gis.infra.settings import WorkloadWeights
from gis.layers import table_counts
from gis.loader import load_city
from tests.conftest import scalar
from tests.tiny_city import COMMUNITY_A, cell, unit_code, write_tiny_city

G2 = f"{COMMUNITY_A}002"  # units 4, 5, 7, 8


def test_grid_geometry_is_the_union_of_its_units(conn) -> None:
    expected = cell(4).union(cell(5)).union(cell(7)).union(cell(8))  # a 2×2 square
    same = scalar(
        conn,
        """SELECT ST_Equals(g.geom, ST_GeomFromText(:wkt, 4326))
           FROM grid g JOIN grid_layer l ON l.id = g.layer_id
           WHERE l.code = 'unified' AND g.code = :code""",
        wkt=expected.wkt,
        code=G2,
    )
    assert same is True


def test_grid_totals_are_the_sums_of_its_units(conn) -> None:
    row = conn.execute(
        text(
            """SELECT households, population, unit_count, community_count, workload, area_m2
               FROM grid g JOIN grid_layer l ON l.id = g.layer_id
               WHERE l.code = 'unified' AND g.code = :code"""
        ),
        {"code": G2},
    ).one()
    assert row.households == 400 + 500 + 700 + 800
    assert row.population == 250 * (4 + 5 + 7 + 8)
    assert row.unit_count == 4 and row.community_count == 1
    assert row.workload == 2400.0  # default weights: households only
    # 4 blocks of 0.001° × 0.001° at 27.5°N ≈ 4 × 98.8 m × 110.8 m
    assert row.area_m2 == pytest.approx(4 * 98.8 * 110.8, rel=0.01)


def test_crossing_grid_is_counted_as_crossing(conn) -> None:
    crossing = scalar(
        conn,
        """SELECT community_count FROM grid g JOIN grid_layer l ON l.id = g.layer_id
           WHERE l.code = 'zongzhi' AND g.code = :code""",
        code=f"{COMMUNITY_A}902",
    )
    assert crossing == 2


def test_incident_is_placed_in_its_unit_spatially(conn) -> None:
    unit = scalar(
        conn,
        """SELECT u.code FROM incident i JOIN base_unit u ON u.id = i.base_unit_id
           WHERE i.code = 'T0000001'""",
    )
    assert unit == unit_code(5)


def test_entrances_share_out_households(conn) -> None:
    rows = conn.execute(
        text(
            """SELECT e.number, e.households FROM building_entrance e
               JOIN building b ON b.id = e.building_id WHERE b.code = :code ORDER BY e.number"""
        ),
        {"code": f"{unit_code(2)}B001"},
    ).all()
    assert [tuple(r) for r in rows] == [(1, 67), (2, 67), (3, 66)]  # 200 over 3 entrances


def test_loading_twice_changes_nothing(engine, tiny_city_path: Path) -> None:
    with engine.connect() as c:
        before = table_counts(c)
    report = load_city(engine, tiny_city_path, access=Access.system())
    assert report.skipped
    with engine.connect() as c:
        assert table_counts(c) == before


def test_custom_weights_change_workload(engine, tmp_path: Path) -> None:
    """Weights are applied in PostGIS at load: households + 10 × care people."""
    path = write_tiny_city(tmp_path / "tiny.gpkg")
    weights = WorkloadWeights(households=1.0, care_people=10.0)
    try:
        load_city(engine, path, weights=weights, replace=True, access=Access.system())
        with engine.connect() as c:
            workload = scalar(
                c,
                """SELECT workload FROM grid g JOIN grid_layer l ON l.id = g.layer_id
                   WHERE l.code = 'unified' AND g.code = :code""",
                code=G2,
            )
        assert workload == 2400 + 10 * (4 + 5 + 7 + 8)
    finally:
        # back to default weights for other tests
        load_city(engine, path, replace=True, access=Access.system())


def _broken_copy(tmp_path: Path, layer: str, mutate) -> Path:
    """A tiny-city package with one layer rewritten by ``mutate``."""
    path = write_tiny_city(tmp_path / "broken.gpkg")
    frame = pyogrio.read_dataframe(path, layer=layer)
    pyogrio.write_dataframe(mutate(frame), path, layer=layer, driver="GPKG")
    return path


def _retarget(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame = frame.copy()
    frame["code"] = frame["code"].str.replace("369901", "369902")
    return frame


@pytest.mark.parametrize(
    ("layer", "mutate", "message"),
    [
        (
            "base_units",
            lambda f: f.assign(community_code=["369901001099"] + list(f.community_code[1:])),
            "unknown community_code '369901001099'",
        ),
        (
            "base_units",
            lambda f: f.set_geometry(
                [Polygon([(116, 27.5), (116.001, 27.501), (116.001, 27.5), (116, 27.501)])]
                + list(f.geometry[1:]),
                crs=4326,
            ),
            "first is 369901001001U001: Self-intersection",
        ),
    ],
    ids=["unknown-community", "bow-tie"],
)
def test_bad_package_is_refused_and_changes_nothing(
    engine, tmp_path: Path, layer: str, mutate, message: str
) -> None:
    path = _broken_copy(tmp_path, layer, mutate)
    # Make it a new district so the loader does not skip it as already loaded.
    districts = _retarget(pyogrio.read_dataframe(path, layer="districts"))
    pyogrio.write_dataframe(districts, path, layer="districts", driver="GPKG")
    with engine.connect() as c:
        before = table_counts(c)
    with pytest.raises(InvalidFile, match=message):
        load_city(engine, path, access=Access.system())
    with engine.connect() as c:
        assert table_counts(c) == before


def test_missing_layer_is_named(tmp_path: Path, engine) -> None:
    path = tmp_path / "only_districts.gpkg"
    frame = pyogrio.read_dataframe(write_tiny_city(tmp_path / "t.gpkg"), layer="districts")
    pyogrio.write_dataframe(_retarget(frame), path, layer="districts", driver="GPKG")
    with pytest.raises(InvalidFile, match="layer 'streets' is missing"):
        load_city(engine, path, access=Access.system())


def test_not_a_geopackage(tmp_path: Path, engine) -> None:
    path = tmp_path / "city.gpkg"
    path.write_text("this is not a GeoPackage")
    with pytest.raises(InvalidFile, match="not a readable GeoPackage"):
        load_city(engine, path, access=Access.system())


def test_a_city_reloads_with_organisations_of_no_community(engine, tmp_path: Path) -> None:
    """An agency's party organisation belongs to no community, so deleting the districts does
    not take it; loading the package again updates it instead of failing on its code."""
    path = write_tiny_city(tmp_path / "agency.gpkg")
    agency = pd.DataFrame(
        {"code": ["T-AGENCY"], "name": ["测试局机关党委"], "kind": ["agency"]}
        | {"community_code": [""]}
    )
    pyogrio.write_dataframe(agency, path, layer="party_organisations", driver="GPKG")
    try:
        load_city(engine, path, replace=True, access=Access.system())
        agency.loc[0, "name"] = "测试局机关党委（改）"
        pyogrio.write_dataframe(agency, path, layer="party_organisations", driver="GPKG")
        load_city(engine, path, replace=True, access=Access.system())
        with engine.connect() as c:
            names = c.execute(
                text("SELECT name FROM party_organisation WHERE code = 'T-AGENCY'")
            ).scalars()
            assert list(names) == ["测试局机关党委（改）"]
    finally:
        with engine.begin() as c:
            c.execute(text("DELETE FROM party_organisation WHERE code = 'T-AGENCY'"))
        load_city(engine, write_tiny_city(tmp_path / "tiny.gpkg"), replace=True,
                  access=Access.system())  # fmt: skip
