"""The party pages in a real headless Chromium: the field worker's grid on a 375 px phone, and
the organisation department's coverage page with its one-click assignment.

The browser talks to a real server on its own connections, so the party data of the tiny city
(tests/party_city.py) is committed for this module and removed afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests.browser import Traffic, log_in
from tests.party_city import building, committed_story

PHONE = {"width": 375, "height": 740}
DOCS = Path(__file__).resolve().parents[1] / "docs"


def _screenshot(page: Any, name: str) -> None:
    """With GRIDMAP_SCREENSHOTS=1, keep a picture of the page for docs/party.md."""
    if os.environ.get("GRIDMAP_SCREENSHOTS"):
        page.screenshot(path=str(DOCS / name), animations="disabled", full_page=True)


PREFIX, INCIDENTS = "TB", "TJ"


@pytest.fixture(scope="module")
def party_data(engine: Engine, users: dict[str, str]) -> Iterator[dict[str, Any]]:
    with committed_story(engine, PREFIX, INCIDENTS) as people:
        yield people


@pytest.mark.browser
def test_field_page_on_a_phone(browser: Any, live_server: str, party_data: dict) -> None:
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    traffic = Traffic.watch(page)
    try:
        log_in(page, live_server, "t-worker", "/field")
        page.wait_for_function("() => window.gridmapField && gridmapField.state !== 'loading'")
        assert page.evaluate("window.gridmapField.state") == "ready"

        # No horizontal overflow at 375 px.
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert page.evaluate("document.body.scrollWidth") <= 375

        # The map renders the grid, its two buildings and the open incident, above the list.
        shapes = page.locator(".leaflet-overlay-pane path")
        assert shapes.count() >= 4  # grid outline, 2 buildings, 1 incident marker
        map_box = page.locator(".folium-map").bounding_box()
        list_box = page.get_by_test_id("list-buildings").bounding_box()
        assert map_box and list_box
        assert map_box["width"] <= 375 and map_box["height"] >= 200
        assert list_box["y"] >= map_box["y"] + map_box["height"] - 1

        # The list: 1号楼 and 2号楼 with households, leaders, tap-to-call numbers.
        buildings = page.get_by_test_id("building")
        assert buildings.count() == 2
        first = buildings.nth(0).inner_text()
        assert "1号楼" in first and "100 户" in first
        leader = party_data["leader_1"]
        call = page.get_by_test_id("call-building").first
        assert call.get_attribute("href") == f"tel:{leader.phone}"
        assert call.is_visible()
        assert page.get_by_test_id("call-unit").first.get_attribute("href") == (
            f"tel:{party_data['unit_1'].phone}"
        )
        calls = page.locator('a[href^="tel:"]')
        assert calls.count() == 3  # building leader, unit leader, grid leader (people tab)
        # Every call button fits the screen.
        for i in range(calls.count()):
            box = calls.nth(i).bounding_box()
            assert box is None or box["x"] + box["width"] <= 375

        _screenshot(page, "party-field.png")

        # Search by name or number.
        page.get_by_test_id("search").fill("2号")
        assert buildings.nth(0).is_hidden() and buildings.nth(1).is_visible()
        page.get_by_test_id("search").fill(building(1)[-8:])  # part of the code
        assert buildings.nth(0).is_visible() and buildings.nth(1).is_hidden()
        page.get_by_test_id("search").fill("")

        # Open incidents of the grid only; the grid leader under People.
        page.get_by_test_id("tab-incidents").tap()
        incidents = page.get_by_test_id("incident")
        assert incidents.count() == 1 and "TJ000001" in incidents.first.inner_text()
        page.get_by_test_id("tab-people").tap()
        grid_leader = page.get_by_test_id("call-grid_leader")
        assert grid_leader.is_visible()
        assert grid_leader.get_attribute("href") == f"tel:{party_data['leader_a1'].phone}"
        assert page.evaluate("document.documentElement.scrollWidth") <= 375

        # Tapping a building on the map selects it in the list.
        page.get_by_test_id("tab-buildings").tap()
        assert page.get_by_test_id("grid-name").inner_text() == "甲社区第1网格"
    finally:
        context.close()
    assert traffic.errors == [], traffic.errors
    assert traffic.outside() == [], traffic.outside()
    assert traffic.failed == [] and traffic.bad_status == [], (traffic.failed, traffic.bad_status)


@pytest.mark.browser
def test_party_page_assigns_a_suggested_member(
    browser: Any, live_server: str, engine: Engine, party_data: dict
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    traffic = Traffic.watch(page)
    target = building(5)
    try:
        log_in(page, live_server, "t-party", "/party")
        page.wait_for_function("() => window.gridmapParty && gridmapParty.state !== 'loading'")
        assert page.evaluate("window.gridmapParty.state") == "ready"
        # The grids' coverage comes as vector tiles: the party worker's grids, drawn once each.
        assert any("/tiles/party.unified/" in url for url in traffic.requests)
        drawn = page.evaluate(
            "() => new Set([...document.querySelectorAll('.leaflet-overlay-pane path[data-code]')]"
            ".map((p) => p.dataset.code)).size"
        )
        assert drawn >= 1
        totals = page.get_by_test_id("totals").inner_text()
        assert "2 / 6" in totals  # building leaders in community A today: 1号楼 and 4号楼
        item = page.locator(f'[data-testid="uncovered-building"][data-code="{target}"]')
        item.click()
        suggestions = page.get_by_test_id("suggestion")
        suggestions.first.wait_for()
        # NEAR (~22 m) first: BUSY (~11 m) has no free capacity.
        assert suggestions.first.get_attribute("data-member") == party_data["near"].code
        _screenshot(page, "party-page.png")
        suggestions.first.get_by_test_id("assign").click()
        page.wait_for_function(
            "() => document.querySelector('[data-testid=status]').textContent.includes('已指派')"
        )
        assert item.count() == 0
        page.wait_for_function(
            "() => document.querySelector('[data-testid=totals]').textContent.includes('3 / 6')"
        )
    finally:
        context.close()
    with engine.connect() as conn:
        holder = conn.execute(
            text(
                "SELECT m.code FROM assignment a JOIN party_member m ON m.id = a.member_id "
                "JOIN building b ON b.id = a.building_id WHERE b.code = :b AND a.ends_on IS NULL"
            ),
            {"b": target},
        ).scalar()
    assert holder == party_data["near"].code
    assert traffic.errors == [], traffic.errors
    assert traffic.outside() == [], traffic.outside()
