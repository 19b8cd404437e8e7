"""Incidents (吹哨报到) over the API and in gis/: the closed loop, every illegal move, escalation,
the negative list, point-in-grid on a boundary, H3 counts by hand, photos, masking, scopes,
figures, import, and what the sample city's loaded incidents carry.

The tiny city (tests/tiny_city.py): unified grids G1 = 369901001001001 (U1, U2), G2 = …001002
(U4, U5, U7, U8), G3 = 369901001002001 (U3, U6, U9); each unit has one building at its centre.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from pathlib import Path

import h3
import numpy as np
import openpyxl
import pytest
from PIL import Image
from sqlalchemy import text

from gis.access import Access
from gis.crs import FROM_WGS84
from gis.errors import IllegalTransition, InvalidFile
from gis.incidents.hexagons import parent_sql, resolution_for_zoom
from gis.incidents.importer import import_incidents
from gis.incidents.reporting import create_incident, to_wgs84
from gis.incidents.workflow import ACTIONS, STATES, allowed_actions, transition
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, STEP, X0, Y0, cell, unit_code

G1, G2, G3 = f"{COMMUNITY_A}001", f"{COMMUNITY_A}002", f"{COMMUNITY_B}001"
SYSTEM = "system:tests"
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def centre(n: int) -> tuple[float, float]:
    c = cell(n).centroid
    return c.x, c.y


def report(conn, n: int = 1, category: str = "环境卫生", **kwargs) -> str:
    lon, lat = kwargs.pop("at", centre(n))
    return create_incident(
        conn,
        lon=lon,
        lat=lat,
        category=category,
        now=kwargs.pop("now", T0),
        **kwargs,
        access=Access.system(SYSTEM),
    )["code"]


def drive(conn, code: str, *moves: str, start: dt.datetime = T0) -> None:
    """Move an incident as the system through ``moves`` (evaluate- = not satisfied)."""
    for step, move in enumerate(moves, start=1):
        action, _, mood = move.partition("-")
        satisfied = None if action != "evaluate" else mood != "no"
        transition(
            conn,
            code,
            action,
            note="done",
            satisfied=satisfied,
            now=start + dt.timedelta(hours=step),
            access=Access.system(SYSTEM),
        )


#: The moves that bring a freshly reported incident (not on the negative list) to each state.
TO_STATE = {
    "reported": (),
    "dispatched": ("dispatch",),
    "signed": ("dispatch", "sign"),
    "handled": ("dispatch", "sign", "handle"),
    "fed_back": ("dispatch", "sign", "handle", "feed_back"),
    "evaluated": ("dispatch", "sign", "handle", "feed_back", "evaluate"),
}


# ----------------------------------------------------------------------------- the loop


def test_the_whole_loop_over_the_api(client_as, conn) -> None:
    worker, county, dept = client_as("t-worker"), client_as("t-county"), client_as("t-department")
    lon, lat = centre(1)
    made = worker.post(
        "/incidents",
        json={
            "lon": lon,
            "lat": lat,
            "category": "环境卫生",
            "description": "垃圾堆积",
            "reporter_name": "张三丰",
            "reporter_phone": "13812345678",
        },
    )
    assert made.status_code == 201, made.text
    code = made.json()["code"]
    assert made.json()["state"] == "reported"
    assert made.json()["grid"] == G1 and made.json()["unit"] == unit_code(1)
    assert made.json()["building"] == f"{unit_code(1)}B001"

    moves = [
        (county, {"action": "dispatch"}, "dispatched"),
        (dept, {"action": "sign"}, "signed"),
        (dept, {"action": "handle", "note": "已清运"}, "handled"),
        (dept, {"action": "feed_back", "note": "已电话告知"}, "fed_back"),
        (worker, {"action": "evaluate", "satisfied": True}, "evaluated"),
    ]
    for who, body, state in moves:
        answer = who.post(f"/incidents/{code}/transitions", json=body)
        assert answer.status_code == 200, answer.text
        assert answer.json()["state"] == state

    detail = county.get(f"/incidents/{code}").json()
    assert detail["state"] == "evaluated" and detail["satisfied"] is True
    assert detail["department"] == "城管局"
    assert [h["action"] for h in detail["history"]] == [
        "report", "dispatch", "sign", "handle", "feed_back", "evaluate",
    ]  # fmt: skip
    assert [h["actor"] for h in detail["history"]] == [
        "t-worker", "t-county", "t-department", "t-department", "t-department", "t-worker",
    ]  # fmt: skip
    assert detail["history"][3]["note"] == "已清运"
    assert detail["allowed_next"] == []
    for column in ("dispatched_at", "signed_at", "handled_at", "fed_back_at", "evaluated_at"):
        assert detail[column] is not None, column
    audited = conn.execute(
        text(
            "SELECT action FROM audit_log WHERE entity = 'incident' AND entity_id = :c ORDER BY id"
        ),
        {"c": code},
    ).scalars()
    assert list(audited) == [
        "incident.report", "incident.dispatch", "incident.sign", "incident.handle",
        "incident.feed_back", "incident.evaluate",
    ]  # fmt: skip


ILLEGAL = [
    (state, action)
    for state, action in itertools.product(STATES, ACTIONS)
    if state not in ACTIONS[action]
]


@pytest.mark.parametrize(("state", "action"), ILLEGAL)
def test_every_illegal_transition_is_refused_with_409(client, conn, state, action) -> None:
    code = report(conn, 2, category="政策咨询")
    drive(conn, code, *TO_STATE[state])
    before = conn.execute(text("SELECT * FROM incident WHERE code = :c"), {"c": code}).one()
    answer = client.post(
        f"/incidents/{code}/transitions",
        json={"action": action, "note": "x", "satisfied": True, "department": "城管局"},
    )
    assert answer.status_code == 409, answer.text
    body = answer.json()
    assert body["state"] == state
    expected = sorted({target for _, target in allowed_actions(state)})
    assert body["allowed"] == ",".join(expected)
    assert state in body["detail"] and action in body["detail"]
    after = conn.execute(text("SELECT * FROM incident WHERE code = :c"), {"c": code}).one()
    assert after == before


def test_not_satisfied_three_times_escalates_to_the_street(conn) -> None:
    code = report(conn, 5, category="政策咨询")
    drive(conn, code, "dispatch", "sign", "handle", "feed_back", "evaluate-no")
    state = conn.execute(
        text("SELECT state, send_backs FROM incident WHERE code = :c"), {"c": code}
    )
    assert state.one() == ("signed", 1)
    drive(conn, code, "handle", "feed_back", "evaluate-no", start=T0 + dt.timedelta(days=1))
    drive(conn, code, "handle", "feed_back", "evaluate-no", start=T0 + dt.timedelta(days=2))
    row = conn.execute(
        text("SELECT state, send_backs, escalated_at FROM incident WHERE code = :c"), {"c": code}
    ).one()
    assert row.state == "reported" and row.send_backs == 3 and row.escalated_at is not None
    last = conn.execute(
        text(
            "SELECT action, from_state, to_state FROM incident_transition t JOIN incident i "
            "ON i.id = t.incident_id WHERE i.code = :c ORDER BY t.at DESC, t.id DESC LIMIT 1"
        ),
        {"c": code},
    ).one()
    assert tuple(last) == ("escalate", "fed_back", "reported")
    # The street dispatches it again; it is still flagged.
    drive(conn, code, "dispatch", start=T0 + dt.timedelta(days=3))
    escalated = conn.execute(
        text("SELECT escalated_at IS NOT NULL FROM incident WHERE code = :c"), {"c": code}
    )
    assert escalated.scalar_one() is True


def test_a_department_sends_back_with_a_reason(client_as, conn) -> None:
    code = report(conn, 4)
    drive(conn, code, "dispatch")
    dept = client_as("t-department")
    no_reason = dept.post(f"/incidents/{code}/transitions", json={"action": "reject"})
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["detail"]
    sent = dept.post(
        f"/incidents/{code}/transitions", json={"action": "reject", "note": "不属本部门职责"}
    )
    assert sent.status_code == 200 and sent.json()["state"] == "reported"
    row = conn.execute(text("SELECT rejections FROM incident WHERE code = :c"), {"c": code})
    assert row.scalar_one() == 1


def test_negative_list_category_goes_straight_to_its_department(client_as, conn) -> None:
    lists = client_as("t-worker").get("/incidents/admission-lists").json()["lists"]
    negative = next(item for item in lists if item["kind"] == "negative")
    assert len(negative["items"]) == 12
    lon, lat = centre(2)
    made = client_as("t-worker").post(
        "/incidents", json={"lon": lon, "lat": lat, "category": "违规停车"}
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["state"] == "dispatched" and body["department"] == "公安分局"
    assert "负面清单" in body["routing_note"] and "执法" in body["routing_note"]
    detail = client_as("root").get(f"/incidents/{body['code']}").json()
    assert detail["due_at"] is not None and detail["sign_due_at"] is not None
    dispatch = detail["history"][1]
    assert dispatch["action"] == "dispatch" and dispatch["actor"] == "system:admission-lists"
    assert "负面清单" in dispatch["note"]
    # A category on the basic list waits for the command centre.
    assert report(conn, 2, category="邻里纠纷")
    state = conn.execute(text("SELECT state FROM incident ORDER BY id DESC LIMIT 1"))
    assert state.scalar_one() == "reported"


# ----------------------------------------------------------------------------- location


def test_point_on_a_grid_boundary_goes_to_the_smallest_grid_code(conn) -> None:
    west, south, east, north = cell(1).bounds
    on_g1_g2 = ((west + east) / 2, north)  # the edge U1 | U4 = G1 | G2
    on_g1_g3 = (cell(2).bounds[2], (south + north) / 2)  # the edge U2 | U3 = G1 | G3
    corner = (cell(2).bounds[2], north)  # where G1, G2 and G3 meet
    inside_g2 = centre(4)
    for point, grid, unit in (
        (on_g1_g2, G1, 1),
        (on_g1_g3, G1, 2),
        (corner, G1, 2),
        (inside_g2, G2, 4),
    ):
        code = report(conn, at=point, category="政策咨询")
        row = conn.execute(
            text(
                "SELECT g.code, u.code, ST_X(i.geom), ST_Y(i.geom) FROM incident i "
                "JOIN grid g ON g.id = i.grid_id JOIN base_unit u ON u.id = i.base_unit_id "
                "WHERE i.code = :c"
            ),
            {"c": code},
        ).one()
        assert (row[0], row[1]) == (grid, unit_code(unit)), point
        assert (row[2], row[3]) == point  # no building within 5 m: the point stays


def test_a_point_near_a_building_snaps_onto_it(conn) -> None:
    building = cell(5).centroid.buffer(0.0001, cap_style="square")
    east = building.bounds[2]
    near = (east + 0.00003, cell(5).centroid.y)  # ~3 m east of the building
    far = (east + 0.0002, cell(5).centroid.y)  # ~20 m
    snapped = create_incident(
        conn, lon=near[0], lat=near[1], category="其他", now=T0, access=Access.system(SYSTEM)
    )
    assert snapped["building"] == f"{unit_code(5)}B001" and snapped["snapped"]
    assert building.covers(__import__("shapely").Point(snapped["lon"], snapped["lat"]))
    stays = create_incident(
        conn, lon=far[0], lat=far[1], category="其他", now=T0, access=Access.system(SYSTEM)
    )
    assert stays["building"] is None and (stays["lon"], stays["lat"]) == far


def test_a_point_outside_the_city_is_refused(client) -> None:
    answer = client.post("/incidents", json={"lon": 10.0, "lat": 10.0, "category": "其他"})
    assert answer.status_code == 422 and "outside every base unit" in answer.json()["detail"]
    unknown = client.post("/incidents", json={"lon": X0, "lat": Y0, "category": "外星人"})
    assert unknown.status_code == 422 and "unknown incident category" in unknown.json()["detail"]
    # PostgreSQL text cannot hold NUL: refused as input (it was a 500 from the category lookup).
    nul = client.post("/incidents", json={"lon": X0, "lat": Y0, "category": "其\u0000他"})
    assert nul.status_code == 422 and "category" in str(nul.json())


# ----------------------------------------------------------------------------- H3


def test_hexagon_counts_match_a_hand_count(client, conn) -> None:
    """Three incidents at the centre of one resolution-10 cell, one at another's, one closed."""
    a = h3.latlng_to_cell(Y0 + 1.5 * STEP, X0 + 1.5 * STEP, 10)  # the cell over U5's centre
    b = h3.latlng_to_cell(Y0 + 0.5 * STEP, X0 + 0.5 * STEP, 10)  # … over U1's centre
    assert a != b
    codes = []
    for index in (a, a, a, b):
        lat, lon = h3.cell_to_latlng(index)
        codes.append(report(conn, at=(lon, lat), category="政策咨询"))
    drive(conn, codes[0], *TO_STATE["evaluated"])
    fc = client.get("/incidents/hexagons", params={"resolution": 10, "category": "政策咨询"}).json()
    counts = {f["id"]: f["properties"] for f in fc["features"] if f["id"] in (a, b)}
    assert counts[a] == {"h3": a, "count": 3, "open": 2, "closed": 1}
    assert counts[b] == {"h3": b, "count": 1, "open": 1, "closed": 0}
    ring = next(f for f in fc["features"] if f["id"] == a)["geometry"]["coordinates"][0]
    assert len(ring) == 7 and ring[0] == ring[-1]  # a hexagon
    # Coarser: at resolution 7 the four are in one or two cells, 4 in all.
    coarse = client.get(
        "/incidents/hexagons",
        params={"zoom": 12, "category": "政策咨询", "bbox": "115.99,27.49,116.01,27.51"},
    )
    assert coarse.json()["resolution"] == resolution_for_zoom(12) == 7
    assert sum(f["properties"]["count"] for f in coarse.json()["features"]) == 4


