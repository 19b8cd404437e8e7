"""Party members and assignments for the tiny city, placed by hand (see tests/tiny_city.py).

::

    row 2   U7  U8 | U9     unified grids: A1 = {U1, U2}, A2 = {U4, U5, U7, U8}, B1 = {U3, U6, U9};
    row 1   U4  U5 | U6     each Un has one building "n号楼" (100·n households, 3 entrances),
    row 0   U1  U2 | U3     a 0.0002° square at the block's centre

Members live at known places around 5号楼 (centre 116.0015, 27.5015; its edges are 0.0001°
from the centre), so their straight-line distances can be worked out by hand (and checked with
pyproj's geodesic): NEAR is 0.0002° north of the north edge (~22 m), EAST 0.0003° east of the
east edge (~30 m), FAR 0.0006° north (~66 m), BUSY 0.0001° north (~11 m) but already leading
three buildings, and OTHER in community B, 0.0005° east of the east edge (~49 m).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, STEP, X0, Y0, unit_code

GRID_A1, GRID_A2, GRID_B1 = f"{COMMUNITY_A}001", f"{COMMUNITY_A}002", f"{COMMUNITY_B}001"
ORG_A, ORG_AGENCY = "P9901", "P9902"
START = dt.date(2025, 1, 1)
ON = dt.date(2026, 1, 15)  # the day the coverage tests ask about

CENTRE_5 = (X0 + 1.5 * STEP, Y0 + 1.5 * STEP)
HALF = 0.0001  # half the side of a building square
NORTH_EDGE_5 = CENTRE_5[1] + HALF
EAST_EDGE_5 = CENTRE_5[0] + HALF


def building(n: int) -> str:
    return f"{unit_code(n)}B001"


@dataclass(frozen=True)
class Member:
    code: str
    name: str
    phone: str
    community: str
    org: str
    lon: float
    lat: float


def members(prefix: str = "TT") -> dict[str, Member]:
    """The hand-placed members, by role in the story (codes start with ``prefix``)."""
    cx, cy = CENTRE_5

    def m(key: str, n: int, name: str, community: str, org: str, lon: float, lat: float):
        return key, Member(f"{prefix}{n:03d}", name, f"1380000{n:04d}", community, org, lon, lat)

    rows = [
        m("leader_a1", 1, "张三丰", COMMUNITY_A, ORG_A, X0 + 0.0005, Y0 + 0.0005),
        m("leader_1", 2, "李四光", COMMUNITY_A, ORG_A, X0 + 0.0004, Y0 + 0.0004),
        m("unit_1", 3, "王五", COMMUNITY_A, ORG_A, X0 + 0.0006, Y0 + 0.0004),
        m("leader_4", 4, "赵六一", COMMUNITY_A, ORG_A, X0 + 0.0004, Y0 + 0.0014),
        m("leader_9", 5, "钱七七", COMMUNITY_B, ORG_A, X0 + 0.0025, Y0 + 0.0024),
        m("near", 6, "孙八", COMMUNITY_A, ORG_A, cx, NORTH_EDGE_5 + 0.0002),
        m("east", 7, "周九九", COMMUNITY_A, ORG_AGENCY, EAST_EDGE_5 + 0.0003, cy),
        m("far", 8, "吴十", COMMUNITY_A, ORG_A, cx, NORTH_EDGE_5 + 0.0006),
        m("busy", 9, "郑十一", COMMUNITY_A, ORG_A, cx, NORTH_EDGE_5 + 0.0001),
        m("other", 10, "冯十二", COMMUNITY_B, ORG_A, EAST_EDGE_5 + 0.0005, cy),
        m("cadre", 11, "陈十三", COMMUNITY_A, ORG_AGENCY, X0 + 0.0003, Y0 + 0.0025),
    ]
    return dict(rows)


def seed_members(conn: Connection, prefix: str = "TT") -> dict[str, Member]:
    """Two organisations and the members (no assignments)."""
    conn.execute(
        text(
            "INSERT INTO party_organisation (code, name, kind, community_id) VALUES "
            "(:a, '甲社区党委', 'community', (SELECT id FROM community WHERE code = :ca)), "
            "(:b, '测试局机关党支部', 'agency', NULL) ON CONFLICT (code) DO NOTHING"
        ),
        {"a": ORG_A, "b": ORG_AGENCY, "ca": COMMUNITY_A},
    )
    people = members(prefix)
    for who in people.values():
        conn.execute(
            text(
                "INSERT INTO party_member (code, name, phone, organisation_id, community_id, "
                "geom) VALUES (:code, :name, :phone, "
                "(SELECT id FROM party_organisation WHERE code = :org),"
                " (SELECT id FROM community WHERE code = :community),"
                " ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"
            ),
            vars(who),
        )
    return people


def insert_assignment(
    conn: Connection,
    member: str,
    role: str,
    *,
    grid: str | None = None,
    building_code: str | None = None,
    entrance: int | None = None,
    starts_on: dt.date = START,
    ends_on: dt.date | None = None,
) -> int:
    """Straight into the table (as the loader does), bypassing gis.party's checks."""
    return int(
        conn.execute(
            text(
                """INSERT INTO assignment (member_id, role, grid_id, building_id, entrance_id,
                                           starts_on, ends_on)
                   SELECT m.id, :role,
                          (SELECT g.id FROM grid g JOIN grid_layer l ON l.id = g.layer_id
                           WHERE l.code = 'unified' AND g.code = :grid),
                          CASE WHEN CAST(:entrance AS integer) IS NULL THEN
                              (SELECT id FROM building WHERE code = :building) END,
                          (SELECT e.id FROM building_entrance e JOIN building b
                             ON b.id = e.building_id
                           WHERE b.code = :building AND e.number = CAST(:entrance AS integer)),
                          :starts_on, :ends_on
                   FROM party_member m WHERE m.code = :member RETURNING id"""
            ),
            {
                "member": member,
                "role": role,
                "grid": grid,
                "building": building_code,
                "entrance": entrance,
                "starts_on": starts_on,
                "ends_on": ends_on,
            },
        ).scalar_one()
    )


