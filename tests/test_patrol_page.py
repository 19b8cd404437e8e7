"""The patrol bar on the field page, on a 375×812 phone in headless Chromium.

The worker starts a patrol; the browser's position is faked (Playwright's geolocation): first on
1号楼 (116.0005, 27.5005), then on 2号楼 (116.0015, 27.5005), 98.8 m east, both in their grid;
they stop, and the bar shows the distance (99 米) and the time in the grid. Then they check in
at a building chosen in the list.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from gis.infra.settings import Settings
from tests.browser import PHONE, log_in, scroll_width, session, shot


@pytest.fixture
def all_day(settings: Settings, engine: Engine) -> Iterator[None]:
    """Working hours around the clock (the test may run at night), no speed limit (the faked
    positions jump 99 m in milliseconds), and no patrol left behind."""
    before = settings.tracks
    settings.tracks = before.model_copy(
        update={"work_start": "00:00", "work_end": "24:00", "max_speed_kmh": 1e9}
    )
    try:
        yield
    finally:
        settings.tracks = before
        with engine.begin() as conn:
            worker = "(SELECT id FROM app_user WHERE username = 't-worker')"
            conn.execute(text(f"DELETE FROM patrol WHERE user_id = {worker}"))
            conn.execute(text(f"DELETE FROM check_in WHERE user_id = {worker}"))


@pytest.mark.browser
def test_a_patrol_on_the_phone(browser: Any, live_server: str, all_day: None) -> None:
    with session(browser, phone=True) as (page, traffic):
        page.context.grant_permissions(["geolocation"], origin=live_server)
        page.context.set_geolocation({"latitude": 27.5005, "longitude": 116.0005, "accuracy": 5})
        log_in(page, live_server, "t-worker", "/field")
        page.wait_for_function("() => window.gridmapField && gridmapField.state === 'ready'")
        page.wait_for_function("() => window.gridmapPatrol && gridmapPatrol.state === 'idle'")
        assert page.get_by_test_id("patrol-stop").is_hidden()

        page.get_by_test_id("patrol-start").tap()
        page.wait_for_function("() => gridmapPatrol.fixes >= 1")
        assert page.get_by_test_id("patrol-stop").is_visible()
        page.context.set_geolocation({"latitude": 27.5005, "longitude": 116.0015, "accuracy": 5})
        page.wait_for_function("() => gridmapPatrol.fixes >= 2")
        shot(page, "patrol-phone-1-recording")

        page.get_by_test_id("patrol-stop").tap()
        page.wait_for_function("() => gridmapPatrol.state === 'stopped'")
        assert page.get_by_test_id("patrol-distance").inner_text() == "99 米"
        assert "秒" in page.get_by_test_id("patrol-in-grid").inner_text()
        assert page.get_by_test_id("patrol-pending").inner_text() == "0"
        assert "巡查已结束" in page.get_by_test_id("patrol-message").inner_text()
        assert page.get_by_test_id("patrol-start").is_visible()

        # 打卡 at the first building of the list.
        page.get_by_test_id("building").first.locator("h3").tap()
        page.get_by_test_id("check-in").tap()
        page.wait_for_function("() => gridmapPatrol.lastCheckIn")
        assert "已打卡" in page.get_by_test_id("patrol-message").inner_text()
        assert "1号楼" in page.get_by_test_id("patrol-message").inner_text()
        assert scroll_width(page) <= PHONE["width"]
        shot(page, "patrol-phone-2-stopped")
    traffic.assert_clean()