def test_sql_parents_are_h3_parents(conn) -> None:
    rows = conn.execute(
        text("SELECT h3_cell FROM incident WHERE h3_cell IS NOT NULL ORDER BY id LIMIT 300")
    ).scalars()
    cells = list(rows)
    assert len(cells) == 300
    for res in (4, 7, 9, 12):
        parents = conn.execute(
            text(f"SELECT {parent_sql('c', res)} FROM unnest(CAST(:cells AS bigint[])) c"),
            {"cells": cells},
        ).scalars()
        expected = [h3.str_to_int(h3.cell_to_parent(h3.int_to_str(c), res)) for c in cells]
        assert list(parents) == expected


# ----------------------------------------------------------------------------- photos


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (8, 6), **save: object) -> bytes:
    picture = Image.new("RGB", size, (200, 40, 30))
    picture.putpixel((0, 0), (0, 0, 255))  # a corner to tell which way is up
    buffer = io.BytesIO()
    picture.save(buffer, kind, **save)
    return buffer.getvalue()


PNG = image_bytes()


def test_photos_are_checked_by_their_bytes(client_as, conn, settings) -> None:
    code = report(conn, 1)
    worker = client_as("t-worker")
    ok = worker.post(f"/incidents/{code}/photos", files={"file": ("x.png", PNG, "image/png")})
    assert ok.status_code == 201, ok.text
    assert ok.json()["media_type"] == "image/png"
    photo = worker.get(f"/incidents/{code}").json()["photos"][0]
    got = worker.get(photo["url"])
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    kept, sent = Image.open(io.BytesIO(got.content)), Image.open(io.BytesIO(PNG))
    assert kept.size == sent.size and kept.tobytes() == sent.tobytes()  # PNG: every pixel kept
    script = b"#!/bin/sh\nrm -rf /\n"
    fake = worker.post(f"/incidents/{code}/photos", files={"file": ("x.jpg", script, "image/jpeg")})
    assert fake.status_code == 422 and "JPEG, PNG or WebP" in fake.json()["detail"]
    magic_only = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200  # the right first bytes, no image
    broken = worker.post(f"/incidents/{code}/photos", files={"file": ("y.png", magic_only)})
    assert broken.status_code == 422 and "readable" in broken.json()["detail"]
    big = b"\xff\xd8\xff" + b"\x00" * 1_000_000
    large = worker.post(f"/incidents/{code}/photos", files={"file": ("x.jpg", big, "image/jpeg")})
    assert large.status_code in (413, 422)
    for _ in range(8):
        worker.post(f"/incidents/{code}/photos", files={"file": ("y.png", PNG, "image/png")})
    tenth = worker.post(f"/incidents/{code}/photos", files={"file": ("z.png", PNG, "image/png")})
    assert tenth.status_code == 422 and "9 photos" in tenth.json()["detail"]
    count = conn.execute(
        text(
            "SELECT count(*) FROM incident_photo p JOIN incident i ON i.id = p.incident_id "
            "WHERE i.code = :c"
        ),
        {"c": code},
    )
    assert count.scalar_one() == 9


