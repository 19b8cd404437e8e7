"""议事协商 over HTTP, told as the seeds' story: a blocked drain at 5号楼 that no one party can
clear. The party office of community A (t-party) raises it from the resident's need, at its 议事厅,
and takes it through 了解诉求 → 分析研判 → 议事会商 → 落实问效; a step out of order is a 409
that names the step allowed next and changes nothing; others may read but not act (403); an
incident sent back by its department escalates to a need or a topic, linked both ways; the
figures equal what a reader counts by hand (story: tests/needs_city.py, tests/tiny_city.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from sqlalchemy import Connection

from gis.access import Access
from gis.chinatime import CHINA
from gis.incidents.reporting import create_incident
from gis.incidents.workflow import transition
from tests.conftest import ClientAs, scalar
from tests.needs_city import NEED_BUILDING, NEED_POINT, seed_takers
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, DISTRICT, STEP, X0, Y0

NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=CHINA)
RAISED = dt.datetime(2026, 11, 30, 9, 0, tzinfo=CHINA)  # the topics' day; their steps follow
SYSTEM = Access.system("system:tests")
NEED = {
    "kind": "repair", "title": "12栋2单元下水道堵塞", "requester_name": "刘大爷",
    "requester_phone": "13912345678", "due_on": "2026-12-20", "hours": 4,
    "building": NEED_BUILDING,
}  # fmt: skip
HALL = {"code": "YST-A", "name": "甲社区议事厅", "kind": "hall", "community": COMMUNITY_A,
        "lon": NEED_POINT[0], "lat": NEED_POINT[1] + 0.0002}  # fmt: skip
DELIBERATE = {
    "step": "deliberate", "held_on": "2026-12-05", "minutes": "五方现场踏勘后会商",
    "decision": "开发商出资疏通并更换主管，物业监督施工",
    "attended": ["party_committee", "owners_committee", "property", "paired_unit"],
    "tasks": [{"role": "property", "task": "组织疏通", "due_on": "2026-12-06"},
              {"role": "paired_unit", "task": "协调住建部门", "due_on": "2026-12-06"}],
}  # fmt: skip


@pytest.fixture
def story(conn: Connection, app) -> dict[str, Any]:
    """The takers of tests/needs_city.py; the app's clock at RAISED until a test moves it on
    (``story["clock"][0] = NOW``)."""
    clock = [RAISED]
    app.state.clock = lambda: clock[0].astimezone(dt.UTC)
    return seed_takers(conn) | {"clock": clock}


def steps_of(conn: Connection, code: str) -> int:
    sql = "SELECT count(*) FROM council_step s JOIN council k ON k.id = s.council_id "
    return int(scalar(conn, sql + "WHERE k.code = :c", c=code))  # type: ignore[call-overload]


def step(party: Any, code: str, name: str, day: str, **more: Any) -> Any:
    body = {"step": name, "held_on": day, "minutes": f"{name} 纪要"} | more
    return party.post(f"/councils/{code}/steps", json=body)


def test_a_council_from_a_need_through_its_four_steps(
    client_as: ClientAs, conn: Connection, story
) -> None:
    party = client_as("t-party")
    assert party.post("/councils/venues", json=HALL).status_code == 201
    need = party.post("/needs", json=NEED).json()["code"]
    made = party.post("/councils", json={"title": "下水道堵塞议事", "need": need,
                                         "venue": "YST-A"})  # fmt: skip
    assert made.status_code == 201, made.text
    council = made.json()
    code = council["code"]
    assert (council["origin"], council["status"], council["next_step"]) == (
        "need",
        "raised",
        "understand",
    )
    assert council["need_code"] == need and council["venue_name"] == "甲社区议事厅"
    assert [p["role"] for p in council["parties"]] == [
        "party_committee",
        "owners_committee",
        "property",
        "residents",
        "paired_unit",
    ]
    assert council["parties"][-1]["name"] == "测试住建局"  # A's paired unit, invited by role
    story["clock"][0] = NOW
    # a step out of order: 409 naming the one allowed next, nothing changed
    early = step(party, code, "deliberate", "2026-12-03", **DELIBERATE)
    assert early.status_code == 409
    assert early.headers["content-type"].startswith("application/problem+json")
    assert "不能进行「议事会商」" in early.json()["detail"]
    assert "下一步应为「了解诉求」" in early.json()["detail"]
    assert party.get(f"/councils/{code}").json()["status"] == "raised"
    assert steps_of(conn, code) == 0
    assert step(party, code, "understand", "2026-12-01").status_code == 200
    assert step(party, code, "analyse", "2026-12-02").json()["status"] == "analysed"
    held = step(party, code, **DELIBERATE | {"name": "deliberate", "day": "2026-12-05"})
    assert held.status_code == 200, held.text
    body = held.json()
    assert body["decision"].startswith("开发商出资") and body["held_on"] == "2026-12-05"
    assert [p["attended"] for p in body["parties"]] == [True, True, True, False, True]
    assert [(a["role"], a["done"]) for a in body["assignments"]] == [
        ("property", False),
        ("paired_unit", False),
    ]
    settled = step(party, code, "follow_up", "2026-12-07", rating=5).json()
    assert (settled["status"], settled["settled_on"], settled["rating"]) == (
        "settled",
        "2026-12-07",
        5,
    )
    assert [s["step"] for s in settled["steps"]] == [
        "understand",
        "analyse",
        "deliberate",
        "follow_up",
    ]
    assert all(a["done"] for a in settled["assignments"])
    again = step(party, code, "follow_up", "2026-12-07", rating=3)
    assert again.status_code == 409 and "已办结" in again.json()["detail"]
    assert steps_of(conn, code) == 4 and party.get(f"/councils/{code}").json()["rating"] == 5
    # linked both ways: the need names its council; the venue counts it
    assert party.get(f"/needs/{need}").json()["council_code"] == code
    venues = party.get("/councils/venues").json()["items"]
    assert [(v["code"], v["kind_label"], v["councils"]) for v in venues] == [
        ("YST-A", "议事厅 Council hall", 1)
    ]
    audit = scalar(conn, "SELECT count(*) FROM audit_log WHERE entity = 'council' "
                         "AND entity_id = :c", c=code)  # fmt: skip
    assert audit == 5  # raised, and four steps


def test_refusals_name_the_problem_and_change_nothing(
    client_as: ClientAs, conn: Connection, story
) -> None:
    party, county, worker = client_as("t-party"), client_as("t-county"), client_as("t-worker")
    in_b = {"lon": X0 + 2.5 * STEP, "lat": Y0 + 0.5 * STEP}
    outside = party.post("/councils/venues", json=HALL | in_b)
    assert outside.status_code == 422 and "不在社区" in outside.json()["detail"]
    topic = {"title": "楼道堆物", "community": COMMUNITY_A}
    assert county.post("/councils", json=topic).status_code == 403  # reads, does not hold
    assert worker.post("/councils", json=topic).status_code == 403
    other = party.post("/councils", json=topic | {"community": COMMUNITY_B})
    assert other.status_code == 403 and "不在您的权限范围" in other.json()["detail"]
    code = party.post("/councils", json=topic).json()["code"]
    story["clock"][0] = NOW
    assert county.get(f"/councils/{code}").json()["status"] == "raised"
    assert (
        county.post(
            f"/councils/{code}/steps",
            json={"step": "understand", "held_on": "2026-12-01", "minutes": "x"},
        ).status_code
        == 403
    )
    assert step(party, code, "understand", "2026-12-08").status_code == 422  # after today
    step(party, code, "understand", "2026-12-03")
    before = step(party, code, "analyse", "2026-12-02")  # before the previous step
    assert before.status_code == 422 and "2026-12-03" in before.json()["detail"]
    step(party, code, "analyse", "2026-12-03")
    few = step(
        party,
        code,
        **DELIBERATE
        | {"name": "deliberate", "day": "2026-12-04", "attended": ["party_committee", "property"]},
    )
    assert few.status_code == 422 and "至少 3 方" in few.json()["detail"]
    assert steps_of(conn, code) == 2
    assert party.get(f"/councils/{code}").json()["assignments"] == []
    # the grid worker of A1 sees no council of A2's 5号楼; the county sees it
    assert [k["code"] for k in worker.get("/councils").json()["items"]] == []
    assert code in [k["code"] for k in county.get("/councils").json()["items"]]


def _sent_back(conn: Connection, lon: float, lat: float) -> str:
    """An incident its department sent back (退回): the loop cannot close it alone."""
    code = create_incident(conn, lon=lon, lat=lat, category="其他", description="楼顶渗水",
                           reporter_name="王阿姨", reporter_phone="13800001111",
                           now=NOW, access=SYSTEM)["code"]  # fmt: skip
    transition(conn, code, "dispatch", access=SYSTEM, now=NOW)
    return code


def test_an_incident_its_loop_cannot_close_escalates_linked_both_ways(
    client_as: ClientAs, conn: Connection, story
) -> None:
    story["clock"][0] = NOW
    party, county = client_as("t-party"), client_as("t-county")
    first = _sent_back(conn, *NEED_POINT)
    moving = party.post(f"/councils/escalate/{first}", json={"to": "council"})
    assert moving.status_code == 409 and "正常流转" in moving.json()["detail"]
    transition(conn, first, "reject", note="非本部门职责", access=SYSTEM, now=NOW)
    assert county.post(f"/councils/escalate/{first}", json={"to": "council"}).status_code == 403
    made = party.post(f"/councils/escalate/{first}", json={"to": "council"})
    assert made.status_code == 201, made.text
    council = made.json()["code"]
    assert party.get(f"/councils/{council}").json()["incident_code"] == first
    assert party.get(f"/councils/{council}").json()["origin_label"].startswith("事件升级")
    assert party.get(f"/incidents/{first}").json()["escalated_to"] == [
        {"kind": "council", "code": council}
    ]
    twice = party.post(f"/councils/escalate/{first}", json={"to": "need", "kind": "repair",
                                                             "due_on": "2026-12-20"})  # fmt: skip
    assert twice.status_code == 409 and council in twice.json()["detail"]
    second = _sent_back(conn, NEED_POINT[0], NEED_POINT[1] + 0.0003)
    transition(conn, second, "reject", note="非本部门职责", access=SYSTEM, now=NOW)
    need = party.post(f"/councils/escalate/{second}", json={"to": "need", "kind": "repair",
                                                             "due_on": "2026-12-20"})  # fmt: skip
    assert need.status_code == 201, need.text
    got = party.get(f"/needs/{need.json()['code']}").json()
    assert (got["incident_code"], got["requester_name"]) == (second, "王阿姨")
    assert party.get(f"/incidents/{second}").json()["escalated_to"] == [
        {"kind": "need", "code": got["code"]}
    ]


def test_figures_equal_hand_counts(client_as: ClientAs, conn: Connection, story) -> None:
    """Three topics in A: one settled (rated 4), one deliberated, one just raised; the first and
    third at 5号楼 (grid A 002), the second in A1 (grid A 001)."""
    party = client_as("t-party")
    a1 = {"lon": X0 + 0.5 * STEP, "lat": Y0 + 0.5 * STEP}
    codes = [
        party.post(
            "/councils", json={"title": f"议题{i}", "community": COMMUNITY_A} | place
        ).json()["code"]
        for i, place in enumerate(
            [
                dict(zip(("lon", "lat"), NEED_POINT, strict=True)),
                a1,
                dict(zip(("lon", "lat"), NEED_POINT, strict=True)),
            ]
        )
    ]
    story["clock"][0] = NOW
    for code in codes[:2]:
        step(party, code, "understand", "2026-12-01")
        step(party, code, "analyse", "2026-12-02")
        step(party, code, **DELIBERATE | {"name": "deliberate", "day": "2026-12-05"})
    step(party, codes[0], "follow_up", "2026-12-06", rating=4)
    by_grid = {a["key"]: a for a in party.get("/councils/figures", params={"by": "grid"})
               .json()["areas"]}  # fmt: skip
    a2, a1_row = by_grid[f"{COMMUNITY_A}002"], by_grid[f"{COMMUNITY_A}001"]
    assert (a2["raised"], a2["held"], a2["settled"], a2["open"], a2["rating"]) == (2, 1, 1, 1, 4)
    assert (a1_row["raised"], a1_row["held"], a1_row["settled"], a1_row["rating"]) == (
        1,
        1,
        0,
        None,
    )
    county = client_as("t-county").get("/councils/figures", params={"by": "district"}).json()
    assert [(a["key"], a["raised"], a["held"], a["settled"]) for a in county["areas"]] == [
        (DISTRICT, 3, 2, 1)
    ]
    worker = client_as("t-worker").get("/councils/figures", params={"by": "grid"}).json()
    assert [(a["key"], a["raised"]) for a in worker["areas"]] == [(f"{COMMUNITY_A}001", 1)]
    got = party.get("/councils/figures/export", params={"format": "csv", "by": "community"})
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["区域编码", "区域名称", "议题数", "已会商", "已办结"]
    assert rows[1][0] == COMMUNITY_A and rows[1][2:5] == ["3", "2", "1"]
    book = party.get("/councils/figures/export", params={"format": "xlsx"})
    assert book.status_code == 200 and book.content[:2] == b"PK"
