"""Party members' grid roles: the assignment rules, coverage counted by hand on the tiny city,
suggestions ranked by distance, the field worker's own grid (and 403 for another), masking.

The story of the data is in tests/party_city.py; every test adds it inside its rolled-back
transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging

import pytest
from openpyxl import load_workbook
from pyproj import Geod
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from gis.access import Access
from gis.errors import Conflict, Forbidden, IllegalTransition, Invalid, NotFound
from gis.party import (
    AssignmentQuery,
    PartyRole,
    Target,
    assign,
    coverage,
    end_assignment,
    field_view,
    list_assignments,
    suggest_leaders,
    uncovered,
)
from gis.party.common import today
from gis.scope import Scope
from tests.conftest import ClientAs, scalar
from tests.party_city import (
    CENTRE_5,
    EAST_EDGE_5,
    GRID_A1,
    GRID_A2,
    GRID_B1,
    NORTH_EDGE_5,
    ON,
    ORG_AGENCY,
    START,
    add_incidents,
    building,
    insert_assignment,
    seed_coverage,
    seed_members,
)
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, DISTRICT, STREET

ACTOR = "system:tests"
TINY = Scope.district(DISTRICT)
GEOD = Geod(ellps="WGS84")


def _assign(conn: Connection, member: str, role: str, target: Target, **kw):
    kw.setdefault("starts_on", START)
    kw.setdefault("max_buildings", 3)
    actor = kw.pop("actor", None)
    access = Access.of(actor) if actor is not None else Access.system(ACTOR)
    return assign(conn, member=member, role=PartyRole(role), target=target, access=access, **kw)


def _grid_leaders(conn: Connection, grid: str) -> list[tuple[str, dt.date, dt.date | None]]:
    rows = conn.execute(
        text(
            "SELECT m.code, a.starts_on, a.ends_on FROM assignment a "
            "JOIN party_member m ON m.id = a.member_id JOIN grid g ON g.id = a.grid_id "
            "WHERE g.code = :g AND a.role = 'grid_leader' ORDER BY a.starts_on"
        ),
        {"g": grid},
    )
    return [tuple(r) for r in rows]


# ----------------------------------------------------------------------------- rules


def test_one_grid_leader_per_grid_at_a_time(conn: Connection) -> None:
    p = {k: v.code for k, v in seed_members(conn).items()}
    a1 = Target.grid(GRID_A1)
    first = _assign(conn, p["leader_a1"], "grid_leader", a1, ends_on=dt.date(2025, 12, 31))
    assert first["member"]["code"] == p["leader_a1"] and first["active"] is False  # ended

    # Overlapping periods are refused, naming the current holder.
    for starts_on in (dt.date(2025, 6, 1), dt.date(2025, 12, 31), dt.date(2024, 1, 1)):
        with pytest.raises(Conflict) as refused:
            _assign(conn, p["near"], "grid_leader", a1, starts_on=starts_on)
        assert p["leader_a1"] in refused.value.message
        assert f"assignment {first['id']}" in refused.value.message
        assert refused.value.detail["holder"] == p["leader_a1"]
    # The day after the first period ends, a successor may start (periods include both days).
    second = _assign(conn, p["near"], "grid_leader", a1, starts_on=dt.date(2026, 1, 1))
    assert second["active"] is True
    # Another grid is another matter.
    _assign(conn, p["far"], "grid_leader", Target.grid(GRID_A2))
    assert _grid_leaders(conn, GRID_A1) == [
        (p["leader_a1"], START, dt.date(2025, 12, 31)),
        (p["near"], dt.date(2026, 1, 1), None),
    ]


def test_the_database_refuses_overlaps_too(conn: Connection) -> None:
    """A writer that skips gis.party (a script, the loader) still cannot break the rule."""
    p = {k: v.code for k, v in seed_members(conn).items()}
    insert_assignment(conn, p["leader_a1"], "grid_leader", grid=GRID_A1)
    with pytest.raises(IntegrityError, match="assignment_one_grid_leader"), conn.begin_nested():
        insert_assignment(conn, p["near"], "grid_leader", grid=GRID_A1, starts_on=ON)
    insert_assignment(conn, p["near"], "building_leader", building_code=building(3))
    with pytest.raises(IntegrityError, match="one_building_leader"), conn.begin_nested():
        insert_assignment(conn, p["far"], "building_leader", building_code=building(3))
    with pytest.raises(IntegrityError, match="assignment_role_target"), conn.begin_nested():
        insert_assignment(conn, p["near"], "building_leader", grid=GRID_A2)
    assert _grid_leaders(conn, GRID_A1) == [(p["leader_a1"], START, None)]


def test_ending_keeps_history_and_hand_over(conn: Connection) -> None:
    p = {k: v.code for k, v in seed_members(conn).items()}
    first = _assign(conn, p["leader_a1"], "grid_leader", Target.grid(GRID_A1))
    ended = end_assignment(conn, first["id"], dt.date(2025, 6, 30), access=Access.system(ACTOR))
    assert ended["ends_on"] == "2025-06-30"
    with pytest.raises(IllegalTransition, match="already ended"):
        end_assignment(conn, first["id"], dt.date(2025, 7, 30), access=Access.system(ACTOR))
    with pytest.raises(Invalid, match="before"):
        _assign(
            conn,
            p["near"],
            "grid_leader",
            Target.grid(GRID_A1),
            starts_on=dt.date(2025, 7, 1),
            ends_on=dt.date(2025, 6, 1),
        )
    second = _assign(conn, p["near"], "grid_leader", Target.grid(GRID_A1),
                     starts_on=dt.date(2025, 7, 1))  # fmt: skip
    # Hand-over: the open holder is ended the day before the successor starts.
    third = _assign(conn, p["far"], "grid_leader", Target.grid(GRID_A1),
                    starts_on=dt.date(2026, 3, 1), replace=True)  # fmt: skip
    assert _grid_leaders(conn, GRID_A1) == [
        (p["leader_a1"], START, dt.date(2025, 6, 30)),
        (p["near"], dt.date(2025, 7, 1), dt.date(2026, 2, 28)),
        (p["far"], dt.date(2026, 3, 1), None),
    ]
    history = list_assignments(
        conn,
        AssignmentQuery(target=Target.grid(GRID_A1), history=True),
        access=Access.system(ACTOR, scope=TINY),
    )
    assert [i["id"] for i in history["items"]] == [third["id"], second["id"], first["id"]]
    ids = [str(a["id"]) for a in (first, second, third)]
    mine = "FROM audit_log WHERE entity = 'assignment' AND entity_id = ANY(:ids)"
    actions = conn.execute(text(f"SELECT action, entity_id {mine} ORDER BY id"), {"ids": ids})
    assert [tuple(r) for r in actions] == [
        ("assignment.create", ids[0]), ("assignment.end", ids[0]),
        ("assignment.create", ids[1]), ("assignment.end", ids[1]),
        ("assignment.create", ids[2]),
    ]  # fmt: skip
    # The audit log names members by code, never by name or phone.
    logged = " ".join(str(r[0]) for r in conn.execute(text(f"SELECT after {mine}"), {"ids": ids}))
    assert p["near"] in logged and "孙八" not in logged and "1380000" not in logged


def test_capacity_one_grid_per_member_and_role_targets(conn: Connection) -> None:
    p = {k: v.code for k, v in seed_members(conn).items()}
    for n in (1, 2):
        _assign(conn, p["near"], "building_leader", Target.building(building(n)), max_buildings=3)
    _assign(conn, p["near"], "unit_leader", Target.entrance(building(4), 1), max_buildings=3)
    # A unit of a building already led counts once.
    _assign(conn, p["near"], "unit_leader", Target.entrance(building(1), 3), max_buildings=3)
    with pytest.raises(Conflict, match="GRIDMAP_PARTY_MAX_BUILDINGS=3"):
        _assign(conn, p["near"], "building_leader", Target.building(building(5)), max_buildings=3)
    _assign(conn, p["near"], "building_leader", Target.building(building(5)), max_buildings=4)
    _assign(conn, p["leader_a1"], "grid_leader", Target.grid(GRID_A1))
    with pytest.raises(Conflict, match="one grid at a time"):
        _assign(conn, p["leader_a1"], "grid_leader", Target.grid(GRID_A2), starts_on=ON)
    with pytest.raises(Invalid, match="assigned to a building, not a grid"):
        _assign(conn, p["far"], "building_leader", Target.grid(GRID_A2))
    with pytest.raises(NotFound, match="no entrance unit 9"):
        _assign(conn, p["far"], "unit_leader", Target.entrance(building(5), 9))
    with pytest.raises(NotFound, match="no party member"):
        _assign(conn, "NOBODY", "cadre", Target.grid(GRID_A2))
    # Cadres: many per grid, but one member once per period.
    _assign(conn, p["cadre"], "cadre", Target.grid(GRID_A2))
    _assign(conn, p["east"], "cadre", Target.grid(GRID_A2))
    with pytest.raises(Conflict, match="already sent down"):
        _assign(conn, p["cadre"], "cadre", Target.grid(GRID_A2), starts_on=ON)


def test_party_staff_manage_inside_their_scope_only(conn: Connection, users: dict) -> None:
    from gis.accounts import get_user

    p = {k: v.code for k, v in seed_members(conn).items()}
    staff = get_user(conn, "t-party")  # community A
    made = _assign(conn, p["near"], "building_leader", Target.building(building(5)), actor=staff)
    assert made["member"]["name"] == "孙八"  # party staff see names in full
    with pytest.raises(Forbidden, match="outside your scope"):
        _assign(conn, p["near"], "building_leader", Target.building(building(6)), actor=staff)
    with pytest.raises(Forbidden, match="does not live inside your scope"):
        _assign(conn, p["other"], "building_leader", Target.building(building(7)), actor=staff)
    with pytest.raises(Forbidden):  # planners may not manage assignments at all
        _assign(conn, p["far"], "building_leader", Target.building(building(7)),
                actor=get_user(conn, "t-planner"))  # fmt: skip


# ----------------------------------------------------------------------------- coverage


def _rows(report: dict) -> dict[str, dict]:
    return {r["code"]: r for r in report["rows"]}


def test_coverage_counted_by_hand(conn: Connection) -> None:
    seed_coverage(conn)
    report = coverage(conn, on=ON, by="grid", access=Access.system(scope=TINY))
    assert report["totals"].items() >= {
        "buildings": 9, "buildings_covered": 3,  # 1号楼, 4号楼, 9号楼 (5号楼 ended, 2号楼 later)
        "entrances": 27, "entrances_covered": 1,  # entrance 2 of 1号楼
        "grids": 3, "grids_with_leader": 1, "cadres": 1,
        "members": 11, "members_with_role": 6,
    }.items()  # fmt: skip
    grids = _rows(report)
    assert {k: (g["buildings"], g["buildings_covered"], g["entrances"], g["entrances_covered"],
                g["has_grid_leader"], g["cadres"]) for k, g in grids.items()} == {
        GRID_A1: (2, 1, 6, 1, True, 0),
        GRID_A2: (4, 1, 12, 0, False, 1),
        GRID_B1: (3, 1, 9, 0, False, 0),
    }  # fmt: skip
    communities = _rows(coverage(conn, on=ON, by="community", access=Access.system(scope=TINY)))
    assert {k: (c["grids"], c["grids_with_leader"], c["buildings"], c["buildings_covered"],
                c["entrances_covered"], c["members"], c["members_with_role"])
            for k, c in communities.items()} == {
        COMMUNITY_A: (2, 1, 6, 2, 1, 9, 5),
        COMMUNITY_B: (1, 0, 3, 1, 0, 2, 1),
    }  # fmt: skip
    streets = _rows(coverage(conn, on=ON, by="street", access=Access.system(scope=TINY)))
    assert list(streets) == [STREET]
    assert streets[STREET]["buildings_covered"] == 3 and streets[STREET]["members"] == 11
    # Two years on, BUSY's three buildings have their leader; 2号楼 still waits for 2030.
    later = coverage(conn, on=dt.date(2028, 1, 1), by=None, access=Access.system(scope=TINY))[
        "totals"
    ]
    assert later["buildings_covered"] == 6 and later["members_with_role"] == 7


def test_uncovered_lists(conn: Connection) -> None:
    seed_coverage(conn)
    buildings = uncovered(
        conn, "building", on=ON, access=Access.system(ACTOR, scope=Scope.community(COMMUNITY_A))
    )
    # Most households first: 8号楼 800, 7号楼 700, 5号楼 500, 2号楼 200.
    assert [b["name"] for b in buildings["items"]] == ["8号楼", "7号楼", "5号楼", "2号楼"]
    assert buildings["items"][0]["grid_code"] == GRID_A2
    grids = uncovered(conn, "grid", on=ON, access=Access.system(ACTOR, scope=TINY))
    assert [g["code"] for g in grids["items"]] == [GRID_A2, GRID_B1]  # 2,400 then 1,800 hh
    entrances = uncovered(conn, "entrance", on=ON, limit=5, access=Access.system(ACTOR, scope=TINY))
    assert entrances["numberMatched"] == 26 and entrances["next_offset"] == 5
    idle = uncovered(conn, "member", on=ON, access=Access.system(ACTOR, scope=TINY))
    assert sorted(m["name"] for m in idle["items"]) == sorted(
        ["孙八", "周九九", "吴十", "郑十一", "冯十二"]
    )


# ----------------------------------------------------------------------------- suggestions


def _metres_north(lat: float) -> float:
    return GEOD.inv(CENTRE_5[0], NORTH_EDGE_5, CENTRE_5[0], lat)[2]


def test_suggestions_ranked_by_distance(conn: Connection) -> None:
    people = seed_coverage(conn)
    answer = suggest_leaders(
        conn,
        building(5),
        max_buildings=3,
        on=ON,
        limit=3,
        access=Access.system(ACTOR, scope=Scope.community(COMMUNITY_A)),
    )
    items = answer["items"]
    assert [i["code"] for i in items] == [people[k].code for k in ("near", "east", "far")]
    expected = [
        _metres_north(people["near"].lat),  # ~22 m
        GEOD.inv(EAST_EDGE_5, CENTRE_5[1], people["east"].lon, CENTRE_5[1])[2],  # ~30 m
        _metres_north(people["far"].lat),  # ~66 m
    ]
    for item, metres in zip(items, expected, strict=True):
        assert item["distance_m"] == pytest.approx(metres, abs=0.3)
    assert [i["rank"] for i in items] == [1, 2, 3]
    # BUSY lives nearest (~11 m) but leads three buildings (from 2027): no free capacity.
    assert people["busy"].code not in [i["code"] for i in items]
    # With room for four, BUSY comes first; community B's OTHER only for a wider scope.
    wider = suggest_leaders(
        conn, building(5), max_buildings=4, on=ON, limit=5, access=Access.system(ACTOR, scope=TINY)
    )
    codes = [i["code"] for i in wider["items"]]
    assert codes[:5] == [people[k].code for k in ("busy", "near", "east", "other", "far")]
    assert wider["items"][0]["buildings_led"] == 3 and wider["items"][0]["free_capacity"] == 1


def test_suggestion_uses_the_geography_index(conn: Connection) -> None:
    seed_members(conn)
    plan = "\n".join(
        conn.execute(
            text(
                "EXPLAIN SELECT code FROM party_member m ORDER BY m.geom::geography <-> "
                "(SELECT geom::geography FROM building WHERE code = :b) LIMIT 5"
            ),
            {"b": building(5)},
        ).scalars()
    )
    assert "ix_party_member_geog" in plan


# ----------------------------------------------------------------------------- field view


def test_field_view_of_own_grid(conn: Connection, users: dict) -> None:
    from gis.accounts import get_user

    people = seed_coverage(conn)
    add_incidents(conn)
    worker = get_user(conn, "t-worker")
    view = field_view(conn, GRID_A1, on=ON, access=Access.of(worker))
    assert view["grid"]["properties"]["code"] == GRID_A1
    names = [f["properties"]["name"] for f in view["buildings"]["features"]]
    assert names == ["1号楼", "2号楼"]
    first = view["buildings"]["features"][0]["properties"]
    assert first["households"] == 100
    assert first["leader"]["name"] == "李四光" and first["leader"]["phone"] == "13800000002"
    assert [e["leader"]["code"] if e["leader"] else None for e in first["entrances"]] == [
        None, people["unit_1"].code, None,
    ]  # fmt: skip
    assert [p["code"] for p in view["leaders"]] == [people["leader_a1"].code]
    # Open incidents inside the grid only: the evaluated one and the one in A2 stay out.
    assert [f["id"] for f in view["incidents"]["features"]] == ["TI000001"]
    assert view["open_incidents"] == 1
    # Search by name or number.
    assert [
        f["id"]
        for f in field_view(conn, GRID_A1, query="2号", access=Access.of(worker))["buildings"][
            "features"
        ]
    ] == [building(2)]
    with pytest.raises(Forbidden, match="outside your scope"):
        field_view(conn, GRID_A2, access=Access.of(worker))


# ----------------------------------------------------------------------------- the API


def test_field_worker_gets_403_for_another_grid(conn: Connection, client_as: ClientAs) -> None:
    seed_coverage(conn)
    add_incidents(conn)
    worker = client_as("t-worker")
    own = worker.get("/party/field", params={"on": ON.isoformat()})
    assert own.status_code == 200, own.text
    body = own.json()
    assert body["grid"]["properties"]["code"] == GRID_A1 and body["personal_data"] == "full"
    for path, params in [
        ("/party/field", {"grid": GRID_A2}),
        ("/party/field", {"grid": GRID_B1}),
        ("/party/suggestions", {"building": building(5)}),
        ("/field", {"grid": GRID_A2}),
    ]:
        refused = worker.get(path, params=params)
        assert refused.status_code == 403, (path, refused.text)
    # Lists hold only the worker's own grid: its grid leader and 1号楼's leaders.
    mine = worker.get("/party/assignments", params={"on": ON.isoformat()}).json()
    assert sorted(i["target"]["code"] for i in mine["items"]) == sorted(
        [GRID_A1, building(1), building(1)]
    )
    assert worker.get("/party/coverage", params={"on": ON.isoformat(), "by": "grid"}).json()[
        "totals"]["buildings"] == 2  # fmt: skip
    # Changes need manage_assignments.
    attempt = worker.post("/party/assignments", json={
        "member": "TT006", "role": "building_leader", "target": f"building:{building(2)}",
        "starts_on": "2026-01-01"})  # fmt: skip
    assert attempt.status_code == 403
    assert client_as("t-planner").post("/party/assignments/1/end", json={
        "ends_on": "2026-01-01"}).status_code == 403  # fmt: skip


def test_masking_per_role(conn: Connection, client_as: ClientAs) -> None:
    seed_coverage(conn)
    params = {"on": ON.isoformat(), "role": "building_leader"}
    full = client_as("t-party").get("/party/assignments", params=params).json()
    masked = client_as("t-planner").get("/party/assignments", params=params).json()
    assert full["personal_data"] == "full" and masked["personal_data"] == "masked"
    by_code = {i["member"]["code"]: i["member"] for i in masked["items"]}
    assert by_code["TT002"]["name"] == "李*光" and by_code["TT002"]["phone"] == "138****0002"
    assert by_code["TT002"]["masked"] is True
    assert {i["member"]["name"] for i in full["items"]} >= {"李四光", "赵六一"}
    # The map answer masks the same way.
    geo = client_as("t-county").get("/party/assignments.geojson", params=params).json()
    names = {f["properties"]["member_name"] for f in geo["features"]}
    assert "李*光" in names and "李四光" not in names
    # The county sees a field view, masked, so the page shows no number to call.
    view = (
        client_as("t-county")
        .get("/party/field", params={"grid": GRID_A1, "on": ON.isoformat()})
        .json()
    )
    leader = view["buildings"]["features"][0]["properties"]["leader"]
    assert leader["phone"] == "138****0002" and view["personal_data"] == "masked"
    # Suggestions too.
    hint = (
        client_as("t-planner")
        .get(
            "/party/suggestions", params={"building": building(5), "on": ON.isoformat(), "limit": 1}
        )
        .json()
    )
    assert "****" in hint["items"][0]["phone"]


def test_assign_end_and_one_click_from_suggestion(
    conn: Connection, client_as: ClientAs, caplog: pytest.LogCaptureFixture
) -> None:
    seed_coverage(conn)
    staff = client_as("t-party")
    caplog.set_level(logging.DEBUG)
    best = staff.get("/party/suggestions", params={"building": building(5)}).json()["items"][0]
    made = staff.post("/party/assignments", json={
        "member": best["code"], "role": "building_leader", "target": f"building:{building(5)}",
        "starts_on": today().isoformat()})  # fmt: skip
    assert made.status_code == 201, made.text
    created = made.json()
    assert created["member"]["name"] == best["name"] and created["active"] is True
    again = staff.post("/party/assignments", json={
        "member": "TT008", "role": "building_leader", "target": f"building:{building(5)}",
        "starts_on": today().isoformat()})  # fmt: skip
    assert again.status_code == 409
    assert best["code"] in again.json()["detail"] and again.json()["holder"] == best["code"]
    ended = staff.post(f"/party/assignments/{created['id']}/end",
                       json={"ends_on": today().isoformat()})  # fmt: skip
    assert ended.status_code == 200 and ended.json()["ends_on"] == today().isoformat()
    assert scalar(conn, "SELECT count(*) FROM assignment WHERE id = :i", i=created["id"]) == 1
    # Out of scope (community B) and bad input.
    assert staff.post("/party/assignments", json={
        "member": "TT006", "role": "building_leader", "target": f"building:{building(6)}",
        "starts_on": "2026-01-01"}).status_code == 403  # fmt: skip
    assert staff.post("/party/assignments", json={
        "member": "TT006", "role": "grid_leader", "target": f"building:{building(2)}",
        "starts_on": "2026-01-01"}).status_code == 422  # fmt: skip
    # Names and phones never reach the logs.
    assert "孙八" not in caplog.text and "13800000006" not in caplog.text


def test_cadres_sent_down_by_their_organisation(conn: Connection, client_as: ClientAs) -> None:
    seed_members(conn)
    staff = client_as("t-party")
    sent = staff.post(f"/party/organisations/{ORG_AGENCY}/cadres", json={
        "grid": f"grid:unified/{GRID_A2}", "members": ["TT007", "TT011"],
        "starts_on": "2026-01-01"})  # fmt: skip
    assert sent.status_code == 201, sent.text
    assert {c["organisation"]["code"] for c in sent.json()} == {ORG_AGENCY}
    mixed = staff.post(f"/party/organisations/{ORG_AGENCY}/cadres", json={
        "grid": f"grid:unified/{GRID_A1}", "members": ["TT007", "TT006"],
        "starts_on": "2026-01-01"})  # fmt: skip
    assert mixed.status_code == 422 and "TT006" in mixed.json()["detail"]
    listed = staff.get("/party/assignments", params={"organisation": ORG_AGENCY}).json()
    assert listed["numberMatched"] == 2


def test_coverage_api_and_map(conn: Connection, client_as: ClientAs) -> None:
    seed_coverage(conn)
    staff = client_as("t-party")  # community A
    report = staff.get("/party/coverage", params={"on": ON.isoformat(), "by": "community"}).json()
    assert [r["code"] for r in report["rows"]] == [COMMUNITY_A]
    assert report["totals"]["buildings"] == 6 and report["totals"]["buildings_covered"] == 2
    geo = staff.get("/party/coverage/map", params={"on": ON.isoformat(), "what": "buildings"})
    assert geo.headers["content-type"].startswith("application/geo+json")
    covered = {f["properties"]["name"]: f["properties"]["covered"] for f in geo.json()["features"]}
    assert covered == {"1号楼": True, "2号楼": False, "4号楼": True, "5号楼": False,
                       "7号楼": False, "8号楼": False}  # fmt: skip
    around_5 = ",".join(
        str(round(v, 6))
        for v in (
            CENTRE_5[0] - 0.0002,
            CENTRE_5[1] - 0.0002,
            CENTRE_5[0] + 0.0002,
            CENTRE_5[1] + 0.0002,
        )
    )
    boxed = staff.get("/party/coverage/map", params={"on": ON.isoformat(), "bbox": around_5})
    assert [f["properties"]["name"] for f in boxed.json()["features"]] == ["5号楼"]
    assert boxed.json()["numberMatched"] == 1
    grids = staff.get("/party/coverage/map", params={"on": ON.isoformat(), "what": "grids"}).json()
    assert {f["id"]: f["properties"]["covered"] for f in grids["features"]} == {
        GRID_A1: True, GRID_A2: False,
    }  # fmt: skip
    assert staff.get("/party/coverage", params={"layer": "nope"}).status_code == 404


def test_export_says_what_it_holds(conn: Connection, client_as: ClientAs) -> None:
    seed_coverage(conn)
    exports = "SELECT count(*) FROM audit_log WHERE action = 'assignment.export'"
    before = scalar(conn, exports)
    xlsx = client_as("t-party").get("/party/assignments/export", params={"format": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx.headers["x-gridmap-personal-data"] == "full"
    assert xlsx.headers["x-gridmap-personal-fields"] == "name,phone"
    book = load_workbook(io.BytesIO(xlsx.content))
    sheet, about = book["assignments"], book["说明 About"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["id", "role", "role_label"] and {"name", "phone"} <= set(header)
    marks = {row[0].value: row[3].value for row in about.iter_rows(min_row=2, max_row=17)}
    assert marks["name"] == marks["phone"] == "完整 full" and not marks["role"]
    csv_answer = client_as("t-planner").get("/party/assignments/export", params={"format": "csv"})
    assert csv_answer.headers["x-gridmap-personal-data"] == "masked"
    assert "masked" in csv_answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(csv_answer.content.decode("utf-8-sig"))))
    assert rows and all("****" in r["phone"] for r in rows)
    assert scalar(conn, exports) == before + 2  # type: ignore[operator]
