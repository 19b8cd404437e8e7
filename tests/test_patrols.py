"""Patrols on the phone: batches counted once, working hours, whose patrol, and the figures of
a hand-made track in the tiny city (see tests/tiny_city.py for the blocks).

The worker ``t-worker`` has grid G1 = blocks U1 and U2 (116.000–116.002°E, 27.500–27.501°N).
The track, on Tuesday 2026-12-01 (China time), one point a minute:

====  =====  ===================  =======================================
P0    09:00  116.0005, 27.5005    in G1, on 1号楼 (U1's building)
P1    09:01  116.0015, 27.5005    in G1, on 2号楼
P2    09:02  116.0025, 27.5005    outside G1 (U3, 乙村), on 3号楼
P3    09:03  116.0015, 27.5005    in G1, on 2号楼
P4    09:20  116.0005, 27.5005    in G1 — 17 minutes after P3: a gap, not counted
P5    09:22  116.0010, 27.5008    in G1, 40 m from any building
(06:30 116.0005, 27.5005: before working hours, not stored)
====  =====  ===================  =======================================

Pairs counted: P0–P1 (60 s, in), P1–P2 (60 s, out), P2–P3 (60 s, out), P4–P5 (120 s, in):
tracked 300 s, in the grid 180 s, share 0.6 (meets the rule just). Distance: three steps of
0.001° of longitude at 27.5005°N, 98.812 m each on the WGS 84 ellipsoid, and P4–P5, 59.549 m:
355.985 m. Buildings passed within 20 m: 1号楼, 2号楼, 3号楼 = 3.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyproj import Geod
from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Role, create_user
from gis.chinatime import CHINA
from gis.errors import NotFound
from gis.infra.settings import TrackSettings
from gis.patrols.ingest import Batch, ingest
from gis.patrols.tracks import Fix
from gis.personal import mask_name
from gis.scope import Scope
from tests.conftest import TEST_PASSWORD, ClientAs, scalar
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, unit_code

DAY = dt.date(2026, 12, 1)
NOON = dt.datetime(2026, 12, 1, 12, 0, tzinfo=CHINA)
TRACK = [
    (0, "09:00", 116.0005, 27.5005),
    (1, "09:01", 116.0015, 27.5005),
    (2, "09:02", 116.0025, 27.5005),
    (3, "09:03", 116.0015, 27.5005),
    (4, "09:20", 116.0005, 27.5005),
    (5, "09:22", 116.0010, 27.5008),
]
EARLY = (6, "06:30", 116.0005, 27.5005)
BUILDING_1 = f"{unit_code(1)}B001"
BUILDING_3 = f"{unit_code(3)}B001"


def point(seq: int, hhmm: str, lon: float, lat: float, **more: Any) -> dict[str, Any]:
    at = dt.datetime.combine(DAY, dt.time.fromisoformat(hhmm), tzinfo=CHINA)
    return {"seq": seq, "at": at.isoformat(), "lon": lon, "lat": lat, "accuracy": 8} | more


@pytest.fixture
def at_noon(app: Any) -> Any:
    """The app's clock at noon on the track's day."""
    app.state.clock = lambda: NOON.astimezone(dt.UTC)
    return app


@pytest.fixture
def others(conn: Connection) -> None:
    """A second field worker (grid G2) and a party office of the other community."""
    system = Access.system("system:tests")
    for username, role, scope in (
        ("p-worker2", Role.FIELD_WORKER, Scope.grid(f"{COMMUNITY_A}002")),
        ("p-party-b", Role.PARTY, Scope.community(COMMUNITY_B)),
    ):
        create_user(
            conn,
            username=username,
            password=TEST_PASSWORD,
            role=role,
            scope=scope,
            department=None,
            display_name="王小明" if role == Role.FIELD_WORKER else "乙村党委",
            access=system,
        )


def start(worker: TestClient) -> int:
    answer = worker.post("/field/patrols")
    assert answer.status_code == 200, answer.text
    return int(answer.json()["id"])


def send(worker: TestClient, patrol: int, points: list[dict[str, Any]]) -> Any:
    return worker.post(f"/field/patrols/{patrol}/points", json={"points": points})


def walk_the_track(worker: TestClient) -> int:
    patrol = start(worker)
    answer = send(worker, patrol, [point(*p) for p in [*TRACK, EARLY]])
    assert answer.status_code == 200, answer.text
    assert answer.json() | {} == {
        "patrol": patrol,
        "received": 7,
        "stored": 6,
        "duplicates": 0,
        "outside_hours": 1,
        "outside_city": 0,
    }
    return patrol


def test_a_batch_sent_twice_is_stored_once(at_noon: Any, client_as: ClientAs, conn) -> None:
    worker = client_as("t-worker")
    patrol = start(worker)
    assert worker.post("/field/patrols").json()["resumed"] is True  # one open patrol only
    first = send(worker, patrol, [point(*p) for p in TRACK[:3]]).json()
    assert (first["stored"], first["duplicates"]) == (3, 0)
    # The answer was lost; the phone sends the batch again, with one more point.
    again = send(worker, patrol, [point(*p) for p in TRACK[:4]]).json()
    assert (again["stored"], again["duplicates"]) == (1, 3)
    assert scalar(conn, "SELECT count(*) FROM track_point WHERE patrol_id = :p", p=patrol) == 4
    assert worker.get("/field/patrols/current").json()["patrol"]["points"] == 4


def test_no_point_outside_working_hours_is_stored(at_noon: Any, client_as: ClientAs, conn) -> None:
    worker = client_as("t-worker")
    patrol = start(worker)
    late = point(7, "20:30", 116.0005, 27.5005)
    late["at"] = dt.datetime(2026, 11, 30, 20, 30, tzinfo=CHINA).isoformat()
    answer = send(worker, patrol, [point(*EARLY), late]).json()
    assert (answer["stored"], answer["outside_hours"]) == (0, 2)
    assert scalar(conn, "SELECT count(*) FROM track_point WHERE patrol_id = :p", p=patrol) == 0
    # In working hours but in Beijing, far outside the city: not stored either, said why.
    away = send(worker, patrol, [point(8, "10:00", 116.4, 39.9), point(*TRACK[0])]).json()
    assert (away["stored"], away["outside_city"], away["outside_hours"]) == (1, 1, 0)


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"lat": 95.0}, "lat"),
        ({"lon": -181.0}, "lon"),
        ({"accuracy": -1}, "accuracy"),
        ({"accuracy": 900}, "accuracy"),
        ({"at": "2026-12-01T13:00:00+08:00"}, "points[1].at"),  # an hour after "now"
    ],
)
def test_impossible_points_are_refused_naming_the_field(
    at_noon: Any, client_as: ClientAs, conn, bad: dict[str, Any], field: str
) -> None:
    worker = client_as("t-worker")
    patrol = start(worker)
    answer = send(worker, patrol, [point(*TRACK[0]), point(*TRACK[1]) | bad])
    assert answer.status_code == 422, answer.text
    assert field in answer.text
    assert scalar(conn, "SELECT count(*) FROM track_point WHERE patrol_id = :p", p=patrol) == 0


def test_only_ones_own_open_patrol_takes_points(
    at_noon: Any, client_as: ClientAs, others: None
) -> None:
    worker = client_as("t-worker")
    patrol = start(worker)
    other = client_as("p-worker2")
    assert send(other, patrol, [point(*TRACK[0])]).status_code == 403
    assert other.post(f"/field/patrols/{patrol}/end").status_code == 403
    assert send(worker, 999_999, [point(*TRACK[0])]).status_code == 404
    assert client_as("t-county").post("/field/patrols").status_code == 403  # not a worker
    ended = worker.post(f"/field/patrols/{patrol}/end")
    assert ended.json()["state"] == "ended"
    assert send(worker, patrol, [point(*TRACK[0])]).status_code == 409


def expected_metres() -> float:
    geod = Geod(ellps="WGS84")
    step = geod.inv(116.0005, 27.5005, 116.0015, 27.5005)[2]
    last = geod.inv(116.0005, 27.5005, 116.0010, 27.5008)[2]
    return 3 * step + last


def test_figures_of_the_hand_made_track(at_noon: Any, client_as: ClientAs) -> None:
    worker = client_as("t-worker")
    walk_the_track(worker)
    checked = worker.post("/field/check-ins", json={"building": BUILDING_1})
    assert checked.status_code == 201 and checked.json()["in_grid"] is True
    figures = worker.get("/field/figures", params={"on": DAY.isoformat()}).json()
    assert (figures["worker"], figures["first"], figures["last"]) == (
        "t-worker",
        "2026-12-01",
        "2026-12-01",
    )
    day = figures["days"][0]
    assert day["points"] == 6
    assert day["seconds_tracked"] == pytest.approx(300)
    assert day["seconds_in_grid"] == pytest.approx(180)
    assert day["share"] == pytest.approx(0.6)
    assert expected_metres() == pytest.approx(355.985, abs=0.01)
    assert day["metres"] == pytest.approx(expected_metres(), abs=0.05)
    assert day["buildings_passed"] == 3
    assert day["check_ins"] == 1
    assert figures["meets_rule"] is True
    week = worker.get("/field/figures", params={"on": "2026-12-03", "period": "week"}).json()
    assert (week["first"], week["last"]) == ("2026-11-30", "2026-12-06")
    assert week["total"]["seconds_in_grid"] == pytest.approx(180)
    month = worker.get("/field/figures", params={"on": "2026-12-31", "period": "month"}).json()
    assert month["total"]["metres"] == pytest.approx(expected_metres(), abs=0.05)
    assert worker.get("/field/figures", params={"on": "2026-12-02"}).json()["days"] == []


def test_tracks_and_figures_only_for_the_worker_and_supervisors(
    at_noon: Any, client_as: ClientAs, others: None
) -> None:
    patrol = walk_the_track(client_as("t-worker"))
    asked = {"on": DAY.isoformat(), "worker": "t-worker"}
    county = client_as("t-county").get("/field/figures", params=asked)
    assert county.status_code == 200, county.text
    assert county.json()["total"]["seconds_in_grid"] == pytest.approx(180)
    # The county has no personal-data permission: the worker's name is masked.
    assert county.json()["name"] == mask_name("测试 t-worker") != "测试 t-worker"
    party = client_as("t-party").get("/field/figures", params=asked)
    assert party.status_code == 200 and party.json()["name"] == "测试 t-worker"
    for refused in ("t-planner", "t-department", "p-worker2", "p-party-b"):
        answer = client_as(refused).get("/field/figures", params=asked)
        assert answer.status_code == 403, (refused, answer.text)
        assert client_as(refused).get(f"/field/patrols/{patrol}/track").status_code == 403
    track = client_as("t-county").get(f"/field/patrols/{patrol}/track").json()
    assert track["geometry"]["type"] == "LineString"
    assert len(track["geometry"]["coordinates"]) == 6
    assert client_as("t-worker").get(f"/field/patrols/{patrol}/track").status_code == 200


def test_check_ins_and_absences(at_noon: Any, client_as: ClientAs) -> None:
    worker = client_as("t-worker")
    assert worker.post("/field/check-ins", json={"building": BUILDING_3}).status_code == 404
    place = worker.post(
        "/field/check-ins", json={"kind": "key_place", "lon": 116.0025, "lat": 27.5005}
    )
    assert place.status_code == 201 and place.json()["in_grid"] is False
    assert worker.post("/field/check-ins", json={}).status_code == 422
    backwards = {
        "kind": "training",
        "reason": "区里培训",
        "starts_at": "2026-12-01T14:00:00+08:00",
        "ends_at": "2026-12-01T13:00:00+08:00",
    }
    refused = worker.post("/field/absences", json=backwards)
    assert refused.status_code == 422 and "ends_at" in refused.text
    fine = backwards | {"ends_at": "2026-12-01T17:00:00+08:00"}
    assert worker.post("/field/absences", json=fine).status_code == 201
    assert [a["reason"] for a in worker.get("/field/absences").json()["absences"]] == ["区里培训"]
    figures = worker.get("/field/figures", params={"on": DAY.isoformat()}).json()
    assert figures["absence_seconds"] == pytest.approx(3 * 3600)
    assert figures["days"][0]["key_places"] == 1


def test_a_jump_faster_than_a_car_is_left_out(at_noon: Any, client_as: ClientAs) -> None:
    """P0 → P1 walked (60 s, 98.8 m); then a fix 10 km away a minute later (600 km/h) and back:
    two jumps, counted neither as time nor as distance."""
    worker = client_as("t-worker")
    patrol = start(worker)
    track = [*TRACK[:2], (2, "09:02", 116.1015, 27.5005), (3, "09:03", 116.0015, 27.5005)]
    assert send(worker, patrol, [point(*p) for p in track]).json()["stored"] == 4
    day = worker.get("/field/figures", params={"on": DAY.isoformat()}).json()["days"][0]
    assert day["jumps"] == 2
    assert day["seconds_tracked"] == pytest.approx(60)
    assert day["seconds_in_grid"] == pytest.approx(60)
    assert day["metres"] == pytest.approx(
        Geod(ellps="WGS84").inv(116.0005, 27.5005, 116.0015, 27.5005)[2], abs=0.05
    )


def test_points_belong_to_a_patrol_and_go_with_it(at_noon: Any, client_as: ClientAs, conn) -> None:
    """No foreign key per point (migration 0031): the ingest checks the patrols once, and a
    deleted patrol — or a deleted worker, whose patrols go — takes its points with it."""
    worker = client_as("t-worker")
    patrol = start(worker)
    assert send(worker, patrol, [point(*p) for p in TRACK]).json()["stored"] == 6
    fixes = [Fix(9, NOON - dt.timedelta(minutes=5), 116.0005, 27.5005)]
    with pytest.raises(NotFound, match="999999"):
        ingest(conn, [Batch(patrol, fixes), Batch(999_999, fixes)], TrackSettings(), now=NOON)
    assert scalar(conn, "SELECT count(*) FROM track_point WHERE patrol_id = 999999") == 0
    conn.execute(text("DELETE FROM patrol WHERE id = :p"), {"p": patrol})
    assert scalar(conn, "SELECT count(*) FROM track_point WHERE patrol_id = :p", p=patrol) == 0
    second = start(worker)
    assert send(worker, second, [point(*p) for p in TRACK]).json()["stored"] == 6
    conn.execute(text("DELETE FROM app_user WHERE username = 't-worker'"))
    assert scalar(conn, "SELECT count(*) FROM track_point WHERE patrol_id = :p", p=second) == 0
