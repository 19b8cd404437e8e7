"""Journeys on a 375×812 touch phone, in headless Chromium against a real server.

The field worker logs in on the phone and lands on their own grid, calls a leader, reports an
incident; every page's header fits a phone (nothing sideways, 我的网格 and 退出 in the menu);
the incident map shows its map there. Each journey also checks the console and the network:
no 5xx, no console error, no request leaving the app.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests.browser import PHONE, log_in, retire_incidents, scroll_width, session, shot
from tests.party_city import committed_story

PREFIX, INCIDENTS = "JP", "JQ"


@pytest.fixture(scope="module")
def party_data(engine: Engine, users: dict[str, str]) -> Iterator[dict[str, Any]]:
    reported: list[str] = []
    needs: list[str] = []
    with committed_story(engine, PREFIX, INCIDENTS) as people:
        try:
            yield people | {"reported": reported, "needs": needs}
        finally:
            retire_incidents(engine, reported)
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM need WHERE code = ANY(:c)"), {"c": needs})


def open_menu(page: Any) -> None:
    """Tap the header's menu button; the links, the user and 退出 show under the bar."""
    page.get_by_test_id("menu").tap()
    page.get_by_test_id("menu-panel").wait_for(state="visible")


def on_screen(page: Any, testid: str) -> bool:
    box = page.get_by_test_id(testid).bounding_box()
    return bool(box) and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


@pytest.mark.browser
def test_field_worker_journey_on_a_phone(
    browser: Any, live_server: str, party_data: dict[str, Any]
) -> None:
    with session(browser, phone=True) as (page, traffic):
        # Log in from the map's address: the field worker lands on their own grid.
        log_in(page, live_server, "t-worker", "/", lands="/field")
        page.wait_for_function("() => window.gridmapField && gridmapField.state === 'ready'")
        assert page.get_by_test_id("grid-name").inner_text() == "甲社区第1网格"
        assert scroll_width(page) <= PHONE["width"]
        shot(page, "field-phone-1-landed")

        # The menu holds 我的网格 and 退出, on screen.
        open_menu(page)
        assert on_screen(page, "nav-field") and on_screen(page, "logout")
        assert page.get_by_test_id("nav-field").get_attribute("aria-current") == "page"
        shot(page, "field-phone-2-menu")
        page.get_by_test_id("menu").tap()
        page.get_by_test_id("menu-panel").wait_for(state="hidden")

        # Call the grid leader: a tel: link with their number.
        page.get_by_test_id("tab-people").tap()
        leader = page.get_by_test_id("call-grid_leader")
        assert leader.get_attribute("href") == f"tel:{party_data['leader_a1'].phone}"
        assert on_screen(page, "call-grid_leader")

        # Report an incident at 1号楼: choose the building, a category, say what is wrong.
        page.get_by_test_id("tab-buildings").tap()
        page.get_by_test_id("building").first.locator("h3").tap()
        # One scale bar, in metres (no feet, no miles).
        scales = page.locator(".leaflet-control-scale-line").all_inner_texts()
        assert len(scales) == 1 and scales[0].strip().endswith("m"), scales
        # Until asked for, the form stays folded: no empty category menu on the page.
        assert not page.get_by_test_id("report-form").is_visible()
        page.get_by_test_id("report-open").tap()
        category = page.get_by_test_id("report-category")
        page.wait_for_function(
            "() => document.querySelector('[data-testid=report-category]').options.length > 1"
        )
        category.select_option(index=1)
        page.get_by_test_id("report-description").fill("楼道堆放杂物 Things piled in the stairwell")
        assert "所选楼栋" in page.get_by_test_id("report-where").inner_text()
        page.get_by_test_id("report-send").tap()
        page.wait_for_function(
            "() => window.gridmapFieldReport && "
            "['sent', 'error'].includes(gridmapFieldReport.state)"
        )
        message = page.get_by_test_id("report-message").inner_text()
        code = page.evaluate("() => gridmapFieldReport.last && gridmapFieldReport.last.code")
        assert code, message
        party_data["reported"].append(code)
        assert "已上报" in message and code in message
        # The new incident is in the grid's list of open incidents.
        assert code in page.get_by_test_id("list-incidents").inner_text()
        assert scroll_width(page) <= PHONE["width"]
        shot(page, "field-phone-3-reported")

        # A second report of the same thing at the same building: the page says it may be
        # reported already, and names the incident just sent.
        page.get_by_test_id("tab-buildings").tap()
        page.get_by_test_id("building").first.locator("h3").tap()
        page.get_by_test_id("report-open").tap()
        page.wait_for_function(
            "() => document.querySelector('[data-testid=report-category]').options.length > 1"
        )
        category.select_option(index=1)
        duplicates = page.get_by_test_id("report-duplicates")
        duplicates.wait_for(state="visible")
        assert code in duplicates.inner_text() and "可能是同一问题" in duplicates.inner_text()
        assert scroll_width(page) <= PHONE["width"]
        shot(page, "field-phone-4-duplicate")
        page.get_by_test_id("report-cancel").tap()
        assert not duplicates.is_visible()

        # A resident asks for help at the same building: the worker records the need (群众点单).
        page.get_by_test_id("need-open").tap()
        assert "所选楼栋" in page.get_by_test_id("need-where").inner_text()
        page.get_by_test_id("need-kind").select_option("elderly")
        page.get_by_test_id("need-title").fill("陪同就医")
        page.get_by_test_id("need-name").fill("孙奶奶")
        page.get_by_test_id("need-phone").fill("13500004444")
        assert scroll_width(page) <= PHONE["width"]
        page.get_by_test_id("need-send").tap()
        page.wait_for_function("() => ['sent', 'error'].includes(gridmapFieldNeed.state)")
        message = page.get_by_test_id("need-message").inner_text()
        need = page.evaluate("() => gridmapFieldNeed.last && gridmapFieldNeed.last.code")
        assert need, message
        party_data["needs"].append(need)
        assert "已记录需求" in message and "待派单" in message
        assert page.get_by_test_id("need-form").is_hidden()
        shot(page, "field-phone-5-need")
    traffic.assert_clean()


