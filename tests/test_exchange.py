"""Imports, exports and the topology check against the real PostGIS, over the tiny city.

Every test runs in a transaction that is rolled back (the ``conn`` fixture); imports run in a
savepoint of it, exactly as they run in a request or a CLI transaction.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from openpyxl import load_workbook
from shapely.geometry import box
from sqlalchemy import Connection, text

from gis.access import Access
from gis.errors import Conflict, InvalidFile
from gis.exchange import (
    ImportOptions,
    ImportRejected,
    check_layer,
    export_layer,
    import_file,
)
from gis.exchange.crs import from_wgs84, parse_crs, to_wgs84
from gis.exchange.readers import read_source
from gis.scope import Scope
from tests.exchange_files import (
    DATA,
    DRAWN,
    U5_POINT,
    bowtie,
    drawn_layer,
    units_frame,
    zip_shapefile,
)
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, DISTRICT, STEP, X0, Y0, cell, unit_code

ACTOR = "system:tests"
TINY = Scope.district(DISTRICT)
#: What an export without personal data gets (the default before Access): names masked.
MASKED = replace(Access.system(ACTOR, scope=TINY), personal_data=False)
D1, D2, D3 = DRAWN


def every_table(conn: Connection) -> dict[str, int]:
    """Rows of every table of the schema, so a failed import can be shown to change none."""
    tables = [
        r[0]
        for r in conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        )
    ]
    return {
        t: int(conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one())
        for t in tables
        if t != "spatial_ref_sys"
    }


def layer_members(conn: Connection, layer: str) -> dict[str, str]:
    rows = conn.execute(
        text(
            "SELECT u.code, g.code FROM grid_unit gu JOIN grid g ON g.id = gu.grid_id "
            "JOIN grid_layer l ON l.id = gu.layer_id JOIN base_unit u ON u.id = gu.unit_id "
            "WHERE l.code = :l"
        ),
        {"l": layer},
    )
    return dict(rows.all())


def metres(a: shapely.Geometry, b: shapely.Geometry) -> float:
    """Hausdorff distance of two lon/lat geometries near 27.5°N, in metres (both axes scaled)."""
    scale = np.array([111_320 * math.cos(math.radians(27.5)), 110_574])

    def scaled(g: shapely.Geometry) -> shapely.Geometry:
        return shapely.transform(g, lambda xy: xy * scale)

    return float(shapely.hausdorff_distance(scaled(a), scaled(b), densify=0.25))


# ----------------------------------------------------------------------------- a departmental layer


def test_a_freehand_layer_is_snapped_to_units_and_what_did_not_fit_is_reported(
    conn: Connection, tmp_path: Path
) -> None:
    path = tmp_path / "综治.gpkg"
    pyogrio.write_dataframe(drawn_layer(), path, layer="grids", driver="GPKG")
    options = ImportOptions(layer="test_zz", layer_name="测试综治", department="综治办")

    before = every_table(conn)
    dry = import_file(conn, "layer", path, options, check=True, access=Access.system(ACTOR))
    assert every_table(conn) == before  # a dry run writes nothing
    assert dry.ok and dry.check and dry.written["grid inserted"] == 3

    report = import_file(conn, "layer", path, options, access=Access.system(ACTOR))
    f = report.findings
    assert f["units_assigned"] == 8
    assert f["gaps"] == [{"unit": unit_code(9), "community": COMMUNITY_B}]
    splits = {s["unit"]: s for s in f["splits"]}
    assert set(splits) == {unit_code(2), unit_code(5)}
    assert [float(s["share"]) for s in splits[unit_code(2)]["shares"]] == [0.6, 0.4]
    assert splits[unit_code(5)]["assigned_to"] == D2
    assert [c["grid"] for c in f["crossings"]] == [D2]
    assert f["empty_grids"] == [D3]
    assert dry.findings == f  # the dry run said exactly this

    members = layer_members(conn, "test_zz")
    assert members == {unit_code(n): D1 for n in (1, 4, 7, 8)} | {
        unit_code(n): D2 for n in (2, 3, 5, 6)
    }
    # The grid's geometry is the union of its units, not the wobbly drawing.
    area, unit_area = conn.execute(
        text(
            "SELECT ST_Area(g.geom::geography), (SELECT sum(area_m2) FROM base_unit "
            "WHERE code = ANY(:u)) FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
            "WHERE l.code = 'test_zz' AND g.code = :g"
        ),
        {"g": D2, "u": [unit_code(n) for n in (2, 3, 5, 6)]},
    ).one()
    assert area == pytest.approx(unit_area, rel=1e-6)
    layer = conn.execute(
        text("SELECT kind, department, version FROM grid_layer WHERE code = 'test_zz'")
    ).one()
    assert tuple(layer) == ("department", "综治办", 1)
    audit_row = conn.execute(
        text("SELECT action FROM audit_log WHERE entity = 'import_batch' AND entity_id = :b"),
        {"b": str(report.batch_id)},
    ).scalar_one()
    assert audit_row == "import.layer"

    with pytest.raises(Conflict, match="--replace"):
        import_file(conn, "layer", path, options, access=Access.system(ACTOR))
    again = import_file(
        conn,
        "layer",
        path,
        ImportOptions(layer="test_zz", replace=True),
        access=Access.system(ACTOR),
    )
    assert again.ok
    version = conn.execute(text("SELECT version FROM grid_layer WHERE code = 'test_zz'"))
    assert version.scalar_one() == 2
    with pytest.raises(Conflict, match="unified"):
        import_file(
            conn,
            "layer",
            path,
            ImportOptions(layer="unified", replace=True),
            access=Access.system(ACTOR),
        )


@pytest.mark.parametrize(
    ("name", "encoding_used", "warned"),
    [("layer_gbk.zip", "GBK", False), ("layer_gbk_no_cpg.zip", "GB18030", True)],
)
def test_a_gbk_shapefile_keeps_its_chinese_names(
    conn: Connection, name: str, encoding_used: str, warned: bool
) -> None:
    report = import_file(
        conn, "layer", DATA / name, ImportOptions(layer="test_gbk"), access=Access.system(ACTOR)
    )
    assert report.fmt == "shp" and report.encoding == encoding_used
    assert any(".cpg" in w for w in report.warnings) == warned
    names = dict(
        conn.execute(
            text(
                "SELECT g.code, g.name FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
                "WHERE l.code = 'test_gbk'"
            )
        ).all()
    )
    assert names == {code: label for code, (label, _) in DRAWN.items()}


def test_an_explicit_encoding_wins_over_a_wrong_cpg(conn: Connection, tmp_path: Path) -> None:
    path = zip_shapefile(drawn_layer(), tmp_path / "wrong.zip", encoding="GBK", cpg=False)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("grids.cpg", "UTF-8")  # what a careless tool writes
    report = import_file(
        conn,
        "layer",
        path,
        ImportOptions(layer="test_enc", encoding="gbk"),
        access=Access.system(ACTOR),
    )
    assert report.encoding == "gbk"
    assert "东片 D1" in conn.execute(text("SELECT string_agg(name, ',') FROM grid")).scalar_one()


# ----------------------------------------------------------------------------- formats and CRSs


def test_units_from_geojson_update_grids_and_bump_their_layers(
    conn: Connection, tmp_path: Path
) -> None:
    path = tmp_path / "units.geojson"
    units_frame({1: 1234}).to_file(path, driver="GeoJSON")
    versions = dict(conn.execute(text("SELECT code, version FROM grid_layer")).all())
    report = import_file(conn, "units", path, access=Access.system(ACTOR))
    assert report.written["base_unit updated"] == 9 and report.written["base_unit inserted"] == 0
    g1 = conn.execute(
        text(
            "SELECT g.households FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
            "WHERE l.code = 'unified' AND g.code = :c"
        ),
        {"c": f"{COMMUNITY_A}001"},
    ).scalar_one()
    assert g1 == 1234 + 200  # G1 = U1 + U2
    after = dict(conn.execute(text("SELECT code, version FROM grid_layer")).all())
    assert after["unified"] == versions["unified"] + 1
    assert after["zongzhi"] == versions["zongzhi"] + 1
    assert after["chengguan"] == versions["chengguan"]


def test_redrawn_units_are_measured_again_and_their_grid_falls_into_pieces(
    conn: Connection, tmp_path: Path
) -> None:
    """U2 is redrawn 1/5 of a block smaller on every side: it touches no other unit, so G1 (U1 +
    U2) is in two pieces, and the shared boundaries the editor and the figures read say so."""
    frame = units_frame()
    frame.loc[1, "geometry"] = cell(2).buffer(-STEP / 5, join_style="mitre")
    path = tmp_path / "units.geojson"
    frame.to_file(path, driver="GeoJSON")
    u2 = unit_code(2)
    edges_of_u2 = text(
        "SELECT count(*) FROM unit_edge e JOIN base_unit u ON u.id IN (e.unit_a, e.unit_b) "
        "WHERE u.code = :u"
    )
    assert conn.execute(edges_of_u2, {"u": u2}).scalar_one() == 3  # U1, U3, U5
    import_file(conn, "units", path, access=Access.system(ACTOR))
    assert conn.execute(edges_of_u2, {"u": u2}).scalar_one() == 0
    pieces = conn.execute(
        text(
            "SELECT g.pieces FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
            "WHERE l.code = 'unified' AND g.code = :c"
        ),
        {"c": f"{COMMUNITY_A}001"},
    ).scalar_one()
    assert pieces == 2


def test_projected_units_need_their_crs(conn: Connection, tmp_path: Path) -> None:
    """CGCS2000 3° Gauss–Krüger zone 39 (EPSG:4527), with no .prj: refused, then read."""
    frame = units_frame().to_crs("EPSG:4527")
    path = tmp_path / "units_gk.csv"
    pd.DataFrame(frame.drop(columns="geometry")).assign(wkt=frame.geometry.to_wkt()).to_csv(
        path, index=False
    )
    with pytest.raises(InvalidFile, match="cannot be lon/lat.*EPSG:4527"):
        import_file(conn, "units", path, access=Access.system(ACTOR))
    report = import_file(
        conn, "units", path, ImportOptions(crs="EPSG:4527"), access=Access.system(ACTOR)
    )
    assert report.crs.startswith("EPSG:4527")
    moved = conn.execute(
        text(
            "SELECT max(ST_HausdorffDistance(geom::geography::geometry, geom)) FROM base_unit "
            "WHERE code = ANY(:c)"
        ),
        {"c": [unit_code(n) for n in range(1, 10)]},
    ).scalar_one()
    assert moved == 0
    stored = conn.execute(
        text("SELECT ST_AsBinary(geom) FROM base_unit WHERE code = :c"), {"c": unit_code(5)}
    ).scalar_one()
    assert metres(shapely.from_wkb(bytes(stored)), cell(5)) < 0.001


def test_gcj02_members_from_csv_land_where_they_are(conn: Connection) -> None:
    """A party-member list with AMap (GCJ-02) coordinates: read as WGS84 it would sit ~500 m off,
    outside the city; read as GCJ-02 it lands in U5 and U1, within a millimetre."""
    path = DATA / "members_gcj02.csv"
    with pytest.raises(ImportRejected) as refused:
        import_file(conn, "party_members", path, access=Access.system(ACTOR))
    assert all("outside the city" in p.reason for p in refused.value.report.errors)
    report = import_file(
        conn, "party_members", path, ImportOptions(crs="gcj02"), access=Access.system(ACTOR)
    )
    assert report.crs == "GCJ-02" and report.written["party_member inserted"] == 2
    rows = conn.execute(
        text(
            "SELECT m.code, c.code, m.name, ST_AsBinary(m.geom) FROM party_member m "
            "JOIN community c ON c.id = m.community_id WHERE m.code LIKE 'GCJ%' ORDER BY 1"
        )
    ).all()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("GCJ0001", COMMUNITY_A, "张三丰"),
        ("GCJ0002", COMMUNITY_A, "李四"),
    ]
    assert metres(shapely.from_wkb(bytes(rows[0][3])), U5_POINT) < 0.001
    assert metres(shapely.from_wkb(bytes(rows[1][3])), cell(1).centroid) < 0.001


def test_gcj02_of_a_known_place() -> None:
    """Beijing's reference point (116.404, 39.915) WGS84 is (116.41024449916938,
    39.91640428150164) in GCJ-02, as the widely used coordtransform/hutool tables give it; our
    inverse brings that back to within a few centimetres, from a raw offset of ~570 m."""
    gcj = shapely.points([[116.41024449916938, 39.91640428150164]])
    back = to_wgs84(gcj, parse_crs("gcj02"))[0]
    err = math.hypot(
        (back.x - 116.404) * 111_320 * math.cos(math.radians(39.915)), (back.y - 39.915) * 110_574
    )
    raw = math.hypot(
        (gcj[0].x - 116.404) * 111_320 * math.cos(math.radians(39.915)),
        (gcj[0].y - 39.915) * 110_574,
    )
    assert err < 0.05 and 400 < raw < 800
    # BD-09 (Baidu) there and back, the same place: well under a millimetre.
    bd09 = parse_crs("bd09")
    there = from_wgs84(shapely.points([[116.404, 39.915]]), bd09)
    again = to_wgs84(there, bd09)[0]
    assert abs(again.x - 116.404) < 1e-8 and abs(again.y - 39.915) < 1e-8
    assert abs(there[0].x - 116.404) > 0.005  # Baidu's shift is larger still


def test_xlsx_buildings_by_lon_lat_and_kml_incidents(conn: Connection, tmp_path: Path) -> None:
    xlsx = tmp_path / "楼栋.xlsx"
    pd.DataFrame(
        {
            "楼栋编码": ["XB001", "XB002"],
            "名称": ["新1栋", "新2栋"],
            "户数": [24, 36],
            "层数": [6, 11],
            "经度": [cell(2).centroid.x, cell(9).centroid.x],
            "纬度": [cell(2).centroid.y, cell(9).centroid.y],
        }
    ).to_excel(xlsx, index=False)
    report = import_file(conn, "buildings", xlsx, access=Access.system(ACTOR))
    assert report.written["building inserted"] == 2
    assert any("placeholder footprint" in w for w in report.warnings)
    units = dict(
        conn.execute(
            text(
                "SELECT b.code, u.code FROM building b JOIN base_unit u ON u.id = b.base_unit_id "
                "WHERE b.code LIKE 'XB%'"
            )
        ).all()
    )
    assert units == {"XB001": unit_code(2), "XB002": unit_code(9)}

    kml = tmp_path / "incidents.kml"
    frame = gpd.GeoDataFrame(
        {
            "Name": ["K0001"],
            "category": ["环境卫生"],
            "reported_at": ["2025-05-01 08:30"],
        },
        geometry=[U5_POINT],
        crs="EPSG:4326",
    )
    pyogrio.write_dataframe(frame, kml, driver="KML")
    report = import_file(
        conn, "incidents", kml, ImportOptions(columns={"code": "Name"}), access=Access.system(ACTOR)
    )
    assert report.fmt == "kml" and report.written["incident inserted"] == 1
    row = conn.execute(
        text(
            "SELECT u.code, i.state, i.reported_at AT TIME ZONE 'Asia/Shanghai' FROM incident i "
            "JOIN base_unit u ON u.id = i.base_unit_id WHERE i.code = 'K0001'"
        )
    ).one()
    assert row[0] == unit_code(5) and row[1] == "reported" and row[2].hour == 8
    # Located like any other incident: its unified grid and H3 cell are filled in.
    located = conn.execute(
        text(
            "SELECT g.code, i.h3_cell IS NOT NULL, i.source FROM incident i "
            "JOIN grid g ON g.id = i.grid_id WHERE i.code = 'K0001'"
        )
    ).one()
    assert tuple(located) == (f"{COMMUNITY_A}002", True, "import")


# ----------------------------------------------------------------------------- refusals


def test_invalid_geometry_is_named_by_row_and_id_and_repaired_on_request(
    conn: Connection, tmp_path: Path
) -> None:
    frame = units_frame()
    frame.loc[4, "geometry"] = bowtie(5)
    path = tmp_path / "units.gpkg"
    pyogrio.write_dataframe(frame, path, driver="GPKG")
    with pytest.raises(ImportRejected) as refused:
        import_file(conn, "units", path, access=Access.system(ACTOR))
    (problem,) = refused.value.report.errors
    assert (problem.row, problem.id) == (5, unit_code(5))
    assert "Self-intersection" in problem.reason
    # A bow-tie becomes two triangles: not one polygon, so repair is not offered for a unit…
    assert not problem.repairable and "redraw" in problem.reason

    # …but a departmental grid may have two parts: --repair fixes and reports it.
    layer = drawn_layer()
    layer.loc[1, "geometry"] = shapely.Polygon(
        [(X0 + 0.0015, Y0), (X0 + 0.003, Y0 + 0.002), (X0 + 0.003, Y0), (X0 + 0.0015, Y0 + 0.002)]
    )
    lpath = tmp_path / "layer.gpkg"
    pyogrio.write_dataframe(layer, lpath, driver="GPKG")
    with pytest.raises(ImportRejected, match="--repair") as refused:
        import_file(
            conn, "layer", lpath, ImportOptions(layer="test_rep"), access=Access.system(ACTOR)
        )
    assert refused.value.report.errors[0].repairable
    fixed = import_file(
        conn,
        "layer",
        lpath,
        ImportOptions(layer="test_rep", repair=True),
        access=Access.system(ACTOR),
    )
    (repair,) = fixed.repaired
    assert repair.row == 2 and repair.id == D2 and repair.became == "MultiPolygon (2 parts)"


def test_each_bad_row_is_reported(conn: Connection, tmp_path: Path) -> None:
    """Unclosed ring, empty geometry, wrong type, duplicate id, unknown community, a unit
    outside its community, a point outside the city, a bad number: all in one report."""
    wkt = [g.wkt for g in (cell(n) for n in range(1, 10))]
    wkt[1] = "POLYGON ((116.001 27.5, 116.002 27.5, 116.002 27.501, 116.001 27.501))"
    wkt[2] = "POLYGON EMPTY"
    wkt[3] = "LINESTRING (116.0 27.501, 116.001 27.502)"
    rows = pd.DataFrame(
        {
            "code": [unit_code(n) for n in range(1, 10)],
            "community_code": [unit_code(n)[:12] for n in range(1, 10)],
            "households": ["10"] * 9,
            "wkt": wkt,
        }
    )
    rows.loc[5, "code"] = unit_code(5)  # row 7: a second U005
    rows.loc[6, "community_code"] = "369901001099"  # row 8: no such community
    rows.loc[7, "community_code"] = COMMUNITY_B  # row 9: U8's square lies in A
    rows.loc[8, "wkt"] = box(120.0, 30.0, 120.001, 30.001).wkt  # row 10: far away
    rows.loc[0, "households"] = "十"  # row 2
    path = tmp_path / "units.csv"
    rows.to_csv(path, index=False)
    before = every_table(conn)
    with pytest.raises(ImportRejected) as refused:
        import_file(conn, "units", path, access=Access.system(ACTOR))
    assert every_table(conn) == before
    by_row: dict[int | None, str] = {}
    for p in refused.value.report.errors:
        by_row[p.row] = by_row.get(p.row, "") + p.reason + "; "
    assert "ring not closed" in by_row[3]
    assert by_row[4] == "empty geometry; "
    assert "wrong geometry type: LineString" in by_row[5]
    assert "duplicate id" in by_row[7] and "row 6" in by_row[7]
    assert "unknown community code" in by_row[8]
    assert f"outside its community {COMMUNITY_B}" in by_row[9]
    assert "outside the city" in by_row[10]
    assert "not a whole number" in by_row[2]


def test_a_failed_import_leaves_every_table_unchanged(conn: Connection, tmp_path: Path) -> None:
    """Eight good rows and one bad: not one of the good ones is written."""
    frame = units_frame(dict.fromkeys(range(1, 10), 7777))
    frame.loc[8, "community_code"] = "369901001099"
    path = tmp_path / "units.geojson"
    frame.to_file(path, driver="GeoJSON")
    households = "SELECT sum(households) FROM base_unit WHERE code LIKE '369901%'"
    before, before_households = every_table(conn), conn.execute(text(households)).scalar_one()
    with pytest.raises(ImportRejected, match="1 problem"):
        import_file(conn, "units", path, access=Access.system(ACTOR))
    assert every_table(conn) == before
    assert conn.execute(text(households)).scalar_one() == before_households


def test_a_file_that_is_not_what_its_name_says(conn: Connection, tmp_path: Path) -> None:
    gpkg = tmp_path / "units.gpkg"
    pyogrio.write_dataframe(units_frame(), gpkg, driver="GPKG")
    liar = tmp_path / "units.geojson"
    liar.write_bytes(gpkg.read_bytes())
    with pytest.raises(InvalidFile, match="is not GeoJSON: its content is a GeoPackage"):
        import_file(conn, "units", liar, access=Access.system(ACTOR))
    text_zip = tmp_path / "units.zip"
    text_zip.write_text("code,wkt\n")
    with pytest.raises(InvalidFile, match="not a zipped Shapefile"):
        import_file(conn, "units", text_zip, access=Access.system(ACTOR))
    with pytest.raises(InvalidFile, match="unsupported file type .dwg"):
        import_file(conn, "units", tmp_path / "plan.dwg", access=Access.system(ACTOR))


def test_a_missing_id_column_says_which_option_names_it(conn: Connection, tmp_path: Path) -> None:
    path = tmp_path / "units.geojson"
    units_frame().rename(columns={"code": "单元号"}).to_file(path, driver="GeoJSON")
    with pytest.raises(InvalidFile, match="--id-column"):
        import_file(conn, "units", path, access=Access.system(ACTOR))
    report = import_file(
        conn, "units", path, ImportOptions(id_column="单元号"), access=Access.system(ACTOR)
    )
    assert report.ok


def test_imports_stay_inside_the_actors_scope(conn: Connection, tmp_path: Path, users) -> None:
    from gis.accounts import get_user
    from gis.errors import Forbidden

    path = tmp_path / "units.geojson"
    units_frame().to_file(path, driver="GeoJSON")
    assert import_file(
        conn, "units", path, access=Access.of(get_user(conn, "t-admin"))
    ).ok  # city:3699
    with pytest.raises(Forbidden):
        import_file(
            conn, "units", path, access=Access.of(get_user(conn, "t-planner"))
        )  # no import_data


# ----------------------------------------------------------------------------- export


def _leader(conn: Connection) -> None:
    grid_id = conn.execute(
        text(
            "SELECT g.id FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
            "WHERE l.code = 'unified' AND g.code = :c"
        ),
        {"c": f"{COMMUNITY_A}001"},
    ).scalar_one()
    member = conn.execute(
        text(
            "INSERT INTO party_member (code, name, phone, geom) VALUES "
            "('TL001', '王小明', '13700001234', ST_Point(116.0005, 27.5005, 4326)) RETURNING id"
        )
    ).scalar_one()
    conn.execute(
        text(
            "INSERT INTO assignment (member_id, role, grid_id, starts_on) "
            "VALUES (:m, 'grid_leader', :g, '2024-01-01')"
        ),
        {"m": member, "g": grid_id},
    )


def test_xlsx_lists_grids_with_leaders_masked_unless_allowed(conn: Connection) -> None:
    _leader(conn)
    masked = export_layer(conn, "unified", "xlsx", access=MASKED)
    full = export_layer(conn, "unified", "xlsx", access=Access.system(ACTOR, scope=TINY))
    assert masked.personal_fields == ["grid_leader"]
    assert (masked.personal_data, full.personal_data) == ("masked", "full")

    def rows(data: bytes) -> dict[str, dict[str, object]]:
        sheet = load_workbook(io.BytesIO(data))["网格 Grids"]
        values = list(sheet.values)
        header = values[0]
        return {r[0]: dict(zip(header, r, strict=True)) for r in values[1:]}

    m, f = rows(masked.data), rows(full.data)
    assert set(m) == {f"{COMMUNITY_A}001", f"{COMMUNITY_A}002", f"{COMMUNITY_B}001"}
    g1 = f"{COMMUNITY_A}001"
    assert m[g1]["grid_leader"] == "王*明" and f[g1]["grid_leader"] == "王小明"
    assert m[g1]["community_code"] == COMMUNITY_A and m[g1]["households"] == 300
    about = [r[0] for r in load_workbook(io.BytesIO(masked.data))["说明 About"].values]
    assert "grid_leader" in about


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "shp", "csv"])
@pytest.mark.parametrize("crs", ["wgs84", "cgcs2000", "gcj02"])
def test_export_then_import_gives_back_codes_and_geometry(
    conn: Connection, tmp_path: Path, fmt: str, crs: str
) -> None:
    exported = export_layer(conn, "zongzhi", fmt, crs=crs, encoding="gbk", access=MASKED)
    path = tmp_path / exported.filename
    path.write_bytes(exported.data)
    source = read_source(path)
    assert source.encoding in (None, "GBK", "GB18030", "UTF-8")
    back = to_wgs84(source.frame.geometry.to_numpy(), parse_crs(crs))
    codes = source.frame["code"].tolist()
    stored = dict(
        conn.execute(
            text(
                "SELECT g.code, ST_AsBinary(g.geom) FROM grid g JOIN grid_layer l "
                "ON l.id = g.layer_id WHERE l.code = 'zongzhi' AND g.code LIKE '369901%'"
            )
        ).all()
    )
    assert sorted(codes) == sorted(stored)
    worst = max(
        metres(geom, shapely.from_wkb(bytes(stored[c])))
        for c, geom in zip(codes, back, strict=True)
    )
    assert worst < 0.001, f"{fmt}/{crs}: {worst * 1000:.3f} mm"
    names = source.frame["name"].tolist()
    assert "综治第1网格" in names

    report = import_file(
        conn,
        "layer",
        path,
        ImportOptions(layer="roundtrip", crs=crs),
        check=True,
        access=Access.system(ACTOR),
    )
    assert report.ok and report.findings["units_assigned"] == 9
    assert report.findings["gap_units"] == 0 and report.findings["split_units"] == 0


def test_export_files_say_what_they_hold(conn: Connection) -> None:
    doc = json.loads(export_layer(conn, "unified", "geojson", access=MASKED).data)
    assert doc["gridmap"]["personal_fields"] == ["grid_leader"]
    assert doc["gridmap"]["personal_data"] == "masked"
    shp = export_layer(conn, "unified", "shp", encoding="gbk", access=MASKED)
    with zipfile.ZipFile(io.BytesIO(shp.data)) as archive:
        names = set(archive.namelist())
        assert {
            "unified_grids.shp",
            "unified_grids.cpg",
            "unified_grids.prj",
            "fields.txt",
        } <= names
        assert archive.read("unified_grids.cpg") == b"GBK"
        assert "leader" in archive.read("fields.txt").decode()
    gcj = json.loads(export_layer(conn, "unified", "geojson", crs="gcj02", access=MASKED).data)
    assert "GCJ-02" in gcj["gridmap"]["note"]


# ----------------------------------------------------------------------------- topology


def test_topology_finds_gaps_overlaps_multipart_and_crossings(conn: Connection) -> None:
    clean = check_layer(conn, "unified", access=Access.system(scope=TINY)).summary
    assert (clean["gaps"], clean["overlaps"], clean["multipart_grids"]) == (0, 0, 0)
    assert clean["uncovered_share"] == 0
    zz = check_layer(conn, "zongzhi", access=Access.system(scope=TINY))
    assert zz.summary["grids_crossing_communities"] == 1

    # Take U5 out of the unified net (a gap), give G1 = {U1, U2} the far corner U9 (two parts)
    # and draw G3 over U2 (an overlap of one block, ~10,900 m²).
    def grid_id(code: str) -> int:
        return conn.execute(
            text(
                "SELECT g.id FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
                "WHERE l.code = 'unified' AND g.code = :c"
            ),
            {"c": code},
        ).scalar_one()

    g1, g3 = grid_id(f"{COMMUNITY_A}001"), grid_id(f"{COMMUNITY_B}001")
    conn.execute(
        text(
            "DELETE FROM grid_unit WHERE layer_id = (SELECT id FROM grid_layer "
            "WHERE code = 'unified') AND unit_id = (SELECT id FROM base_unit WHERE code = :u)"
        ),
        {"u": unit_code(5)},
    )
    conn.execute(
        text(
            "UPDATE grid SET geom = ST_Multi(ST_Union(geom, ST_GeomFromText(:w, 4326))) "
            "WHERE id = :g"
        ),
        [{"w": cell(9).wkt, "g": g1}, {"w": cell(2).wkt, "g": g3}],
    )
    conn.execute(text("UPDATE grid SET geom = ST_Multi(ST_Union(geom, ST_MakeValid(geom)))"))
    conn.execute(
        text(
            "UPDATE grid SET geom = (SELECT ST_Multi(ST_Union(u.geom)) FROM grid_unit gu "
            "JOIN base_unit u ON u.id = gu.unit_id WHERE gu.grid_id = grid.id) "
            "WHERE id = :g"
        ),
        {"g": grid_id(f"{COMMUNITY_A}002")},
    )
    result = check_layer(conn, "unified", access=Access.system(scope=TINY))
    s = result.summary
    assert s["gaps"] == 1 and s["gap_area_m2"] == pytest.approx(10_900, rel=0.02)
    assert s["overlaps"] >= 1 and s["overlap_area_m2"] == pytest.approx(2 * 10_900, rel=0.05)
    assert s["multipart_grids"] == 1
    assert 0.1 < s["uncovered_share"] < 0.12  # one block of nine
    fc = json.loads(result.geojson)
    kinds = {f["properties"]["problem"] for f in fc["features"]}
    assert {"gap", "overlap", "multipart"} <= kinds
    gap = next(f for f in fc["features"] if f["properties"]["problem"] == "gap")
    assert shapely.equals_exact(
        shapely.normalize(shapely.geometry.shape(gap["geometry"])),
        shapely.normalize(cell(5)),
        tolerance=1e-6,
    )


def test_a_thin_gap_is_a_sliver(conn: Connection) -> None:
    conn.execute(
        text(
            "UPDATE grid SET geom = ST_Multi(ST_Difference(geom, ST_GeomFromText(:w, 4326))) "
            "WHERE code = :c AND layer_id = (SELECT id FROM grid_layer WHERE code = 'unified')"
        ),
        {"w": box(X0 + 0.0009995, Y0, X0 + 0.001, Y0 + 0.001).wkt, "c": f"{COMMUNITY_A}001"},
    )
    s = check_layer(conn, "unified", access=Access.system(scope=TINY)).summary
    assert s["slivers"] == 1 and s["gaps"] == 0 and s["sliver_area_m2"] < 10


def test_department_coverage_is_part_of_every_check(conn: Connection) -> None:
    s = check_layer(conn, "zongzhi", access=Access.system(scope=TINY)).summary
    assert s["departments"] == [
        {
            "code": "zongzhi",
            "name": "综治网格",
            "department": "综治办",
            "uncovered_share": 0.0,
            "uncovered_km2": 0.0,
        }
    ]
    conn.execute(
        text(
            "DELETE FROM grid_unit WHERE layer_id = (SELECT id FROM grid_layer "
            "WHERE code = 'zongzhi') AND unit_id = (SELECT id FROM base_unit WHERE code = :u)"
        ),
        {"u": unit_code(7)},
    )
    (zz,) = check_layer(conn, "zongzhi", access=Access.system(scope=TINY)).summary["departments"]
    assert zz["uncovered_share"] == pytest.approx(1 / 9, rel=0.02)


def test_unknown_point_type_rows(conn: Connection, tmp_path: Path) -> None:
    """Members given as polygons are refused by row (a member is a point)."""
    frame = gpd.GeoDataFrame(
        {"code": ["P1"], "name": ["赵六"]}, geometry=[cell(1)], crs="EPSG:4326"
    )
    path = tmp_path / "m.geojson"
    frame.to_file(path, driver="GeoJSON")
    with pytest.raises(ImportRejected, match="wrong geometry type: Polygon"):
        import_file(conn, "party_members", path, access=Access.system(ACTOR))
