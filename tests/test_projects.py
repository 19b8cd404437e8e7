"""项目清单: the party office of community A makes a project that its paired unit 测试住建局
funds, puts needs into it, and reads its progress as needs get done; a unit not paired with A,
a need of another community or of another project are refused, naming the problem, and nothing
changes (story: tests/needs_city.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Connection

from gis.access import Access
from gis.chinatime import CHINA
from gis.needs import TakerRef, accept, complete, dispatch
from tests.conftest import ClientAs
from tests.needs_city import NEED_POINT, seed_takers
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, STEP, X0, Y0

NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=CHINA)
SYSTEM = Access.system("system:tests")
NEED = {"kind": "repair", "title": "楼道灯维修", "requester_name": "刘大爷",
        "requester_phone": "13912345678", "due_on": "2026-12-20", "hours": 2,
        "lon": NEED_POINT[0], "lat": NEED_POINT[1]}  # fmt: skip
PROJECT = {"code": "XM-A1", "name": "楼道亮灯工程", "unit": "TNU1", "community": COMMUNITY_A,
           "role": "funds"}  # fmt: skip


@pytest.fixture
def story(conn: Connection, app) -> dict[str, str]:
    app.state.clock = lambda: NOW.astimezone(dt.UTC)
    return seed_takers(conn)


def test_a_projects_progress_is_the_share_of_its_needs_done(
    client_as: ClientAs, conn: Connection, story
) -> None:
    party, county = client_as("t-party"), client_as("t-county")
    made = party.post("/projects", json=PROJECT)
    assert made.status_code == 201, made.text
    assert (made.json()["unit_name"], made.json()["role_label"], made.json()["progress"]) == (
        "测试住建局",
        "出资 Funds it",
        0,
    )
    codes = [party.post("/needs", json=NEED).json()["code"] for _ in range(3)]
    grown = party.post("/projects/XM-A1/needs", json={"needs": codes})
    assert (grown.json()["needs"], grown.json()["done"]) == (3, 0)
    dispatch(conn, codes[0], TakerRef.parse(story["unit"]), access=SYSTEM, now=NOW)
    accept(conn, codes[0], access=SYSTEM, now=NOW)
    complete(conn, codes[0], access=SYSTEM, now=NOW, hours=2)
    party.post(f"/needs/{codes[2]}/cancel", json={"reason": "居民已自行解决"})
    read = county.get("/projects/XM-A1").json()  # the county reads it too
    assert (read["needs"], read["done"], read["progress"]) == (2, 1, 0.5)
    assert [p["code"] for p in county.get("/projects").json()["items"]] == ["XM-A1"]


def test_refusals_name_the_problem_and_change_nothing(client_as: ClientAs, story) -> None:
    party, county = client_as("t-party"), client_as("t-county")
    unpaired = party.post("/projects", json=PROJECT | {"unit": "TNU2"})
    assert unpaired.status_code == 422 and "未与社区" in unpaired.json()["detail"]
    assert county.post("/projects", json=PROJECT).status_code == 403
    assert party.post("/projects", json=PROJECT | {"community": COMMUNITY_B}).status_code == 403
    party.post("/projects", json=PROJECT)
    party.post("/projects", json=PROJECT | {"code": "XM-A2"})
    mine = party.post("/needs", json=NEED).json()["code"]
    party.post("/projects/XM-A1/needs", json={"needs": [mine]})
    twice = party.post("/projects/XM-A2/needs", json={"needs": [mine]})
    assert twice.status_code == 409 and "XM-A1" in twice.json()["detail"]
    root = client_as("root")
    in_b = root.post("/needs", json=NEED | {"lon": X0 + 2.5 * STEP, "lat": Y0 + 0.5 * STEP})
    other = party.post("/projects/XM-A2/needs", json={"needs": [in_b.json()["code"]]})
    assert other.status_code == 422 and "不在项目所在社区" in other.json()["detail"]
    assert party.get("/projects/XM-A2").json()["needs"] == 0
    assert client_as("t-worker").get("/projects").json()["items"] == []