# ----------------------------------------------------------------------------- people and scope


def test_reporter_is_masked_for_roles_without_personal_data(client_as, conn) -> None:
    code = report(conn, 1, reporter_name="张三丰", reporter_phone="13812345678")
    planner = client_as("t-planner").get(f"/incidents/{code}").json()
    assert (planner["reporter_name"], planner["reporter_phone"]) == ("张*丰", "138****5678")
    dept = client_as("t-department").get(f"/incidents/{code}").json()
    assert (dept["reporter_name"], dept["reporter_phone"]) == ("张三丰", "13812345678")
    listed = client_as("t-planner").get("/incidents", params={"grid": G1}).text
    assert "13812345678" not in listed and "张三丰" not in listed


def test_roles_and_scopes(client_as, conn, anon) -> None:
    police = report(conn, 1, category="违规停车")  # 公安分局
    sanitation = report(conn, 5)  # 城管局, in G2
    mine = report(conn, 2, category="政策咨询")  # in G1, the worker's grid
    assert anon.get("/incidents").status_code == 401
    lon, lat = centre(5)
    planner = client_as("t-planner")
    assert (
        planner.post("/incidents", json={"lon": lon, "lat": lat, "category": "其他"}).status_code
        == 403
    )
    outside = client_as("t-worker").post(
        "/incidents", json={"lon": lon, "lat": lat, "category": "其他"}
    )
    assert outside.status_code == 403 and "outside your scope" in outside.json()["detail"]
    dept = client_as("t-department")
    assert dept.get(f"/incidents/{police}").status_code == 403  # another department's
    assert dept.get(f"/incidents/{sanitation}").status_code == 200
    assert (
        dept.post(f"/incidents/{sanitation}/transitions", json={"action": "dispatch"}).status_code
        == 403
    )
    assert (
        planner.post(f"/incidents/{mine}/transitions", json={"action": "dispatch"}).status_code
        == 403
    )
    assert client_as("lc-planner").get(f"/incidents/{mine}").status_code == 403
    seen = client_as("t-worker").get("/incidents", params={"limit": 5000}).json()
    grids = {f["properties"]["grid"] for f in seen["features"]}
    assert grids == {G1} and mine in {f["id"] for f in seen["features"]}
    assert sanitation not in {f["id"] for f in seen["features"]}
    dept_codes = {f["id"] for f in dept.get("/incidents").json()["features"]}
    assert sanitation in dept_codes and police not in dept_codes
    assert client_as("t-party").get("/incidents/queue").status_code == 200
    assert client_as("t-worker").get("/incidents/map").status_code == 200


