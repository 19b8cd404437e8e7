"""The exchange endpoints over HTTP, and the CLI commands: roles, scopes, reports, files."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from shapely.geometry import box
from sqlalchemy import Connection, text
from typer.testing import CliRunner

from gridmap_cli.main import app as cli_app
from tests.exchange_files import DATA, units_frame
from tests.tiny_city import COMMUNITY_A, unit_code


def _upload(path: Path) -> dict[str, tuple[str, bytes]]:
    return {"file": (path.name, path.read_bytes())}


def test_an_administrator_checks_then_imports_a_layer(client_as, conn: Connection) -> None:
    client = client_as("t-admin")  # administrator of city:3699, the tiny city
    files = _upload(DATA / "layer_gbk.zip")
    form = {"kind": "layer", "options": json.dumps({"layer": "api_zz"}), "check": "true"}
    dry = client.post("/imports", files=files, data=form)
    assert dry.status_code == 200, dry.text
    body = dry.json()
    assert body["check"] and body["ok"] and body["encoding"] == "GBK"
    assert body["findings"]["gaps"] == [{"unit": unit_code(9), "community": "369901001002"}]
    assert conn.execute(text("SELECT count(*) FROM grid_layer WHERE code = 'api_zz'")).scalar() == 0

    form["check"] = "false"
    done = client.post("/imports", files=files, data=form)
    assert done.status_code == 200, done.text
    assert done.json()["batch_id"] is not None
    assert conn.execute(text("SELECT count(*) FROM grid_layer WHERE code = 'api_zz'")).scalar() == 1
    batches = client.get("/imports").json()
    assert batches[0]["kind"] == "layer" and batches[0]["actor"] == "t-admin"


def test_a_bad_file_is_refused_with_every_row_named(client_as, tmp_path: Path) -> None:
    frame = units_frame()
    frame.loc[2, "community_code"] = "369901001099"
    path = tmp_path / "units.geojson"
    frame.to_file(path, driver="GeoJSON")
    answer = client_as("root").post("/imports", files=_upload(path), data={"kind": "units"})
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert "nothing was imported" in problem["detail"]
    (error,) = problem["report"]["errors"]
    assert error["row"] == 3 and error["id"] == unit_code(3)
    assert "unknown community code" in error["reason"]


def test_bad_requests_name_the_problem(client_as, tmp_path: Path) -> None:
    client = client_as("root")
    path = tmp_path / "units.geojson"
    units_frame().to_file(path, driver="GeoJSON")
    bad_options = client.post(
        "/imports", files=_upload(path), data={"kind": "units", "options": "{nope"}
    )
    assert bad_options.status_code == 422 and "JSON" in bad_options.json()["detail"]
    unknown = client.post(
        "/imports", files=_upload(path), data={"kind": "units", "options": '{"colour": 1}'}
    )
    assert unknown.status_code == 422 and "colour" in unknown.json()["detail"]
    dwg = client.post("/imports", files={"file": ("plan.dwg", b"AC1032")}, data={"kind": "units"})
    assert dwg.status_code == 422 and ".dwg" in dwg.json()["detail"]
    kind = client.post("/imports", files=_upload(path), data={"kind": "planets"})
    assert kind.status_code == 422


@pytest.mark.parametrize(
    "username", ["t-planner", "t-county", "t-department", "t-party", "t-worker"]
)
def test_only_importers_may_import(client_as, username: str, tmp_path: Path) -> None:
    path = tmp_path / "units.geojson"
    units_frame().to_file(path, driver="GeoJSON")
    answer = client_as(username).post("/imports", files=_upload(path), data={"kind": "units"})
    assert answer.status_code == 403


def test_imports_outside_the_scope_are_forbidden(
    client_as, conn: Connection, tmp_path: Path
) -> None:
    """t-admin administers 3699… (the tiny city): units in 临川区 (3610…) are not theirs."""
    x, y = conn.execute(
        text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM base_unit "
            "WHERE code LIKE '361002%' ORDER BY code LIMIT 1) t"
        )
    ).one()
    frame = units_frame().iloc[:1].copy()
    frame["code"], frame["community_code"] = ["X-far"], [""]
    frame.geometry = [box(x - 1e-5, y - 1e-5, x + 1e-5, y + 1e-5)]
    path = tmp_path / "far.geojson"
    frame.to_file(path, driver="GeoJSON")
    answer = client_as("t-admin").post("/imports", files=_upload(path), data={"kind": "units"})
    assert answer.status_code == 403 and "outside your scope" in answer.json()["detail"]
    assert (
        client_as("root")
        .post("/imports", files=_upload(path), data={"kind": "units", "check": "true"})
        .json()["ok"]
    )


def test_anonymous_users_get_401(anon) -> None:
    assert (
        anon.post("/imports", files={"file": ("a.csv", b"x")}, data={"kind": "units"}).status_code
        == 401
    )
    assert anon.get("/layers/unified/export").status_code == 401
    assert anon.get("/layers/unified/check").status_code == 401


def test_export_over_http_masks_leaders_for_roles_without_personal_data(client_as) -> None:
    planner = client_as("t-planner").get("/layers/unified/export?format=shp&encoding=gbk")
    assert planner.status_code == 200
    assert planner.headers["content-disposition"].startswith('attachment; filename="unified_wgs84_')
    assert planner.headers["x-gridmap-personal-fields"] == "grid_leader"
    assert planner.headers["x-gridmap-personal-data"] == "masked"
    with zipfile.ZipFile(io.BytesIO(planner.content)) as archive:
        assert archive.read("unified_grids.cpg") == b"GBK"
    # The planner's scope is the tiny district: only its three unified grids.
    gj = client_as("t-planner").get("/layers/unified/export?format=geojson&crs=gcj02").json()
    assert sorted(f["properties"]["code"] for f in gj["features"]) == [
        f"{COMMUNITY_A}001",
        f"{COMMUNITY_A}002",
        "369901001002001",
    ]
    party = client_as("t-party").get("/layers/unified/export?format=csv")
    assert party.headers["x-gridmap-personal-data"] == "full"
    bad = client_as("t-planner").get("/layers/unified/export?format=dxf")
    assert bad.status_code == 422
    missing = client_as("t-planner").get("/layers/nope/export")
    assert missing.status_code == 404


def test_check_over_http(client_as) -> None:
    answer = client_as("t-planner").get("/layers/zongzhi/check")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/geo+json")
    doc = answer.json()
    assert doc["summary"]["grids_crossing_communities"] == 1
    (crossing,) = [f for f in doc["features"] if f["properties"]["problem"] == "crossing"]
    assert crossing["properties"]["label"] == f"{COMMUNITY_A}902"
    assert sorted(crossing["properties"]["communities"]) == [COMMUNITY_A, "369901001002"]


# ----------------------------------------------------------------------------- CLI


@pytest.fixture
def cli(engine, pg_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", pg_url)
    monkeypatch.setenv("GRIDMAP_DATA_DIR", str(tmp_path))
    return CliRunner()


def test_cli_import_check_export_and_check(cli: CliRunner, engine, tmp_path: Path) -> None:
    with engine.connect() as c:
        before = c.execute(text("SELECT count(*) FROM grid_layer")).scalar()
    dry = cli.invoke(
        cli_app,
        ["import", "layer", str(DATA / "layer_gbk_no_cpg.zip"), "--layer", "cli_zz", "--check"],
    )
    assert dry.exit_code == 0, dry.output
    assert (
        "dry run" in dry.output
        and "GB18030" in dry.output
        and f"gap: unit {unit_code(9)}" in dry.output
    )
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM grid_layer")).scalar() == before

    gk = cli.invoke(cli_app, ["import", "units", str(DATA / "members_gcj02.csv")])
    assert gk.exit_code == 2 and "no column for code" in gk.output

    out = tmp_path / "zz.xlsx"
    exported = cli.invoke(cli_app, ["export", "zongzhi", "--format", "xlsx", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    assert out.stat().st_size > 0 and "masked" in exported.output

    checked = cli.invoke(cli_app, ["check", "zongzhi", "--json"])
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.output)["grids_crossing_communities"] >= 1
