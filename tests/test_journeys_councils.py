"""The councils page in a real headless Chromium: the party office of community A opens the
blocked-drain topic at its 议事厅 and records its four steps from the page — 了解诉求, 分析研判,
议事会商 with the decision and who does what, 落实问效 with the residents' rating — reading
after each step what the council has become, then the figures table (held and settled per
community, per grid) and its CSV. On the incident map the office then takes an incident its
department sent back (the 吹哨报到 loop cannot close it) to a council topic, linked both ways.

The browser talks to a real server on its own connections, so the venue and the topic are
committed for this module and removed afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from gis.chinatime import CHINA
from gis.councils import CouncilIn, add_venue, raise_council
from gis.incidents.reporting import create_incident
from gis.incidents.workflow import transition
from tests.browser import log_in, retire_incidents, session, shot
from tests.needs_city import NEED_POINT, SYSTEM
from tests.tiny_city import COMMUNITY_A

VENUE = "YSJ-A"


@pytest.fixture(scope="module")
def council(engine: Engine, users: dict[str, str]) -> Iterator[str]:
    with engine.begin() as conn:
        add_venue(conn, VENUE, "甲社区议事厅", "hall", COMMUNITY_A, NEED_POINT[0],
                  NEED_POINT[1] + 0.0002, access=SYSTEM)  # fmt: skip
        topic = CouncilIn(title="12栋2单元下水道堵塞", community=COMMUNITY_A, venue=VENUE)
        now = dt.datetime.now(CHINA) - dt.timedelta(days=1)
        code = raise_council(conn, topic, access=SYSTEM, now=now).code
    try:
        yield code
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM council WHERE code = :c"), {"c": code})
            conn.execute(text("DELETE FROM council_venue WHERE code = :c"), {"c": VENUE})


@pytest.fixture(scope="module")
def stuck(engine: Engine, users: dict[str, str]) -> Iterator[str]:
    """An incident in community A that its department rejected: the loop cannot close it."""
    now = dt.datetime.now(CHINA)
    with engine.begin() as conn:
        code = create_incident(
            conn, lon=NEED_POINT[0], lat=NEED_POINT[1] + 0.0001, category="其他",
            description="楼顶渗水反复维修不好", reporter_name="王阿姨",
            reporter_phone="13800001111", now=now, access=SYSTEM,
        )["code"]  # fmt: skip
        transition(conn, code, "dispatch", access=SYSTEM, now=now)
        transition(conn, code, "reject", note="非本部门职责", access=SYSTEM, now=now)
    try:
        yield code
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("DELETE FROM council WHERE incident_id = (SELECT id FROM incident "
                     "WHERE code = :c)"),
                {"c": code},
            )  # fmt: skip
        retire_incidents(engine, [code])


def _record(page: Any, minutes: str, after: str) -> None:
    page.get_by_test_id("step-minutes").fill(minutes)
    page.get_by_test_id("step-submit").click()
    page.get_by_test_id("status").filter(has_text=after).wait_for()


@pytest.mark.browser
def test_the_party_office_takes_a_council_through_its_four_steps(
    browser: Any, live_server: str, council: str, stuck: str
) -> None:
    with session(browser) as (page, traffic):
        log_in(page, live_server, "t-party", "/councils/map")
        page.wait_for_function("() => window.gridmapCouncils && gridmapCouncils.state != 'loading'")
        assert page.evaluate("gridmapCouncils.state") == "ready"
        assert "议事 1 次" in page.get_by_test_id(f"venue-{VENUE}").inner_text()
        assert page.evaluate("gridmapCouncils.onMap()") >= 2  # the topic and its venue
        item = page.get_by_test_id(f"council-{council}")
        assert "已立题" in item.inner_text() and "甲社区议事厅" in item.inner_text()
        item.click()
        form_title = page.get_by_test_id("step-form-title")
        form_title.filter(has_text="了解诉求").wait_for()
        parties = page.get_by_test_id("parties").inner_text()
        assert "业主委员会" in parties and "结对共建单位" in parties
        _record(page, "入户走访，居民反映下水道反复堵塞", "已了解诉求")
        _record(page, "开发商遗留问题，涉及住建、城管", "已分析研判")
        form_title.filter(has_text="议事会商").wait_for()
        page.get_by_test_id("step-decision").fill("开发商出资疏通并更换主管")
        page.get_by_test_id("attended-residents").uncheck()
        page.get_by_test_id("task-role").select_option("property")
        page.get_by_test_id("task-text").fill("组织疏通")
        shot(page, "councils-desk-1-deliberate")
        _record(page, "五方现场踏勘后会商", "已议事会商")
        assert "物业服务企业：组织疏通" in page.get_by_test_id("tasks").inner_text()
        assert "居民代表" in page.get_by_test_id("parties").locator(".gc-absent").inner_text()
        page.get_by_test_id("step-rating").select_option("4")
        _record(page, "回访居民，排水通畅", "已落实问效")
        steps = page.get_by_test_id("steps").inner_text()
        assert [s in steps for s in ("了解诉求", "分析研判", "议事会商", "落实问效")] == [True] * 4
        assert page.get_by_test_id("step-form").is_hidden()  # settled: no step is left
        assert "4" in page.get_by_test_id("facts").inner_text()
        shot(page, "councils-desk-2-settled")
        # the figures: community A raised, held and settled one, rated 4
        row = page.get_by_test_id(f"figure-{COMMUNITY_A}")
        row.filter(has_text="4.00").wait_for()
        cells = row.locator("td").all_inner_texts()
        assert cells[1:5] == ["1", "1", "1", "0"] and cells[-1] == "4.00"
        page.get_by_test_id("figures-by").select_option("grid")
        page.wait_for_function(
            "() => document.querySelector('[data-testid=figures] tbody tr')"
            " && !document.querySelector('[data-testid=figure-" + COMMUNITY_A + "]')"
        )
        csv_link = page.get_by_test_id("export-csv").get_attribute("href") or ""
        assert "by=grid" in csv_link and "format=csv" in csv_link
        sheet = page.evaluate("(u) => fetch(u).then((r) => r.text())", csv_link)
        assert "已办结" in sheet and "4.0" in sheet
        # an incident the loop cannot close becomes a council topic from the incident map
        page.goto(live_server + "/incidents/map")
        page.wait_for_function("() => window.gridmapIncidents && gridmapIncidents.show")
        page.evaluate("(c) => gridmapIncidents.show(c)", stuck)
        page.get_by_test_id("escalate-council").click()
        result = page.get_by_test_id("escalate-result")
        result.wait_for()
        topic = result.inner_text().split("议题 ")[1].strip()
        assert f"议题 {topic}" in page.get_by_test_id("detail").inner_text()  # 转为 …
        assert page.get_by_test_id("escalate").count() == 0  # once only
        shot(page, "councils-desk-3-escalated")
    traffic.assert_clean()