def test_the_queue_is_the_departments_open_work_by_deadline(client_as, conn) -> None:
    early = report(conn, 1, category="井盖缺失")  # negative list: dispatched, 2 h to sign
    late = report(conn, 2, category="环境卫生")
    drive(conn, late, "dispatch")  # 24 h to sign
    police = report(conn, 4, category="违规停车")
    client = client_as("t-department")
    client.app.state.clock = lambda: T0 + dt.timedelta(hours=5)
    q = client.get("/incidents/queue").json()
    codes = [item["code"] for item in q["items"]]
    assert q["department"] == "城管局" and police not in codes
    assert codes.index(early) < codes.index(late)
    flags = {item["code"]: item["overdue"] for item in q["items"]}
    assert flags[early] is True and flags[late] is False  # 5 h after: past 2 h, inside 24 h


# ----------------------------------------------------------------------------- figures


def test_figures_count_what_happened(client_as, conn) -> None:
    on_time = report(conn, 1, category="政策咨询")
    drive(conn, on_time, "dispatch", "sign", "handle", "feed_back", "evaluate")  # 1 h steps
    late = report(conn, 2, category="政策咨询")
    transition(conn, late, "dispatch", now=T0, access=Access.system(SYSTEM))
    transition(
        conn, late, "sign", now=T0 + dt.timedelta(hours=30), access=Access.system(SYSTEM)
    )  # 24 h allowed
    transition(
        conn,
        late,
        "handle",
        note="x",
        now=T0 + dt.timedelta(hours=31),
        access=Access.system(SYSTEM),
    )
    transition(
        conn, late, "feed_back", now=T0 + dt.timedelta(hours=32), access=Access.system(SYSTEM)
    )
    transition(
        conn,
        late,
        "evaluate",
        satisfied=False,
        now=T0 + dt.timedelta(hours=33),
        access=Access.system(SYSTEM),
    )
    doc = (
        client_as("t-admin")
        .get("/incidents/figures", params={"by": "department", "category": "政策咨询"})
        .json()
    )
    row = next(r for r in doc["rows"] if r["key"] == "社区居委会")
    assert (row["total"], row["open"], row["closed"]) == (2, 1, 1)
    assert row["on_time_sign_rate"] == 0.5
    assert row["on_time_completion_rate"] == 1.0  # the late one is being handled again
    assert row["send_back_rate"] == 0.5 and row["satisfaction"] == 0.5
    by_grid = (
        client_as("t-admin")
        .get("/incidents/figures", params={"by": "grid", "category": "政策咨询"})
        .json()
    )
    assert {r["key"]: r["total"] for r in by_grid["rows"]} == {G1: 2}
    assert client_as("t-admin").get("/incidents/figures", params={"by": "x"}).status_code == 422


