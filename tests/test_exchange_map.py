"""The QA overlay on the city map, in a real headless Chromium: the topology check drawn."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import Traffic, log_in

_QA_READY = """(code) => window.gridmap && gridmap.qa && gridmap.qa.layer === code
                && gridmap.qa.summary !== null && gridmap.qa.summary.layer === code"""


@pytest.mark.browser
def test_the_qa_overlay_draws_the_check_of_the_shown_layer(browser: Any, live_server: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    traffic = Traffic.watch(page)
    try:
        log_in(page, live_server, "t-planner", "/", lands="/edit")  # a planner's home
        page.wait_for_function("() => window.gridedit && gridedit.state === 'ready'")
        page.wait_for_function("() => !gridedit.busy()")
        page.goto(live_server + "/")  # the map: the tiny district, 3 unified, 2 综治 grids
        page.wait_for_function("() => window.gridmap && gridmap.state === 'ready'")
        toggle = page.get_by_test_id("overlay-qa")
        assert not toggle.is_checked()
        toggle.check()
        page.wait_for_function(_QA_READY, arg="unified", timeout=60_000)
        assert page.evaluate("() => gridmap.qa.count()") == 0  # the unified net is clean
        assert "质检 QA" in page.locator(".gm-status").inner_text()

        # Switching layers re-checks: the 综治 layer has a grid crossing the community line.
        page.get_by_test_id("layer-zongzhi").check()
        page.wait_for_function(_QA_READY, arg="zongzhi", timeout=60_000)
        summary = page.evaluate("() => gridmap.qa.summary")
        assert summary["grids_crossing_communities"] == 1
        assert page.evaluate("() => gridmap.qa.count()") == 1
        assert page.locator(".leaflet-gmQa-pane path").count() == 1
        assert "跨社区 1" in page.locator(".gm-status").inner_text()

        toggle.uncheck()
        assert page.locator(".leaflet-gmQa-pane path").count() == 0
    finally:
        context.close()
    assert traffic.errors == []
    assert traffic.failed == []
    assert traffic.bad_status == []
    assert traffic.outside() == [], f"requests left localhost: {traffic.outside()}"
