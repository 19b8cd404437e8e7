"""考核 on the field page, on a 375×812 phone in headless Chromium: the worker sees last month's
score and, unfolded, one line per measure whose points add up to it — the same figures as
``GET /field/score`` (tests/test_assessment.py checks those by hand).

Last month (China time) ``t-worker`` walked 270 s in their grid G1 and 330 s outside it (the
track of tests/test_assessment.py on the month's 10th): time in grid 45 %, fraction 0.75.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from gis.access import Access
from gis.accounts import get_user
from gis.assessment import ranking, worker_score
from gis.chinatime import CHINA
from gis.infra.settings import Settings
from tests.browser import PHONE, log_in, scroll_width, session, shot

WORKER = "(SELECT id FROM app_user WHERE username = 't-worker')"
GRID = (
    "(SELECT g.id FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
    "WHERE l.code = 'unified' AND g.code = '369901001001001')"
)
POINTS = [
    ("09:00:00", 116.0005, 27.5005),
    ("09:04:30", 116.0005, 27.5009),
    ("09:09:00", 116.0025, 27.5009),
    ("09:10:00", 116.0027, 27.5009),
]


def last_month() -> dt.date:
    return dt.datetime.now(CHINA).date().replace(day=1) - dt.timedelta(days=1)


@pytest.fixture
def walked(engine: Engine) -> Iterator[dt.date]:
    """The track on the 10th of last month, committed (the browser's server reads it)."""
    day = last_month().replace(day=10)
    with engine.begin() as conn:
        at = [dt.datetime.combine(day, dt.time.fromisoformat(p[0]), CHINA) for p in POINTS]
        patrol = conn.execute(
            text(
                "INSERT INTO patrol (user_id, grid_id, state, source, started_at, ended_at) "
                f"VALUES ({WORKER}, {GRID}, 'ended', 'phone', :a, :b) RETURNING id"
            ),
            {"a": at[0], "b": at[-1]},
        ).scalar_one()
        for seq, ((_, lon, lat), when) in enumerate(zip(POINTS, at, strict=True)):
            conn.execute(
                text(
                    "INSERT INTO track_point (patrol_id, seq, at, geom) VALUES "
                    "(:p, :seq, :at, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"
                ),
                {"p": patrol, "seq": seq, "at": when, "lon": lon, "lat": lat},
            )
    try:
        yield day
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM patrol WHERE id = :p"), {"p": patrol})


@pytest.mark.browser
def test_the_worker_sees_why_their_score_is_what_it_is(
    browser: Any, live_server: str, walked: dt.date, engine: Engine, settings: Settings
) -> None:
    with engine.connect() as conn:
        expected = worker_score(
            conn,
            access=Access.of(get_user(conn, "t-worker")),
            tracks=settings.tracks,
            month=f"{walked:%Y-%m}",
            now=dt.datetime.now(dt.UTC),
        )
    time_line = next(line for line in expected.lines if line.measure == "time_in_grid")
    assert time_line.fraction == 0.75
    with session(browser, phone=True) as (page, traffic):
        log_in(page, live_server, "t-worker", "/field")
        page.wait_for_function("() => window.gridmapScore && gridmapScore.state === 'ready'")
        assert page.get_by_test_id("score-month").inner_text() == f"{walked:%Y-%m}"
        assert page.get_by_test_id("score-total").inner_text() == f"{expected.score:.1f}"
        page.get_by_test_id("score").locator("summary").tap()
        lines = page.get_by_test_id("score-line")
        assert lines.count() == len(expected.lines) == 6
        first = lines.first
        assert "在网格时间" in first.inner_text()
        assert "45.0 %" in first.inner_text()  # the fraction 75 % of 45 % over 60 %
        shown = [
            float(t.removesuffix(" 分"))
            for t in page.get_by_test_id("score-points").all_inner_texts()
        ]
        assert round(sum(shown), 1) == expected.score
        assert scroll_width(page) <= PHONE["width"]
        shot(page, "assessment-phone-score")
    traffic.assert_clean()


@pytest.mark.browser
def test_the_county_sees_the_ranking_its_explanations_and_the_map(
    browser: Any, live_server: str, walked: dt.date, engine: Engine, settings: Settings
) -> None:
    """The 考核 desk page of a county (t-county, the tiny city's district): last month's ranking
    per street in a table (the same scores as ``ranking``), the share of time in the grid
    against the 60 % rule, a click explaining a score, the grids on the map, the exports."""
    month = f"{walked:%Y-%m}"
    with engine.connect() as conn:
        county = Access.of(get_user(conn, "t-county"))
        board = ranking(
            conn, access=county, tracks=settings.tracks, month=month, now=dt.datetime.now(dt.UTC)
        )
    mine = next(r for r in board.rows if r.worker == "t-worker")
    assert mine.share == 0.45 and mine.score is not None
    with session(browser) as (page, traffic):
        log_in(page, live_server, "t-county", "/compare")
        page.get_by_test_id("nav-assessment").click()
        page.wait_for_function(
            "() => window.gridmapAssessment && gridmapAssessment.state === 'ready'"
        )
        assert "考核排名" in page.title()
        assert page.get_by_test_id("month").input_value() == month
        row = page.get_by_test_id("row-t-worker")
        cells = row.locator("td").all_inner_texts()
        assert cells[3] == f"{mine.score:.1f}"
        assert cells[4] == "45.0 %"  # below the 60 % rule: shown in red
        assert "ga-below" in (row.locator(".ga-share").get_attribute("class") or "")
        assert page.get_by_test_id("count").inner_text() == f"{len(board.rows)} 人"
        assert page.evaluate("gridmapAssessment.onMap()") == len(board.rows)
        href = page.get_by_test_id("export-xlsx").get_attribute("href") or ""
        assert f"month={month}" in href and "format=xlsx" in href
        row.click()
        page.get_by_test_id("detail").wait_for(state="visible")
        assert page.get_by_test_id("detail-score").inner_text() == f"{mine.score:.1f}"
        lines = page.get_by_test_id("detail-lines").locator("li")
        assert lines.count() == 6
        assert "45.0 %" in page.get_by_test_id("line-time_in_grid").inner_text()
        shown = [float(t.removesuffix(" 分")) for t in page.locator(".ga-points").all_inner_texts()]
        assert round(sum(shown), 1) == mine.score
        shot(page, "assessment-desk-ranking")
    traffic.assert_clean()
