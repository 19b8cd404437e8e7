"""The provincial office: its role and scope, and the roll-ups by city and county it compares.

The sample city (抚州 3610, several districts) and the tiny city (3699) both lie in Jiangxi (36):
the office of province 36 sees both cities; an office of another province (35) sees nothing of
them, and a county compares only its own streets.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Connection, text
from typer.testing import CliRunner

from gis.access import Access
from gis.accounts import Permission, Role, User
from gis.errors import Forbidden, Invalid
from gis.incidents.figures import figures
from gis.incidents.queries import Filters
from gis.layers import list_layers
from gis.needs.figures import Period
from gis.rollups import rollup
from gis.scope import Scope
from gridmap_cli.main import app as cli_app
from tests.conftest import ClientAs
from tests.tiny_city import DISTRICT

BAND = (0.75, 1.25)
NOW = dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC)
YEAR = Period(dt.date(2025, 12, 8), dt.date(2026, 12, 7))


def office(code: str) -> Access:
    """A provincial office of province ``code`` (a user that need not be in the database)."""
    user = User(0, f"p{code}", "省级", Role.PROVINCE, Scope.province(code), None, True)
    return Access.of(user)


def test_a_province_office_reads_and_compares_but_edits_nothing() -> None:
    user = office("36").user
    assert user is not None
    assert user.can(Permission.VIEW_MAP) and user.can(Permission.COMPARE_AREAS)
    for edit in (Permission.EDIT_LAYERS, Permission.RUN_SCENARIOS, Permission.MANAGE_USERS,
                 Permission.VIEW_PERSONAL_DATA, Permission.DISPATCH_INCIDENTS):  # fmt: skip
        assert not user.can(edit)


def test_counties_roll_up_with_the_layer_lists_own_balance(conn: Connection) -> None:
    found = rollup(conn, "district", within="3610", period=YEAR, band=BAND,
                   access=office("36"), now=NOW)  # fmt: skip
    codes = [a.code for a in found.areas]
    assert "361002" in codes and all(c.startswith("3610") for c in codes) and len(codes) >= 2
    units = conn.execute(text(
        "SELECT count(*) FROM base_unit u JOIN community c ON c.id = u.community_id "
        "WHERE c.code LIKE '3610%'")).scalar_one()  # fmt: skip
    assert sum(a.units for a in found.areas) == units
    linchuan = next(a for a in found.areas if a.code == "361002")
    assert linchuan.name == "临川区"
    # the same balance as the layer list of a 临川区 user (one definition, not a second)
    there = office("36").narrowed(Scope.district("361002"))
    unified = next(la for la in list_layers(conn, BAND, access=there) if la.code == "unified")
    assert (linchuan.grids, linchuan.workload_cv, linchuan.share_in_band) == (
        unified.grid_count, unified.workload_cv, unified.share_in_band)  # fmt: skip
    # incidents: the command centre's own count of problems in the period
    since = dt.datetime(2025, 12, 8, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    until = dt.datetime(2026, 12, 8, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    counted = figures(conn, "community", Filters(since=since, until=until), access=there, now=NOW)
    assert linchuan.incidents == counted["total"]["total"] > 0
    assert linchuan.incidents_per_grid == round(linchuan.incidents / linchuan.grids, 2)
    members = conn.execute(text(
        "SELECT count(*) FROM party_member m JOIN community c ON c.id = m.community_id "
        "WHERE c.code LIKE '361002%'")).scalar_one()  # fmt: skip
    assert linchuan.party_members == members > 0


def test_cities_and_streets_are_levels_of_the_same_rollup(conn: Connection) -> None:
    cities = rollup(conn, "city", period=YEAR, band=BAND, access=office("36"), now=NOW)
    assert [a.code for a in cities.areas] == ["3610", "3699"]
    counties = rollup(conn, "district", within="3610", period=YEAR, band=BAND,
                      access=office("36"), now=NOW)  # fmt: skip
    assert cities.areas[0].grids == sum(a.grids for a in counties.areas)
    assert cities.areas[0].incidents == sum(a.incidents for a in counties.areas)
    streets = rollup(conn, "street", within="361002", period=YEAR, band=BAND,
                     access=office("36"), now=NOW)  # fmt: skip
    assert streets.areas and all(a.code.startswith("361002") for a in streets.areas)
    assert sum(a.grids for a in streets.areas) == counties.areas[0].grids


def test_another_province_sees_nothing_and_may_not_ask(conn: Connection) -> None:
    fujian = office("35")
    assert rollup(conn, "city", period=YEAR, band=BAND, access=fujian, now=NOW).areas == []
    with pytest.raises(Forbidden, match="36"):
        rollup(conn, "district", within="36", period=YEAR, band=BAND, access=fujian, now=NOW)
    assert all(layer.grid_count == 0 for layer in list_layers(conn, BAND, access=fujian))
    assert not Scope.province("35").contains(Scope.city("3610"))
    assert Scope.province("36").contains(Scope.district("361002"))


def test_rollups_over_http_follow_role_and_scope(client_as: ClientAs) -> None:
    province = client_as("jx-province")
    r = province.get("/rollups", params={"by": "city"})
    assert r.status_code == 200, r.text
    assert [a["code"] for a in r.json()["areas"]] == ["3610", "3699"]
    county = client_as("t-county")  # the tiny county 369901: its own streets only
    r = county.get("/rollups", params={"by": "street"})
    assert r.status_code == 200 and r.json()["within"] == DISTRICT
    assert all(a["code"].startswith(DISTRICT) for a in r.json()["areas"])
    assert county.get("/rollups", params={"by": "district", "within": "3610"}).status_code == 403
    r = county.get("/rollups", params={"by": "city"})
    assert r.status_code == 422 and "finer" in r.json()["detail"]
    assert client_as("t-planner").get("/rollups").status_code == 403
    every_day = {"by": "city", "start": "0001-01-01", "end": "9999-12-31"}
    assert province.get("/rollups", params=every_day).status_code == 200
    backwards = {"by": "city", "start": "2026-12-07", "end": "2026-01-01"}
    assert province.get("/rollups", params=backwards).status_code == 422
    r = province.get("/rollups/export", params={"by": "district", "within": "3610",
                                                "format": "csv"})  # fmt: skip
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["代码", "名称", "基础单元", "网格"]
    assert {row[1] for row in rows[1:]} >= {"临川区"}


def test_province_users_are_created_with_a_province_scope(conn: Connection) -> None:
    from gis.accounts import create_user

    made = create_user(conn, username="jx-two", password="correct-horse-battery",
                       role=Role.PROVINCE, scope=Scope.parse("province:36"), department=None,
                       access=Access.system("system:tests"))  # fmt: skip
    assert made.scope == Scope.province("36") and made.scope.label == "全省 36"
    with pytest.raises(Invalid, match="province or city"):
        create_user(conn, username="jx-three", password="correct-horse-battery",
                    role=Role.PROVINCE, scope=Scope.district("361002"), department=None,
                    access=Access.system("system:tests"))  # fmt: skip


def test_the_page_opens_for_those_who_compare(client_as: ClientAs) -> None:
    page = client_as("jx-province").get("/province")
    assert page.status_code == 200 and "区县比较" in page.text
    assert 'data-testid="nav-province"' in page.text
    assert client_as("t-planner").get("/province").status_code == 403


def test_the_cli_prints_and_writes_the_same_rollup(
    engine: object, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", pg_url)
    monkeypatch.setenv("GRIDMAP_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    shown = runner.invoke(cli_app, ["province", "rollup", "--by", "district", "--within", "3610"])
    assert shown.exit_code == 0, shown.output
    assert "临川区" in shown.output and "369901" not in shown.output
    out = tmp_path / "counties.xlsx"
    written = runner.invoke(cli_app, ["province", "rollup", "--within", "3610", "--out", str(out)])
    assert written.exit_code == 0 and out.stat().st_size > 0
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None and sheet["A1"].value == "代码"
