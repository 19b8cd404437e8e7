"""Pages as a Chinese county office reads them (issue 14 items 6, 7, 9 and 10), in headless
Chromium against a real server:

- no page of any role shows a raw code of gis/labels.py (``grid_leader``, ``fed_back``,
  ``field_worker``, ``chengguan`` …) in its rendered text;
- times are China time, formatted ``2026-03-02 17:00``, never an ISO string;
- the incident page has its 待评价 queue;
- on the party page the suggestions for a chosen building appear where the user looks, and the
  list of buildings with no leader follows an assignment.

The tiny city's incidents and party data are committed for this module and removed afterwards.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from gis.access import Access
from gis.incidents.reporting import create_incident
from gis.incidents.workflow import transition
from gis.labels import raw_codes
from tests.browser import Traffic, log_in
from tests.party_city import ORG_A, ORG_AGENCY, building, seed_coverage
from tests.tiny_city import cell

PREFIX = "TR"
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # 17:00 in Beijing
RAW = sorted(raw_codes())
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def raw_in(text_: str) -> list[str]:
    """The raw codes that appear as words in a page's text."""
    return [code for code in RAW if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text_)]


@pytest.fixture(scope="module")
def story(engine: Engine, users: dict[str, str]) -> Iterator[dict[str, Any]]:
    """Party coverage of the tiny city, and two incidents: one fed back (待评价), one handled."""
    moves = {"fed_back": ("dispatch", "sign", "handle", "feed_back"),
             "handled": ("dispatch", "sign", "handle")}  # fmt: skip
    codes = {}
    with engine.begin() as conn:
        people = seed_coverage(conn, PREFIX)
        for n, (state, steps) in enumerate(moves.items(), start=1):
            c = cell(n).centroid
            code = create_incident(
                conn,
                lon=c.x,
                lat=c.y,
                category="环境卫生",
                now=T0,
                access=Access.system("system:tests"),
            )["code"]
            for k, action in enumerate(steps, start=1):
                transition(
                    conn,
                    code,
                    action,
                    note="已处理",
                    now=T0 + dt.timedelta(hours=k),
                    access=Access.system("system:tests"),
                )
            codes[state] = code
    try:
        yield {"people": people, "incidents": codes}
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM party_member WHERE code LIKE :p"), {"p": PREFIX + "%"})
            conn.execute(text("DELETE FROM incident WHERE code = ANY(:c)"),
                         {"c": list(codes.values())})  # fmt: skip
            conn.execute(
                text(
                    "DELETE FROM party_organisation o WHERE code = ANY(:c) AND NOT EXISTS "
                    "(SELECT 1 FROM party_member m WHERE m.organisation_id = o.id)"
                ),
                {"c": [ORG_A, ORG_AGENCY]},
            )


def _page(browser: Any, height: int = 900) -> tuple[Any, Any, Traffic]:
    context = browser.new_context(viewport={"width": 1280, "height": height})
    page = context.new_page()
    return context, page, Traffic.watch(page)


def _clean(traffic: Traffic) -> None:
    assert traffic.errors == [], traffic.errors
    assert traffic.outside() == [], traffic.outside()


