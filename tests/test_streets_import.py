"""Roads and rivers imported from the files counties have, and from an OpenStreetMap extract.

The tiny city (tests/tiny_city.py) has no roads. A county sends its main road on the community
line (x = X0 + 0.002) and the river between rows 0 and 1 (y = Y0 + 0.001): afterwards the
unified layer's boundary runs along them entirely (see tests/test_streets.py for the sums).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import osmium
import pytest
from shapely.geometry import LineString
from sqlalchemy import Connection, text

from gis.access import Access
from gis.boundaries import boundary_shares
from gis.exchange import ImportRejected, import_file
from tests.test_exchange import every_table
from tests.tiny_city import DISTRICT, STEP, X0, Y0

ACTOR = "system:tests"
ROAD = LineString([(X0 + 2 * STEP, Y0), (X0 + 2 * STEP, Y0 + 3 * STEP)])
RIVER = LineString([(X0, Y0 + STEP), (X0 + 3 * STEP, Y0 + STEP)])


def _features(conn: Connection) -> dict[str, tuple[str, str]]:
    rows = conn.execute(
        text(
            "SELECT f.code, f.name, f.kind FROM linear_feature f JOIN district d "
            "ON d.id = f.district_id WHERE d.code = :d"
        ),
        {"d": DISTRICT},
    )
    return {code: (name, kind) for code, name, kind in rows}


def test_a_county_road_file_in_cgcs2000_gauss_kruger(conn: Connection, tmp_path: Path) -> None:
    """A GeoPackage in CGCS2000 / 3-degree Gauss–Krüger CM 117E (EPSG:4548), Chinese columns."""
    frame = gpd.GeoDataFrame(
        {"道路编码": ["TR-001"], "路名": ["测试大道"], "道路等级": ["主干道"]},
        geometry=[ROAD],
        crs="EPSG:4326",
    ).to_crs("EPSG:4548")
    path = tmp_path / "roads.gpkg"
    frame.to_file(path, driver="GPKG")
    report = import_file(conn, "roads", path, access=Access.system(ACTOR))
    assert report.ok and "4548" in report.crs
    assert report.written["linear_feature inserted"] == 1
    assert _features(conn)["TR-001"] == ("测试大道", "primary")
    river = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"code": ["TW-001"], "name": ["测试河"]}, geometry=[RIVER], crs=4326).to_file(
        river, driver="GeoJSON"
    )
    import_file(conn, "rivers", river, access=Access.system(ACTOR))
    assert _features(conn)["TW-001"] == ("测试河", "river")  # a river file need not say so
    unified = boundary_shares(conn, ["unified"], [DISTRICT])["unified"]
    assert unified.visible == 1.0 and unified.river > 0 and unified.primary > 0


def test_broken_lines_and_unknown_classes_are_named_and_nothing_is_imported(
    conn: Connection, tmp_path: Path
) -> None:
    def feature(code: str, cls: str, coords: list[list[float]]) -> dict[str, object]:
        return {
            "type": "Feature",
            "properties": {"code": code, "name": code, "class": cls},
            "geometry": {"type": "LineString", "coordinates": coords},
        }

    good = [[X0, Y0], [X0 + STEP, Y0]]
    point = [[X0 + STEP, Y0 + STEP], [X0 + STEP, Y0 + STEP]]  # one point twice: no line
    collection = {
        "type": "FeatureCollection",
        "features": [
            feature("OK-1", "支路", good),
            feature("BROKEN-1", "支路", point),
            feature("ODD-1", "高速公路", good),
            {
                "type": "Feature",
                "properties": {"code": "AREA-1", "class": "支路"},
                "geometry": {"type": "Polygon", "coordinates": [[*good, [X0, Y0 + STEP], good[0]]]},
            },
        ],
    }
    path = tmp_path / "bad_roads.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    before = every_table(conn)
    with pytest.raises(ImportRejected) as refused:
        import_file(conn, "roads", path, access=Access.system(ACTOR))
    assert every_table(conn) == before
    reasons = {p.id: p.reason for p in refused.value.report.errors}
    assert reasons["BROKEN-1"].startswith("broken line") and "Too few points" in reasons["BROKEN-1"]
    assert "wrong geometry type: Polygon" in reasons["AREA-1"]
    assert "'高速公路' is unknown" in reasons["ODD-1"]
    assert "OK-1" not in reasons


def _osm_extract(path: Path) -> Path:
    """A small OSM extract written by libosmium (pyosmium): a primary road on the community
    line, the river, and a power line (neither road nor river)."""
    with osmium.SimpleWriter(str(path)) as writer:
        points = [*ROAD.coords, *RIVER.coords, (X0, Y0), (X0 + 3 * STEP, Y0 + 3 * STEP)]
        for i, (x, y) in enumerate(points, start=1):
            writer.add_node(osmium.osm.mutable.Node(id=i, location=(x, y), version=1))
        ways = [
            (101, [1, 2], {"highway": "primary", "name": "赣东大道"}),
            (102, [3, 4], {"waterway": "river", "name": "抚河"}),
            (103, [5, 6], {"power": "line"}),
        ]
        for way_id, nodes, tags in ways:
            writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=nodes, tags=tags, version=1))
    return path


@pytest.mark.parametrize("suffix", [".osm.pbf", ".osm"])
def test_an_openstreetmap_extract(conn: Connection, tmp_path: Path, suffix: str) -> None:
    path = _osm_extract(tmp_path / f"city{suffix}")
    report = import_file(conn, "roads", path, access=Access.system(ACTOR))
    assert report.fmt == "osm" and report.written["linear_feature inserted"] == 2
    assert any("1 OSM line(s) neither road nor river" in w for w in report.warnings)
    found = _features(conn)
    assert found["osm-w101"] == ("赣东大道", "primary")
    assert found["osm-w102"] == ("抚河", "river")
    again = import_file(conn, "roads", path, access=Access.system(ACTOR))
    assert again.written.get("linear_feature inserted") == 0  # the same extract: updated
    unified = boundary_shares(conn, ["unified"], [DISTRICT])["unified"]
    assert unified.visible == 1.0
