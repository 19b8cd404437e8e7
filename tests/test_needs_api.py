"""三张清单 over HTTP: the party office of community A records, ranks and dispatches; the
team's own log-in (role taker) accepts — once — and reports it done; the office records the
resident's rating; refusals are problem+json naming what was wrong (story: tests/needs_city.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import Connection

from gis.access import Access
from gis.accounts import Role, create_user
from gis.chinatime import CHINA
from gis.needs import TakerRef, link_taker
from gis.scope import Scope
from tests.conftest import TEST_PASSWORD, ClientAs, scalar
from tests.needs_city import NEED_BUILDING, seed_takers
from tests.tiny_city import COMMUNITY_A, DISTRICT, X0, Y0

NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=CHINA)
NEED = {
    "kind": "elderly", "title": "陪同老人就医", "requester_name": "刘大爷",
    "requester_phone": "13912345678", "due_on": "2026-12-10", "hours": 2,
    "building": NEED_BUILDING,
}  # fmt: skip


@pytest.fixture
def story(conn: Connection, app) -> dict[str, str]:
    app.state.clock = lambda: NOW.astimezone(dt.UTC)
    takers = seed_takers(conn)
    system = Access.system("system:tests")
    create_user(
        conn, username="n-team", password=TEST_PASSWORD, role=Role.TAKER,
        scope=Scope.community(COMMUNITY_A), department=None, display_name="银龄志愿队",
        access=system,
    )  # fmt: skip
    link_taker(conn, "n-team", TakerRef.parse(takers["team"]), access=system)
    return takers


def test_the_order_over_http_from_record_to_rating(
    client_as: ClientAs, conn: Connection, story
) -> None:
    party, team = client_as("t-party"), client_as("n-team")
    made = party.post("/needs", json=NEED)
    assert made.status_code == 201, made.text
    code = made.json()["code"]
    assert team.get(f"/needs/{code}").status_code == 403  # not theirs until dispatched
    ranked = party.get(f"/needs/{code}/takers").json()["takers"]
    assert [t["taker"] for t in ranked][:3] == [story["near"], story["far"], story["team"]]
    assert party.post(f"/needs/{code}/dispatch", json={"taker": story["team"]}).status_code == 200
    before = team.get("/needs/orders/mine").json()["items"]
    assert [(n["code"], n["requester_phone"]) for n in before] == [(code, "139****5678")]
    accepted = team.post(f"/needs/{code}/accept")
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["requester_phone"] == "13912345678"  # they must call the resident
    events = scalar(conn, "SELECT count(*) FROM need_event")
    twice = team.post(f"/needs/{code}/accept")
    assert twice.status_code == 409
    assert twice.headers["content-type"].startswith("application/problem+json")
    assert "不能接单" in twice.json()["detail"]
    assert scalar(conn, "SELECT count(*) FROM need_event") == events  # nothing changed
    assert team.get(f"/needs/{code}").json()["status"] == "accepted"
    assert team.post(f"/needs/{code}/complete", json={"hours": 3}).json()["status"] == "done"
    rated = party.post(f"/needs/{code}/evaluate", json={"rating": 5})
    assert rated.json()["status_label"] == "已评价 Evaluated"


def test_refusals_name_the_problem_and_change_nothing(
    client_as: ClientAs, conn: Connection, story
) -> None:
    party, county = client_as("t-party"), client_as("t-county")
    needs = scalar(conn, "SELECT count(*) FROM need")
    outside = party.post("/needs", json=NEED | {"building": None, "lon": X0 - 0.01, "lat": Y0})
    assert outside.status_code == 422 and "不在任何社区内" in outside.json()["detail"]
    assert scalar(conn, "SELECT count(*) FROM need") == needs
    code = party.post("/needs", json=NEED).json()["code"]
    wrong = party.post(f"/needs/{code}/dispatch", json={"taker": story["unit_b"]})
    assert wrong.status_code == 422 and "不在社区" in wrong.json()["detail"]
    assert party.get(f"/needs/{code}").json()["status"] == "open"
    assert scalar(conn, "SELECT count(*) FROM need_order") == 0
    registrations = "SELECT count(*), max(community_id) FROM member_registration"
    held = conn.exec_driver_sql(registrations).one()
    assert county.post(f"/needs/{code}/dispatch", json={"taker": story["team"]}).status_code == 403
    again = party.post(
        "/needs/registrations", json={"member": story["other"][7:], "community": COMMUNITY_A}
    )
    assert again.status_code == 409 and "已在社区 369901001002 报到" in again.json()["detail"]
    assert conn.exec_driver_sql(registrations).one() == held
    masked = county.get(f"/needs/{code}").json()
    assert (masked["requester_name"], masked["masked"]) == ("刘*爷", True)


def test_figures_by_grid_and_their_spreadsheets(client_as: ClientAs, story) -> None:
    party = client_as("t-party")
    codes = [party.post("/needs", json=NEED | {"due_on": day}).json()["code"]
             for day in ("2026-12-01", "2026-12-31")]  # fmt: skip
    party.post(f"/needs/{codes[1]}/cancel", json={"reason": "已自行解决"})
    figures = party.get("/needs/figures", params={"by": "grid"}).json()
    row = next(a for a in figures["areas"] if a["key"] == f"{COMMUNITY_A}002")
    assert (row["total"], row["open"], row["overdue"], row["cancelled"]) == (2, 1, 1, 1)
    county = client_as("t-county")
    by_district = county.get("/needs/figures", params={"by": "district"}).json()["areas"]
    assert [(a["key"], a["total"]) for a in by_district] == [(DISTRICT, 2)]
    got = party.get("/needs/figures/export", params={"format": "csv", "by": "grid"})
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["区域编码", "区域名称", "需求总数"] and len(rows) == 2
    book = party.get("/needs/figures/export", params={"format": "xlsx"})
    sheets = load_workbook(io.BytesIO(book.content)).sheetnames
    assert sheets == ["需求 Needs", "服务时长 Hours"]
    # A period ending on the calendar's first day has no year before it: an empty table.
    first = party.get("/needs/figures/export", params={"format": "csv", "end": "0001-01-01"})
    assert first.status_code == 200 and len(first.content.decode("utf-8-sig").splitlines()) == 1


def test_a_field_worker_records_needs_in_their_own_grid_only(client_as: ClientAs, story) -> None:
    """t-worker has grid A1 = U1, U2; 5号楼 is in U5 (grid A2)."""
    worker = client_as("t-worker")
    mine = worker.post("/needs", json=NEED | {"building": None, "lon": X0 + 0.0005,
                                               "lat": Y0 + 0.0005, "source": "field"})  # fmt: skip
    assert mine.status_code == 201, mine.text
    assert mine.json()["grid_code"] == f"{COMMUNITY_A}001"
    assert mine.json()["requester_phone"] == "13912345678"  # the worker calls residents back
    elsewhere = worker.post("/needs", json=NEED)
    assert elsewhere.status_code == 403 and "不在您的权限范围" in elsewhere.json()["detail"]
    assert worker.get(f"/needs/{mine.json()['code']}/takers").status_code == 403  # no dispatch
    listed = [n["code"] for n in worker.get("/needs").json()["items"]]
    assert listed == [mine.json()["code"]]


def test_coverage_of_skills_shows_the_gaps_first(client_as: ClientAs, story) -> None:
    """A asks for 助残 (disabled) that nobody in A offers: the first row, a gap; its 助老 is
    offered by 孙八, 吴十 and the team (10 + 10 + 40 h a month)."""
    party, county = client_as("t-party"), client_as("t-county")
    assert party.post("/needs", json=NEED | {"kind": "disabled"}).status_code == 201
    assert party.post("/needs", json=NEED).status_code == 201
    found = county.get("/needs/coverage")
    assert found.status_code == 200, found.text
    rows = {(r["community"], r["kind"]): r for r in found.json()["rows"]}
    first = found.json()["rows"][0]
    assert (first["community"], first["kind"], first["takers"], first["asked"]) == (
        COMMUNITY_A, "disabled", 0, 1,
    )  # fmt: skip
    assert first["covered"] is False and found.json()["gaps"] == 1
    elderly = rows[COMMUNITY_A, "elderly"]
    assert (elderly["takers"], elderly["hours_offered"], elderly["asked"]) == (3, 60, 1)
    assert (rows[COMMUNITY_A, "repair"]["takers"], rows[COMMUNITY_A, "repair"]["asked"]) == (1, 0)
    assert all(c.startswith(DISTRICT) for c, _ in rows)
    mine = party.get("/needs/coverage").json()["rows"]
    assert {r["community"] for r in mine} == {COMMUNITY_A}
    assert client_as("t-worker").get("/needs/coverage").json()["rows"] == []  # a grid scope
    sheet = county.get("/needs/coverage/export", params={"format": "csv"})
    lines = list(csv.reader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    assert lines[0][:3] == ["社区编码", "社区名称", "需求类别"]
    assert lines[1][0] == COMMUNITY_A and lines[1][2] == "disabled" and lines[1][-1] == "否"
