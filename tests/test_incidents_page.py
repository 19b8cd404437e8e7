"""The incident map page in a real headless Chromium: clustered points, heat, hexagons, the grid
figures, the queue and an incident's card — with a clean console and no request leaving the
machine."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import Traffic, api_call, log_in

VIEWPORT = {"width": 1400, "height": 860}


def _ready(page: Any, mode: str) -> None:
    page.wait_for_function(
        "(mode) => window.gridmapIncidents && gridmapIncidents.mode === mode "
        "&& gridmapIncidents.state === 'ready'",
        arg=mode,
        timeout=90_000,
    )


@pytest.mark.browser
def test_incident_map_in_browser(browser: Any, live_server: str) -> None:
    expected = len(api_call(live_server, "lc-planner", "GET", "/incidents/points")["points"])
    queue = api_call(live_server, "lc-planner", "GET", "/incidents/queue?limit=200")
    assert expected > 1000 and queue["items"]
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    traffic = Traffic.watch(page)
    try:
        log_in(page, live_server, "lc-planner", "/incidents/map")
        assert "事件地图" in page.title()
        try:
            _ready(page, "points")
        except Exception:
            state = page.evaluate(
                "() => [gridmapIncidents.state, "
                "document.querySelector('[data-testid=legend]').textContent]"
            )
            raise AssertionError(f"{state} {traffic.errors} {traffic.bad_status}") from None
        counts = page.evaluate("() => gridmapIncidents.counts")
        assert counts["points"] == expected
        assert 0 < counts["clusters"] < expected  # zoomed out: clustered
        # Counted when final (issue 14.12): the clusters on the map are the ones counted.
        assert page.locator(".marker-cluster").count() == counts["clusters"]

        page.wait_for_function("() => gridmapIncidents.counts.queue > 0", timeout=30_000)
        items = page.locator("[data-testid=queue-list] li")
        assert items.count() == len(queue["items"])
        first = queue["items"][0]["code"]
        assert items.first.get_attribute("data-code") == first
        items.first.click()
        page.wait_for_function(
            "(code) => (document.querySelector('[data-testid=detail-code]') || {}).textContent"
            " && document.querySelector('[data-testid=detail-code]').textContent"
            ".startsWith(code)",
            arg=first,
            timeout=30_000,
        )
        # A planner may look but not move incidents: no action buttons.
        assert page.locator("[data-testid=actions] button").count() == 0

        page.get_by_test_id("modes").locator("input[value=hexagons]").check()
        _ready(page, "hexagons")
        assert page.evaluate("() => gridmapIncidents.counts.hexagons") > 0

        page.get_by_test_id("modes").locator("input[value=heat]").check()
        _ready(page, "heat")
        # A view change may redraw the layer just after "ready": wait for the canvas, then one.
        page.wait_for_selector("canvas.leaflet-heatmap-layer", state="attached", timeout=30_000)
        heat = page.locator("canvas.leaflet-heatmap-layer").count()
        assert heat == 1, (traffic.errors, page.evaluate("() => gridmapIncidents.counts"))

        page.get_by_test_id("modes").locator("input[value=grids]").check()
        _ready(page, "grids")
        assert page.evaluate("() => gridmapIncidents.counts.grids") > 0
        assert any("/tiles/grids.unified/" in url for url in traffic.requests)  # grids as tiles
        page.locator(".gi-tabs button[data-tab=figures]").click()
        assert page.locator("[data-testid=figures] table tr").count() > 2

        assert page.get_by_test_id("home").get_attribute("href") == "../"
        assert traffic.errors == [], traffic.errors
        assert traffic.outside() == [], traffic.outside()
        assert traffic.bad_status == [], traffic.bad_status
    finally:
        context.close()