@pytest.mark.parametrize("by", ["grid", "department", "community", "category"])
def test_figures_total_is_the_sum_of_the_rows(client_as, conn, by: str) -> None:
    """The groups and the total come from one scan: every count of the total is the sum of the
    groups' (an incident with no grid is a row of its own, keyed null, not the total)."""
    report(conn, 1, category="政策咨询")
    conn.execute(
        text("UPDATE incident SET grid_id = NULL WHERE id = (SELECT max(id) FROM incident)")
    )
    doc = client_as("root").get("/incidents/figures", params={"by": by}).json()
    assert doc["rows"], "the sample year has incidents"
    for count in ("total", "open", "closed", "overdue", "signed", "send_backs", "escalated"):
        assert doc["total"][count] == sum(r[count] for r in doc["rows"]), count
    if by == "grid":
        assert None in {r["key"] for r in doc["rows"]}


def test_a_photo_loses_its_metadata_and_its_place_is_kept_in_the_row(client_as, conn) -> None:
    """A phone's JPEG with its make, model, orientation and GPS tags: the stored file has none of
    them and stands upright; where it was taken is in the row, not in the file."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "HUAWEI", "P60 Pro", 6  # make, model, turned
    exif[0x8825] = {1: "N", 2: (27.0, 57.0, 30.0), 3: "E", 4: (116.0, 21.0, 36.0)}
    sent = image_bytes("JPEG", (40, 20), exif=exif, quality=95)
    code = report(conn, 1)
    worker = client_as("t-worker")
    ok = worker.post(f"/incidents/{code}/photos", files={"file": ("p.jpg", sent, "image/jpeg")})
    assert ok.status_code == 201, ok.text
    url = worker.get(f"/incidents/{code}").json()["photos"][0]["url"]
    stored = worker.get(url).content
    assert b"HUAWEI" not in stored and b"P60" not in stored and b"Exif" not in stored
    kept = Image.open(io.BytesIO(stored))
    assert dict(kept.getexif()) == {} and kept.size == (20, 40)  # turned upright, as shown
    lon, lat = conn.execute(
        text(
            "SELECT ST_X(p.location), ST_Y(p.location) FROM incident_photo p "
            "JOIN incident i ON i.id = p.incident_id WHERE i.code = :c"
        ),
        {"c": code},
    ).one()
    assert (lon, lat) == pytest.approx((116 + 21 / 60 + 36 / 3600, 27 + 57 / 60 + 30 / 3600))


def metres_east(lon: float, lat: float, metres: float) -> tuple[float, float]:
    return lon + metres / (111_320 * np.cos(np.radians(lat))), lat


def test_possible_duplicates_are_open_near_recent_and_of_the_category(
    client_as, conn, settings
) -> None:
    lon, lat = centre(5)
    t = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)  # the API asks "before now"
    first = report(conn, at=(lon, lat), category="环境卫生", now=t)
    report(conn, at=metres_east(lon, lat, 120), category="环境卫生", now=t)  # too far
    report(conn, at=metres_east(lon, lat, 10), category="噪音扰民", now=t)  # another category
    old = report(
        conn, at=metres_east(lon, lat, 5), category="环境卫生", now=t - dt.timedelta(days=4)
    )
    closed = report(conn, at=metres_east(lon, lat, 8), category="环境卫生", now=t)
    drive(conn, closed, "dispatch", "sign", "handle", "feed_back", "evaluate", start=t)
    near = report(conn, at=metres_east(lon, lat, 30), category="环境卫生", now=t)
    worker = client_as("t-department")
    here = metres_east(lon, lat, 2)
    params = {"lon": here[0], "lat": here[1], "category": "环境卫生"}
    found = worker.get("/incidents/duplicates", params=params)
    assert found.status_code == 200, found.text
    assert [d["code"] for d in found.json()] == [first, near]  # nearest first
    assert found.json()[0]["distance_m"] == pytest.approx(2, abs=0.5)
    assert old not in {d["code"] for d in found.json()} and closed not in str(found.json())
    # The category's own window: a wider one finds the older report too.
    conn.execute(
        text("UPDATE incident_category SET duplicate_hours = 24 * 7 WHERE code = '环境卫生'")
    )
    assert old in {d["code"] for d in worker.get("/incidents/duplicates", params=params).json()}
    unknown = worker.get("/incidents/duplicates", params=params | {"category": "ufo"})
    assert unknown.status_code == 422 and "ufo" in unknown.json()["detail"]
    # Nothing the caller may not see: a field worker of grid A001 is not shown grid A002's.
    assert client_as("t-worker").get("/incidents/duplicates", params=params).json() == []


# ----------------------------------------------------------------------------- import


def test_import_a_csv_and_an_xlsx(conn, tmp_path: Path) -> None:
    rows = [
        ["code", "category", "reported_at", "lon", "lat", "state", "dispatched_at", "signed_at"],
        [
            "IMP1",
            "环境卫生",
            "2025-05-01 08:00",
            *centre(1),
            "signed",
            "2025-05-01 09:00",
            "2025-05-01 10:00",
        ],
        ["", "违规停车", "2025-05-02T08:00:00+08:00", *centre(6), "reported", "", ""],
    ]
    csv_path = tmp_path / "incidents.csv"
    csv_path.write_text("\n".join(",".join(map(str, r)) for r in rows), encoding="utf-8-sig")
    assert import_incidents(conn, csv_path, access=Access.system(SYSTEM)).rows == 2
    got = conn.execute(
        text(
            "SELECT i.state, g.code, i.sign_due_at - i.dispatched_at, i.reported_at "
            "FROM incident i JOIN grid g ON g.id = i.grid_id WHERE i.code = 'IMP1'"
        )
    ).one()
    assert got[0] == "signed" and got[1] == G1 and got[2] == dt.timedelta(hours=24)
    assert got[3] == dt.datetime(2025, 5, 1, 0, 0, tzinfo=dt.UTC)  # Beijing 08:00
    history = conn.execute(
        text(
            "SELECT count(*) FROM incident_transition t JOIN incident i ON i.id = t.incident_id "
            "WHERE i.source = 'import' AND t.action = 'import'"
        )
    )
    assert history.scalar_one() == 2

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["category", "reported_at", "lon", "lat"])
    sheet.append(["其他", "2025-06-01 08:00", *centre(9)])
    xlsx_path = tmp_path / "incidents.xlsx"
    book.save(xlsx_path)
    assert import_incidents(conn, xlsx_path, access=Access.system(SYSTEM)).rows == 1


def test_a_bad_row_names_itself_and_nothing_is_written(conn, tmp_path: Path) -> None:
    before = conn.execute(text("SELECT count(*) FROM incident")).scalar_one()
    path = tmp_path / "bad.csv"
    path.write_text(
        "category,reported_at,lon,lat\n其他,2025-01-01 08:00,116.0005,27.5005\n"
        "其他,yesterday,116.0005,27.5005\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidFile, match=r"row 3, reported_at"):
        import_incidents(conn, path, access=Access.system(SYSTEM))
    path.write_text("category,reported_at,lon,lat\n外星人,2025-01-01,116.0005,27.5005\n")
    with pytest.raises(InvalidFile, match=r"row 2, category"):
        import_incidents(conn, path, access=Access.system(SYSTEM))
    assert conn.execute(text("SELECT count(*) FROM incident")).scalar_one() == before


# ----------------------------------------------------------------------------- the sample city


def test_loaded_incidents_carry_grid_cell_and_plausible_times(conn) -> None:
    row = conn.execute(
        text(
            """SELECT count(*) AS n,
                      count(*) FILTER (WHERE grid_id IS NULL OR h3_cell IS NULL) AS unplaced,
                      count(*) FILTER (WHERE state = 'evaluated' AND evaluated_at IS NULL) AS a,
                      count(*) FILTER (WHERE state = 'reported' AND dispatched_at IS NOT NULL)
                          AS b,
                      count(*) FILTER (WHERE signed_at < dispatched_at
                                         OR handled_at < signed_at) AS disorder,
                      count(*) FILTER (WHERE signed_at > sign_due_at) AS late
               FROM incident WHERE starts_with(code, 'E')"""
        )
    ).one()
    assert row.n == 30_000
    assert row.unplaced == 0 and row.a == 0 and row.b == 0 and row.disorder == 0
    assert 0.05 * row.n < row.late < 0.3 * row.n  # some signed late, most on time


def test_transition_refuses_unknown_actions(conn) -> None:
    code = report(conn, 1)
    with pytest.raises(Exception, match="unknown action"):
        transition(conn, code, "teleport", access=Access.system(SYSTEM))
    with pytest.raises(IllegalTransition):
        transition(conn, code, "sign", access=Access.system(SYSTEM))


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_a_point_read_off_a_chinese_web_map_comes_back_to_wgs84(system: str) -> None:
    """A phone app on AMap or Baidu reports shifted coordinates (hundreds of metres off)."""
    lon, lat = X0 + 1.5 * STEP, Y0 + 1.5 * STEP
    shifted = FROM_WGS84[system](np.array([[lon, lat]]))[0]
    assert abs(shifted[0] - lon) > 0.003  # the raw offset is several hundred metres
    back = to_wgs84(float(shifted[0]), float(shifted[1]), system)
    assert back == pytest.approx((lon, lat), abs=1e-8)  # about a millimetre