#: Every page, as the role whose home it is, on a phone.
PAGES = [
    ("t-worker", "/field", "nav-field"),
    ("t-planner", "/edit", "nav-edit"),
    ("t-county", "/compare", "nav-compare"),
    ("jx-province", "/province", "nav-province"),
    ("t-department", "/incidents/map", "nav-incidents"),
    ("t-party", "/party", "nav-party"),
    ("t-party", "/needs/map", "nav-needs"),
    ("t-party", "/councils/map", "nav-councils"),
    ("root", "/", "nav-admin"),
    ("root", "/admin", "nav-admin"),
]


@pytest.mark.browser
@pytest.mark.parametrize(("username", "path", "link"), PAGES)
def test_every_page_fits_a_phone(
    browser: Any, live_server: str, username: str, path: str, link: str
) -> None:
    """Nothing scrolls sideways at 375 px; the menu reaches the pages and 退出."""
    with session(browser, phone=True) as (page, traffic):
        log_in(page, live_server, username, path)
        page.wait_for_load_state("networkidle")
        assert scroll_width(page) <= PHONE["width"], path
        assert page.get_by_test_id("logout").is_hidden()  # folded away until asked for
        open_menu(page)
        assert on_screen(page, link) and on_screen(page, "logout"), path
        assert scroll_width(page) <= PHONE["width"], path
        shot(page, f"phone{path.replace('/', '-') or '-map'}-{username}")
        if path == "/incidents/map":  # the map shows, above the queue
            box = page.locator(".folium-map").bounding_box()
            assert box and box["width"] == PHONE["width"] and box["height"] > 200
            assert page.locator(".leaflet-tile-pane, .leaflet-overlay-pane").count() > 0
        # 退出 works from the menu.
        page.get_by_test_id("logout").tap()
        page.wait_for_url(f"{live_server}/login")
    traffic.assert_clean()
