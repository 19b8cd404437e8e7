"""The sample city's engagement data: made once, deterministically, at the seeds' ratios, and
usable at once — a need of it is ranked and its figures add up. Seeding costs seconds, so it
runs here, in these tests' rolled-back transactions, not in the session's fixtures."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import Connection

from gis.access import Access
from gis.chinatime import CHINA
from gis.councils.figures import councils_by_area
from gis.councils.sample import COUNCILS_PER_HOUSEHOLD, seed_councils
from gis.needs import rank_takers
from gis.needs.figures import Period, needs_by_area
from gis.needs.projects import list_projects
from gis.needs.sample import NEEDS_PER_HOUSEHOLD, seed_engagement
from gis.needs.sample_projects import NEEDS_PER_PROJECT, seed_projects
from tests.conftest import scalar

SYSTEM = Access.system("system:tests")
AS_OF = dt.date(2026, 12, 7)
NOW = dt.datetime(2026, 12, 7, 20, 0, tzinfo=CHINA)
PREFIX = "3610"
SCALE = 0.1  # a tenth of the year's needs: the same takers, a quicker test


@pytest.fixture
def seeded(conn: Connection):
    if not scalar(conn, "SELECT count(*) FROM community WHERE starts_with(code, :p)", p=PREFIX):
        pytest.fail("the sample city is not loaded: make sample")
    started = time.perf_counter()
    report = seed_engagement(conn, access=SYSTEM, prefix=PREFIX, as_of=AS_OF, scale=SCALE)
    return report, time.perf_counter() - started


def test_the_sample_gets_its_takers_and_a_year_of_needs(conn, seeded) -> None:
    report, _ = seeded
    households = scalar(
        conn,
        "SELECT sum(households) FROM base_unit u JOIN community c "
        "ON c.id = u.community_id WHERE starts_with(c.code, :p)",
        p=PREFIX,
    )
    communities = scalar(conn, "SELECT count(*) FROM community WHERE starts_with(code, :p)",
                         p=PREFIX)  # fmt: skip
    assert report.needs == round(households * NEEDS_PER_HOUSEHOLD * SCALE)
    assert report.pairings == 2 * communities
    assert 3 * communities <= report.teams <= 4 * communities
    assert report.registrations > 0 and report.orders >= report.needs * 0.6
    # every community has takers of all three kinds; members registered once each
    assert (
        scalar(conn, "SELECT count(DISTINCT community_id) FROM member_registration") == communities
    )
    assert scalar(conn, "SELECT count(*) - count(DISTINCT member_id) FROM member_registration") == 0
    assert (
        scalar(
            conn, "SELECT count(*) FROM need WHERE created_at < :a", a=NOW - dt.timedelta(days=366)
        )
        == 0
    )
    again = seed_engagement(conn, access=SYSTEM, prefix=PREFIX, as_of=AS_OF, scale=SCALE)
    assert again.skipped and scalar(conn, "SELECT count(*) FROM need") == report.needs
    # a need of it is ranked at once, and the county figures add up to all of them
    code = scalar(conn, "SELECT code FROM need WHERE status = 'open' ORDER BY code LIMIT 1")
    ranking = rank_takers(conn, code, access=SYSTEM, now=NOW, limit=5)
    assert len(ranking.takers) == 5
    scores = [t.score for t in ranking.takers]
    assert scores == sorted(scores, reverse=True)
    areas = needs_by_area(conn, "district", Period(AS_OF - dt.timedelta(days=364), AS_OF),
                          access=SYSTEM, now=NOW)  # fmt: skip
    assert sum(a.total for a in areas) == report.needs
    assert {a.key for a in areas} == {"361002", "361003"}
    check_councils(conn, households, communities)
    check_projects(conn, communities)


def check_councils(conn, households: int, communities: int) -> None:
    """A year of councils on top of those needs (here, not in a test of its own: seeding the
    needs again would cost the suite seconds): at the seeds' ratio, one venue per community,
    each council's steps in order and never after the day, the figures adding up."""
    made = seed_councils(conn, access=SYSTEM, prefix=PREFIX, as_of=AS_OF, scale=SCALE)
    assert made.councils == round(households * COUNCILS_PER_HOUSEHOLD * SCALE)
    assert made.venues == communities and made.parties == 5 * made.councils
    assert seed_councils(conn, access=SYSTEM, prefix=PREFIX, as_of=AS_OF, scale=SCALE).skipped
    # a council's status is how many of the four steps it has, their days never go back
    wrong = scalar(conn, """
        SELECT count(*) FROM council k CROSS JOIN LATERAL (
            SELECT count(*) AS n, bool_and(s.held_on <= :day) AS by_day,
                   array_agg(s.step::text ORDER BY s.held_on, s.id) AS steps
            FROM council_step s WHERE s.council_id = k.id) s
        WHERE s.n <> array_position(ARRAY['raised','understood','analysed','deliberated',
                                          'settled'], k.status) - 1
           OR NOT coalesce(s.by_day, true)
           OR s.steps[1:s.n] <> (ARRAY['understand','analyse','deliberate','follow_up'])[1:s.n]
           OR (k.status = 'settled') <> (k.rating IS NOT NULL)""", day=AS_OF)  # fmt: skip
    assert wrong == 0
    origins = dict(conn.exec_driver_sql("SELECT origin, count(*) FROM council GROUP BY 1").all())
    assert set(origins) == {"need", "incident", "community"}
    areas = councils_by_area(conn, "district", Period(AS_OF - dt.timedelta(days=364), AS_OF),
                             access=SYSTEM)  # fmt: skip
    assert sum(a.raised for a in areas) == made.councils
    assert sum(a.settled for a in areas) == scalar(
        conn, "SELECT count(*) FROM council WHERE status = 'settled'"
    )


