"""/province in a real headless Chromium: the provincial office of Jiangxi (36) compares the
counties of its two cities (the sample city 抚州 3610 and the tiny city 3699), sorts and
recolours them, drills from 临川区 to a street, a community and that community's grids — all
outlines from the vector tiles, never a GeoJSON download of the province."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gis.labels import raw_codes
from tests.browser import log_in, session, shot

GEOJSON_OUTLINES = re.compile(r"/(districts|streets|communities)(/[0-9]+)?(\?|$)")


@pytest.mark.browser
def test_the_province_compares_counties_and_drills_to_a_grid(
    browser: Any, live_server: str
) -> None:
    with session(browser) as (page, traffic):
        log_in(page, live_server, "jx-province", "/province")
        page.wait_for_function("() => window.gridmapProvince")
        page.evaluate("gridmapProvince.ready")
        rows = page.get_by_test_id("rows").locator("tr")
        rows.filter(has_text="临川区").wait_for()
        codes = [rows.nth(i).get_attribute("data-code") for i in range(rows.count())]
        assert "361002" in codes and "369901" in codes
        assert all(c.startswith("36") for c in codes)
        # the counties are drawn from the tiles, each path carrying its county's code
        page.locator('path[data-code="361002"]').first.wait_for(state="attached")
        # sort by grids, most first: the column reads in descending order
        page.locator('th[data-sort="grids"]').click()
        page.locator('th[data-sort="grids"]').click()
        grids = [int(t.replace(",", "")) for t in page.locator("td:nth-child(3)").all_inner_texts()]
        assert grids == sorted(grids, reverse=True) and grids[0] > 0
        page.get_by_test_id("figure").select_option("incidents_per_grid")
        assert "每网格事件数" in page.get_by_test_id("figure").inner_text()
        shot(page, "province-desk-1-counties")
        body = page.locator("body").inner_text()
        raw = [c for c in raw_codes() if re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", body)]
        assert raw == [], raw  # labels, never codes such as in_band or field_worker
        # drill: 临川区 → its streets → a community → its grids on the map
        rows.filter(has_text="临川区").click()
        page.get_by_test_id("table-title").filter(has_text="街道").wait_for()
        assert "临川区" in page.get_by_test_id("trail").inner_text()
        street = rows.first.get_attribute("data-code")
        assert street and street.startswith("361002")
        page.evaluate(f"gridmapProvince.drill('{street}')")
        page.get_by_test_id("table-title").filter(has_text="社区").wait_for()
        community = rows.first.get_attribute("data-code")
        assert community and community.startswith(street)
        page.evaluate(f"gridmapProvince.drill('{community}')")
        page.locator(f'path[data-code^="{community}"]').first.wait_for(state="attached")
        shot(page, "province-desk-2-grids")
        # back up the trail to every county
        page.get_by_test_id("trail").get_by_text("全部区县").click()
        page.get_by_test_id("table-title").filter(has_text="区县").wait_for()
    assert [u for u in traffic.requests if GEOJSON_OUTLINES.search(u)] == []
    traffic.assert_clean()
