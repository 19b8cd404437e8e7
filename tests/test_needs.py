"""三张清单 in the tiny city: a need placed where it is, the takers ranked by hand-checked
distances, the order's steps, and every refusal changing nothing (story: tests/needs_city.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from pyproj import Geod
from sqlalchemy import Connection, text

from gis.access import Access
from gis.chinatime import CHINA
from gis.errors import Conflict, Forbidden, IllegalTransition, Invalid
from gis.facilities.network import build_network
from gis.needs import (
    NeedIn,
    Offer,
    TakerRef,
    accept,
    complete,
    create_need,
    decline,
    dispatch,
    evaluate,
    get_need,
    rank_takers,
    register_member,
)
from gis.scope import Scope
from tests.conftest import scalar
from tests.needs_city import NEED_BUILDING, NEED_POINT, SYSTEM, seed_takers
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, DISTRICT, STEP, X0, Y0

NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=CHINA)
GEOD = Geod(ellps="WGS84")


def elderly_need(conn: Connection) -> str:
    need = NeedIn(
        kind="elderly", title="陪同老人就医", requester_name="刘大爷",
        requester_phone="13912345678", due_on=dt.date(2026, 12, 10), hours=2,
        building=NEED_BUILDING,
    )  # fmt: skip
    return create_need(conn, need, access=SYSTEM, now=NOW).code


@pytest.fixture
def takers(conn: Connection) -> dict[str, str]:
    return seed_takers(conn)


def test_a_need_is_placed_in_its_community_and_grid(conn, takers) -> None:
    code = elderly_need(conn)
    seen = get_need(conn, code, access=SYSTEM, now=NOW)
    assert (seen.community_code, seen.grid_code) == (COMMUNITY_A, f"{COMMUNITY_A}002")
    assert (seen.lon, seen.lat) == pytest.approx(NEED_POINT, abs=1e-7)
    assert (seen.status, seen.status_label) == ("open", "待派单 Awaiting dispatch")
    assert seen.requester_phone == "13912345678" and not seen.masked


def test_a_need_outside_every_community_is_refused(conn, takers) -> None:
    before = scalar(conn, "SELECT count(*) FROM need")
    outside = NeedIn(
        kind="repair", title="修水管", requester_name="刘大爷", requester_phone="13912345678",
        due_on=dt.date(2026, 12, 10), lon=X0 - 0.01, lat=Y0,
    )  # fmt: skip
    with pytest.raises(Invalid, match="不在任何社区内"):
        create_need(conn, outside, access=SYSTEM, now=NOW)
    assert scalar(conn, "SELECT count(*) FROM need") == before


def test_takers_are_ranked_by_skill_distance_capacity_and_record(conn, takers) -> None:
    code = elderly_need(conn)
    ranking = rank_takers(conn, code, access=SYSTEM, now=NOW)
    order = [t.taker for t in ranking.takers]
    assert order == [takers["near"], takers["far"], takers["team"], takers["unit"]]
    near = ranking.takers[0]
    _, _, metres = GEOD.inv(NEED_POINT[0], NEED_POINT[1], NEED_POINT[0], NEED_POINT[1] + 0.0003)
    assert near.distance_m == pytest.approx(metres, abs=0.5)
    assert near.score == pytest.approx(0.4 + 0.25 / (1 + near.distance_m / 500) + 0.2 + 0.075,
                                       abs=1e-3)  # fmt: skip
    assert (near.free_hours, near.skill_match) == (10, True)
    assert not ranking.takers[3].skill_match


def test_where_streets_exist_the_takers_are_ranked_by_their_walk(conn, takers) -> None:
    """A lane goes round the block from the need (1.5, 1.5) east to (1.9, 1.5), north to
    (1.9, 1.8) and back west to (1.5, 1.8), where 孙八 lives: 33 m as the crow flies, the lane's
    three legs on foot. 吴十 (1.5, 2.2) steps 44 m onto the lane's end; 住建局 stands on its
    corner; the team (0.5, 2.5) steps 126 m onto it. One routing call, and each says "walk"."""
    legs = [(1.5, 1.5), (1.9, 1.5), (1.9, 1.8), (1.5, 1.8)]
    points = [(X0 + x * STEP, Y0 + y * STEP) for x, y in legs]
    conn.execute(
        text(
            "INSERT INTO linear_feature (code, name, kind, district_id, geom) "
            "SELECT 'T-LANE', '绕楼巷', 'lane', id, ST_GeomFromText(:wkt, 4326) FROM district "
            "WHERE code = :d"
        ),
        {"wkt": "MULTILINESTRING((" + ", ".join(f"{x!r} {y!r}" for x, y in points) + "))",
         "d": DISTRICT},
    )  # fmt: skip
    build_network(conn, [DISTRICT])
    ranking = rank_takers(conn, elderly_need(conn), access=SYSTEM, now=NOW)
    assert ranking.distance_mode == "walk"
    by = {t.taker: t for t in ranking.takers}
    leg = [GEOD.inv(*a, *b)[2] for a, b in zip(points, points[1:], strict=False)]
    assert by[takers["near"]].distance_m == pytest.approx(sum(leg), abs=0.5)
    assert by[takers["unit"]].distance_m == pytest.approx(leg[0], abs=0.5)
    step_far = GEOD.inv(*points[3], points[3][0], Y0 + 2.2 * STEP)[2]
    assert by[takers["far"]].distance_m == pytest.approx(sum(leg) + step_far, abs=0.5)
    assert {t.distance_by for t in ranking.takers} == {"walk"}
    assert [t.taker for t in ranking.takers] == [takers["near"], takers["far"], takers["team"],
                                                 takers["unit"]]  # fmt: skip


def test_without_streets_the_ranking_says_it_used_the_straight_line(conn, takers) -> None:
    ranking = rank_takers(conn, elderly_need(conn), access=SYSTEM, now=NOW)
    assert ranking.distance_mode == "straight"
    assert {t.distance_by for t in ranking.takers} == {"straight"}


def test_hours_taken_this_month_lower_a_taker(conn, takers) -> None:
    """孙八 accepts a 9-hour need: 1 hour left of 10, half of what a 2-hour need asks."""
    big = NeedIn(
        kind="wish", title="搬家帮手", requester_name="王阿姨", requester_phone="13700001111",
        due_on=dt.date(2026, 12, 20), hours=9, building=NEED_BUILDING,
    )  # fmt: skip
    first = create_need(conn, big, access=SYSTEM, now=NOW).code
    dispatch(conn, first, TakerRef.parse(takers["near"]), access=SYSTEM, now=NOW)
    accept(conn, first, access=SYSTEM, now=NOW)
    ranking = rank_takers(conn, elderly_need(conn), access=SYSTEM, now=NOW)
    near = next(t for t in ranking.takers if t.taker == takers["near"])
    assert near.free_hours == 1
    assert [t.taker for t in ranking.takers][:3] == [takers["far"], takers["team"], takers["near"]]


def test_the_order_runs_from_dispatch_to_evaluation(conn, takers) -> None:
    code = elderly_need(conn)
    steps = [
        dispatch(conn, code, TakerRef.parse(takers["team"]), access=SYSTEM, now=NOW).status,
        accept(conn, code, access=SYSTEM, now=NOW).status,
        complete(conn, code, access=SYSTEM, now=NOW, hours=2.5).status,
        evaluate(conn, code, access=SYSTEM, now=NOW, rating=5).status,
    ]
    assert steps == ["dispatched", "accepted", "done", "evaluated"]
    history = conn.exec_driver_sql(
        "SELECT action FROM need_event e JOIN need n ON n.id = e.need_id "
        f"WHERE n.code = '{code}' ORDER BY e.id"
    ).scalars()
    assert list(history) == ["create", "dispatch", "accept", "complete", "evaluate"]
    assert scalar(conn, "SELECT hours_given FROM need_order o JOIN need n ON n.id = o.need_id "
                  "WHERE n.code = :c", c=code) == 2.5  # fmt: skip


def test_a_declined_order_goes_back_and_the_decliner_is_not_ranked_again(conn, takers) -> None:
    code = elderly_need(conn)
    dispatch(conn, code, TakerRef.parse(takers["near"]), access=SYSTEM, now=NOW)
    assert decline(conn, code, access=SYSTEM, now=NOW, reason="本周出差").status == "open"
    ranking = rank_takers(conn, code, access=SYSTEM, now=NOW)
    assert takers["near"] not in [t.taker for t in ranking.takers]


def test_accepting_twice_is_a_conflict_and_changes_nothing(conn, takers) -> None:
    code = elderly_need(conn)
    dispatch(conn, code, TakerRef.parse(takers["far"]), access=SYSTEM, now=NOW)
    accept(conn, code, access=SYSTEM, now=NOW)
    events = scalar(conn, "SELECT count(*) FROM need_event")
    with pytest.raises(IllegalTransition, match="不能接单"):
        accept(conn, code, access=SYSTEM, now=NOW)
    assert scalar(conn, "SELECT count(*) FROM need_event") == events
    with pytest.raises(IllegalTransition):
        dispatch(conn, code, TakerRef.parse(takers["team"]), access=SYSTEM, now=NOW)


@pytest.mark.parametrize("who", ["unit_b", "other", "unregistered"])
def test_a_taker_outside_the_communitys_pairing_is_refused(conn, takers, who) -> None:
    code = elderly_need(conn)
    with pytest.raises(Invalid, match="不在社区"):
        dispatch(conn, code, TakerRef.parse(takers[who]), access=SYSTEM, now=NOW)
    assert get_need(conn, code, access=SYSTEM, now=NOW).status == "open"
    assert scalar(conn, "SELECT count(*) FROM need_order") == 0


def test_a_member_registers_with_one_community_at_a_time(conn, takers) -> None:
    member = takers["near"].partition(":")[2]
    with pytest.raises(Conflict, match=f"已在社区 {COMMUNITY_A} 报到"):
        register_member(conn, member, COMMUNITY_B, Offer(["wish"], 4), access=SYSTEM)
    rows = scalar(conn, "SELECT count(*) FROM member_registration r JOIN party_member m "
                  "ON m.id = r.member_id WHERE m.code = :m", m=member)  # fmt: skip
    assert rows == 1


def test_the_database_refuses_a_second_registration_too(conn, takers) -> None:
    from sqlalchemy.exc import IntegrityError

    member = takers["near"].partition(":")[2]
    with (
        pytest.raises(IntegrityError, match="member_registration_one_community"),
        conn.begin_nested(),
    ):
        conn.exec_driver_sql(
            "INSERT INTO member_registration (member_id, community_id, hours_per_month, "
            f"starts_on) SELECT m.id, c.id, 4, '2027-01-01' FROM party_member m, community c "
            f"WHERE m.code = '{member}' AND c.code = '{COMMUNITY_B}'"
        )


def test_staff_reach_their_scope_only_and_others_see_the_resident_masked(conn, takers) -> None:
    code = elderly_need(conn)
    party_b = Access.system("system:tests", scope=Scope.community(COMMUNITY_B))
    with pytest.raises(Forbidden):
        rank_takers(conn, code, access=party_b, now=NOW)
    masked = Access(actor="county", scope=Scope.city(), personal_data=False)
    seen = get_need(conn, code, access=masked, now=NOW)
    assert (seen.requester_name, seen.requester_phone, seen.masked) == ("刘*爷", "139****5678",
                                                                         True)  # fmt: skip