def check_projects(conn, communities: int) -> None:
    """Projects on top of those needs (here for the same reason as the councils): about one
    community in three, run or funded by a unit paired with it, grouping needs of that
    community of the kind the unit offers; made once."""
    made = seed_projects(conn, access=SYSTEM, prefix=PREFIX, as_of=AS_OF)
    assert communities / 5 < made.projects < communities / 2
    assert 0 < made.needs <= NEEDS_PER_PROJECT * made.projects
    assert seed_projects(conn, access=SYSTEM, prefix=PREFIX, as_of=AS_OF).skipped
    wrong = scalar(conn, """
        SELECT count(*) FROM project p JOIN project_need pn ON pn.project_id = p.id
        JOIN need n ON n.id = pn.need_id JOIN paired_unit u ON u.id = p.unit_id
        WHERE n.community_id <> p.community_id OR n.kind <> u.skills[1]
           OR NOT EXISTS (SELECT 1 FROM unit_pairing up WHERE up.unit_id = p.unit_id
                          AND up.community_id = p.community_id)""")  # fmt: skip
    assert wrong == 0
    shown = list_projects(conn, access=SYSTEM)
    assert len(shown) == made.projects and sum(p.needs for p in shown) == made.needs
    assert all(0 <= p.progress <= 1 and p.name.endswith("项目") for p in shown)


def test_the_same_day_gives_the_same_rows(conn, seeded) -> None:
    digest = ("SELECT md5(string_agg(code || status || kind || requester_phone || due_on, ',' "
              "ORDER BY code)) FROM need")  # fmt: skip
    first = scalar(conn, digest)
    conn.exec_driver_sql(
        "DELETE FROM need; DELETE FROM volunteer_team; DELETE FROM "
        "member_registration; DELETE FROM unit_pairing; DELETE FROM paired_unit"
    )
    seed_engagement(conn, access=SYSTEM, prefix=PREFIX, as_of=AS_OF, scale=SCALE)
    assert scalar(conn, digest) == first
