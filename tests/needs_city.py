"""Takers and a need for the tiny city, placed by hand (see tests/party_city.py for the members).

::

    row 2   U7  U8 | U9     community A = U1 U2 U4 U5 U7 U8, community B = U3 U6 U9
    row 1   U4  U5 | U6     5号楼: a 0.0002° square at the centre of U5 (116.0015, 27.5015)
    row 0   U1  U2 | U3

The need: 助老 (elderly), 2 hours, at 5号楼 — its point on surface is the square's centre.

=========  =============================  ===============  ============  ========================
taker      who                            skills           h / month     where (from the need)
=========  =============================  ===============  ============  ========================
near       member 孙八, registered with A  elderly, wish    10            0.0003° north, ~33 m
far        member 吴十, registered with A  elderly          10            0.0007° north, ~78 m
TNT1       team of A                      elderly          40            U7's centre, ~148 m
TNU1       unit paired with A             repair, legal    20            0.0004° east, ~40 m
TNU2       unit paired with B only        elderly          20            U6's centre
other      member 冯十二, registered w. B  elderly          10            in B
=========  =============================  ===============  ============  ========================

Each scores 0.40·skill + 0.25/(1 + d/500) + 0.20·capacity + 0.15·record (no record: ½), so
near 0.9095 > far 0.891 > TNT1 0.868 > TNU1 ≈ 0.51; TNU2 and 冯十二 are not A's and never appear.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection

from gis.access import Access
from gis.needs import Offer, Place, add_paired_unit, add_team, pair_unit, register_member
from tests.party_city import CENTRE_5, building, seed_members
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, X0, Y0

SYSTEM = Access.system("system:tests")
NEED_BUILDING = building(5)
SINCE = dt.date(2026, 11, 1)
NEED_POINT = CENTRE_5


def seed_takers(conn: Connection, prefix: str = "TN") -> dict[str, str]:
    """The members of tests/party_city.py, and the takers above; returns taker refs by name."""
    people = seed_members(conn, prefix)
    cx, cy = CENTRE_5
    add_paired_unit(
        conn, f"{prefix}U1", "测试住建局", Place(cx + 0.0004, cy), Offer(["repair", "legal"], 20),
        access=SYSTEM,
    )  # fmt: skip
    add_paired_unit(
        conn, f"{prefix}U2", "测试民政局", Place(X0 + 0.0025, Y0 + 0.0015), Offer(["elderly"], 20),
        access=SYSTEM,
    )  # fmt: skip
    # Pairings and registrations from a fixed day before the tests' clock (NOW, 2026-12-07):
    # "today" by default would start them after NOW once China's date has moved on.
    pair_unit(conn, f"{prefix}U1", COMMUNITY_A, access=SYSTEM, starts_on=SINCE)
    pair_unit(conn, f"{prefix}U2", COMMUNITY_B, access=SYSTEM, starts_on=SINCE)
    add_team(
        conn, f"{prefix}T1", "甲社区银龄志愿队", COMMUNITY_A, Place(X0 + 0.0005, Y0 + 0.0025),
        Offer(["elderly"], 40), access=SYSTEM, volunteers=12,
    )  # fmt: skip
    register_member(conn, people["near"].code, COMMUNITY_A, Offer(["elderly", "wish"], 10),
                    access=SYSTEM, starts_on=SINCE)  # fmt: skip
    register_member(conn, people["far"].code, COMMUNITY_A, Offer(["elderly"], 10),
                    access=SYSTEM, starts_on=SINCE)  # fmt: skip
    register_member(conn, people["other"].code, COMMUNITY_B, Offer(["elderly"], 10),
                    access=SYSTEM, starts_on=SINCE)  # fmt: skip
    return {
        "near": f"member:{people['near'].code}",
        "far": f"member:{people['far'].code}",
        "team": f"team:{prefix}T1",
        "unit": f"unit:{prefix}U1",
        "unit_b": f"unit:{prefix}U2",
        "other": f"member:{people['other'].code}",
        "unregistered": f"member:{people['east'].code}",
    }
