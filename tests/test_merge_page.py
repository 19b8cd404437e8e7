"""Issue 23 in a real headless Chromium: a dispatcher (t-county) opens an incident on the
incident map, sees the open reports of its category nearby, merges two of them into it and
reads 「3 件上报」 with the links; the queue holds the problem once and shows 即将超时 on an
incident whose sign deadline is near."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests.browser import Traffic, api_call, log_in, shot
from tests.test_incidents import centre

VIEWPORT = {"width": 1400, "height": 900}


@pytest.fixture
def made(engine: Engine) -> Iterator[list[str]]:
    codes: list[str] = []
    yield codes
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM incident WHERE code = ANY(:c)"), {"c": codes})


def _report(live_server: str, n: int, category: str, description: str) -> str:
    lon, lat = centre(n)
    body = {"lon": lon, "lat": lat, "category": category, "description": description,
            "reporter_kind": "hotline"}  # fmt: skip
    return str(api_call(live_server, "t-county", "POST", "/incidents", body)["code"])


@pytest.mark.browser
def test_a_dispatcher_merges_duplicates_on_the_incident_map(
    browser: Any, live_server: str, made: list[str]
) -> None:
    primary = _report(live_server, 1, "环境卫生", "垃圾堆积 主")
    dups = [_report(live_server, 1, "环境卫生", f"垃圾堆积 重复{k}") for k in (1, 2)]
    urgent = _report(live_server, 2, "井盖缺失", "井盖丢失")  # negative list: dispatched, 2 h
    made.extend([primary, *dups, urgent])

    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    traffic = Traffic.watch(page)
    try:
        log_in(page, live_server, "t-county", "/incidents/map")
        page.wait_for_selector(f"[data-testid=dispatch-list] li[data-code='{primary}']")
        # The sign deadline is 2 h away and the category warns 2 h before: 即将超时.
        urgent_item = page.locator(f"[data-testid=queue-list] li[data-code='{urgent}']")
        assert urgent_item.get_by_test_id("deadline-badge").inner_text() == "即将超时"

        page.locator(f"[data-testid=dispatch-list] li[data-code='{primary}']").click()
        page.wait_for_selector("[data-testid=merge-candidate]")
        candidates = page.get_by_test_id("merge-candidate")
        offered = [candidates.nth(k).get_attribute("value") for k in range(candidates.count())]
        assert set(dups) <= set(offered) and primary not in offered
        for code in dups:
            page.locator(f"[data-testid=merge-candidate][value='{code}']").check()
        page.get_by_test_id("merge-button").click()
        page.wait_for_selector("[data-testid=reports]")
        assert page.get_by_test_id("reports").inner_text().startswith("3 件上报")
        facts = page.get_by_test_id("merge-facts").inner_text()
        assert all(code in facts for code in dups)
        # The queue holds the problem once, with its reports.
        page.wait_for_function(
            "(code) => !document.querySelector("
            "`[data-testid=dispatch-list] li[data-code='${code}']`)",
            arg=dups[0],
        )
        row = page.locator(f"[data-testid=dispatch-list] li[data-code='{primary}']")
        assert "3 件上报" in row.inner_text()
        shot(page, "incidents_merged")
        # A merged report's card links back to its primary, and offers no merge of its own.
        page.locator(f"[data-testid=merge-facts] a[data-code='{dups[0]}']").click()
        page.wait_for_function(
            "(code) => document.querySelector('[data-testid=detail-code]').textContent"
            ".startsWith(code)",
            arg=dups[0],
        )
        assert f"已并入 Merged into {primary}" in page.get_by_test_id("merge-facts").inner_text()
        assert page.get_by_test_id("merge").count() == 0
        traffic.assert_clean()
    finally:
        context.close()
    detail = api_call(live_server, "t-county", "GET", f"/incidents/{primary}")
    assert detail["duplicates"] == dups and detail["reports"] == 3