@pytest.mark.browser
def test_incident_page_queues_china_time_and_labels(browser, live_server, story) -> None:
    fed_back = story["incidents"]["fed_back"]
    for user in ("t-county", "t-department"):
        context, page, traffic = _page(browser)
        try:
            log_in(page, live_server, user, "/incidents/map")
            page.wait_for_function(
                "() => window.gridmapIncidents && gridmapIncidents.state === 'ready' && "
                "document.querySelector('[data-testid=queue-list]')"
            )
            if user == "t-county":  # the command centre evaluates: 待评价 is its queue
                queue = page.get_by_test_id("evaluate-list")
                queue.locator(f'[data-code="{fed_back}"]').wait_for()
                assert page.get_by_test_id("evaluate-list-title").inner_text().startswith("待评价")
                assert "反馈于 Fed back 2026-03-02 21:00" in queue.inner_text()
                page.locator(f'[data-testid=evaluate-list] [data-code="{fed_back}"]').click()
            else:
                handled = story["incidents"]["handled"]
                page.locator(f'[data-testid=queue-list] [data-code="{handled}"]').click()
            page.get_by_test_id("history").locator("li").first.wait_for()
            detail = page.get_by_test_id("detail").inner_text()
            assert "2026-03-02 17:00" in detail, detail  # reported at 09:00 UTC
            assert "处置 Handle：已签收 Signed → 已处置 Handled" in detail, detail
            body = page.locator("body").inner_text()
            assert raw_in(body) == [], (user, raw_in(body))
            assert not ISO.search(body), ISO.search(body)
        finally:
            context.close()
        _clean(traffic)


@pytest.mark.browser
def test_party_suggestions_where_the_user_looks(browser, live_server, story) -> None:
    context, page, traffic = _page(browser, height=640)
    target = building(5)
    try:
        log_in(page, live_server, "t-party", "/party")
        page.wait_for_function("() => window.gridmapParty && gridmapParty.state === 'ready'")
        count = page.get_by_test_id("uncovered-count")
        before = int(count.inner_text())
        page.locator(f'[data-testid="uncovered-building"][data-code="{target}"]').click()
        first = page.get_by_test_id("suggestion").first
        first.wait_for()
        box, listed = first.bounding_box(), page.get_by_test_id("uncovered").bounding_box()
        assert box is not None and listed is not None
        # Seen without scrolling, above the list the user clicked in.
        assert box["y"] >= 0 and box["y"] + box["height"] <= 640, box
        assert box["y"] < listed["y"], (box, listed)
        assert raw_in(page.locator("body").inner_text()) == []
        first.get_by_test_id("assign").click()
        page.wait_for_function(
            "() => document.querySelector('[data-testid=status]').textContent.includes('已指派')"
        )
        page.wait_for_function(
            "(n) => document.querySelector('[data-testid=uncovered-count]').textContent === "
            "String(n)",
            arg=before - 1,
        )
        assert (
            page.locator(f'[data-testid="uncovered-building"][data-code="{target}"]').count() == 0
        )
    finally:
        context.close()
    _clean(traffic)


@pytest.mark.browser
@pytest.mark.parametrize(
    ("user", "path", "ready"),
    [
        ("t-worker", "/field", "() => window.gridmapField && gridmapField.state === 'ready'"),
        ("t-county", "/compare", "() => document.querySelector('[data-testid=ref-unified]')"),
        ("t-planner", "/", "() => document.querySelector('.leaflet-interactive')"),
        ("t-planner", "/edit", "() => document.querySelector('.leaflet-container')"),
        ("root", "/", "() => document.querySelector('.leaflet-interactive')"),
    ],
)
def test_role_pages_show_no_raw_code(browser, live_server, story, user, path, ready) -> None:
    context, page, traffic = _page(browser)
    try:
        # Asking for the map brings a planner to their home page, the editor: then open the map.
        home = "/edit" if (user, path) == ("t-planner", "/") else None
        log_in(page, live_server, user, path, lands=home)
        if home is not None:
            page.goto(live_server + path, wait_until="load")
        page.wait_for_function(ready)
        if path == "/compare":  # a comparison of today's layers: their names, not their codes
            page.get_by_test_id("ref-unified").check()
            page.get_by_test_id("ref-zongzhi").check()
            page.get_by_test_id("compare").click()
            page.wait_for_function("() => window.gridmapCompare.counts.right > 0")
            note = page.locator("#metrics-note").inner_text()
            assert "每个方案按其运行时的工作量权重和标准评分" in note
        body = page.locator("body").inner_text()
        assert raw_in(body) == [], (user, path, raw_in(body))
        assert not ISO.search(body), ISO.search(body)
    finally:
        context.close()
    _clean(traffic)
