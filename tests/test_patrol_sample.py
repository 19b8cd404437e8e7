"""``gridmap field sample`` on the tiny city's one street: three grids, three workers (t-worker
of G1 and two generated), November 2026 (21 working days, one of them each worker's training
day), a point every 2 minutes from 09:00 to 17:00 (240 a day). G1 and G3 (odd in code order)
spend 70 % of the day in their grid, G2 40 %; the share from the tracks is a little lower,
the step out of the grid counting as out. A second run replaces, never adds.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Connection

from gis.access import Access
from gis.accounts import get_user
from gis.assessment import month_counts
from gis.chinatime import CHINA
from gis.errors import Forbidden, Invalid
from gis.infra.settings import Settings
from gis.patrols.sample import sample_tracks
from tests.conftest import scalar
from tests.tiny_city import STREET

NOW = dt.datetime(2026, 12, 2, 12, tzinfo=CHINA)
NOVEMBER = dt.date(2026, 11, 1)


def test_a_month_of_sample_patrols(
    conn: Connection, settings: Settings, users: dict[str, str]
) -> None:
    """(``users``: t-worker holds G1 already.)"""
    system = Access.system("system:tests")
    first = sample_tracks(conn, STREET, NOVEMBER, access=system, now=NOW, step=120)
    again = sample_tracks(conn, STREET, NOVEMBER, access=system, now=NOW, step=120)
    assert (first.workers, first.users_created, again.users_created) == (3, 2, 0)
    assert (again.patrols, again.absences, again.check_ins) == (3 * 20, 3, 3 * 20)
    assert again.points == 3 * 20 * 240
    assert (
        scalar(
            conn,
            "SELECT count(*) FROM track_point t JOIN patrol p ON p.id = t.patrol_id "
            "JOIN app_user u ON u.id = p.user_id WHERE starts_with(u.scope_code, :street)",
            street=STREET,
        )
        == 3 * 20 * 240
    )  # the second run replaced the first
    ids = {
        code[-6:]: int(scalar(conn, "SELECT id FROM app_user WHERE role = 'field_worker' "
                              "AND scope_code = :c", c=code))
        for code in (f"{STREET}001001", f"{STREET}001002", f"{STREET}002001")
    }  # fmt: skip
    counts = month_counts(
        conn, list(ids.values()), NOVEMBER, dt.date(2026, 11, 30), tracks=settings.tracks, now=NOW
    )
    shares = {k: counts[v].in_grid / counts[v].tracked for k, v in ids.items()}
    assert shares["001001"] == pytest.approx(0.7, abs=0.01)
    assert shares["001002"] == pytest.approx(0.4, abs=0.01)
    assert counts[ids["001001"]].visited == counts[ids["001001"]].buildings == 2  # both of G1's


def test_refused_sample(conn: Connection, users: dict[str, str]) -> None:
    with pytest.raises(Forbidden):
        sample_tracks(conn, STREET, NOVEMBER, access=Access.of(get_user(conn, "root")), now=NOW)
    with pytest.raises(Invalid, match="还没有过去的日子"):
        sample_tracks(
            conn, STREET, dt.date(2026, 12, 1), access=Access.system(), now=NOW.replace(day=1)
        )