def seed_coverage(conn: Connection, prefix: str = "TT") -> dict[str, Member]:
    """The coverage story (on :data:`ON`):

    - grid A1 has a grid leader; A2 and B1 have none; A2 has one cadre sent down;
    - 1号楼, 4号楼 and 9号楼 have building leaders; 5号楼 had one until 2025-01-31;
      2号楼 gets one only in 2030; entrance 2 of 1号楼 has a unit leader;
    - BUSY leads 6号楼, 7号楼 and 8号楼 — but only from 2027, so on :data:`ON` they count as
      uncovered, while BUSY's capacity (3 buildings from today on) is full.
    """
    people = seed_members(conn, prefix)
    p = {k: v.code for k, v in people.items()}
    insert_assignment(conn, p["leader_a1"], "grid_leader", grid=GRID_A1)
    insert_assignment(conn, p["cadre"], "cadre", grid=GRID_A2)
    insert_assignment(conn, p["leader_1"], "building_leader", building_code=building(1))
    insert_assignment(conn, p["leader_4"], "building_leader", building_code=building(4))
    insert_assignment(conn, p["leader_9"], "building_leader", building_code=building(9))
    insert_assignment(
        conn, p["far"], "building_leader", building_code=building(5),
        ends_on=dt.date(2025, 1, 31),
    )  # fmt: skip
    insert_assignment(
        conn, p["leader_1"], "building_leader", building_code=building(2),
        starts_on=dt.date(2030, 1, 1),
    )  # fmt: skip
    insert_assignment(conn, p["unit_1"], "unit_leader", building_code=building(1), entrance=2)
    for n in (6, 7, 8):
        insert_assignment(
            conn, p["busy"], "building_leader", building_code=building(n),
            starts_on=dt.date(2027, 1, 1),
        )  # fmt: skip
    return people


def add_incidents(conn: Connection, prefix: str = "TI") -> None:
    """An open incident in U1 (grid A1), an evaluated one in U2 (A1, closed), one in U4 (A2)."""
    rows = [
        (f"{prefix}000001", "handled", X0 + 0.0003, Y0 + 0.0003),
        (f"{prefix}000002", "evaluated", X0 + 0.0013, Y0 + 0.0003),
        (f"{prefix}000003", "reported", X0 + 0.0003, Y0 + 0.0013),
    ]
    for code, state, lon, lat in rows:
        conn.execute(
            text(
                "INSERT INTO incident (code, category, description, reported_at, reporter_kind, "
                "department, state, geom) VALUES (:code, '环境卫生', '楼道杂物堆放', "
                "'2026-01-10T09:00:00+08:00', 'resident', '城管局', :state, "
                "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"
            ),
            {"code": code, "state": state, "lon": lon, "lat": lat},
        )


@contextmanager
def committed_story(engine: Engine, prefix: str, incidents: str | None = None) -> Iterator[dict]:
    """The coverage story (and, with ``incidents``, its incidents) committed for a live server,
    removed afterwards; yields the members by name."""
    with engine.begin() as conn:
        people = seed_coverage(conn, prefix)
        if incidents:
            add_incidents(conn, incidents)
    try:
        yield dict(people)
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM party_member WHERE code LIKE :p"), {"p": prefix + "%"})
            if incidents:
                conn.execute(
                    text("DELETE FROM incident WHERE code LIKE :p"), {"p": incidents + "%"}
                )
            conn.execute(
                text(
                    "DELETE FROM party_organisation o WHERE code = ANY(:c) AND NOT EXISTS "
                    "(SELECT 1 FROM party_member m WHERE m.organisation_id = o.id)"
                ),
                {"c": [ORG_A, ORG_AGENCY]},
            )
