"""The needs page in a real headless Chromium: the party office of community A picks a need,
reads its ranked takers and dispatches with one click, then makes a project (项目清单) that
its paired unit runs with the need in it, on a desk and on a 375 px phone; the team's own log-in
accepts one order and declines another, saying why.

The browser talks to a real server on its own connections, so the takers and the need of
tests/needs_city.py are committed for this module and removed afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from gis.accounts import Role, create_user
from gis.chinatime import CHINA
from gis.needs import NeedIn, TakerRef, create_need, dispatch, link_taker
from gis.scope import Scope
from tests.browser import PHONE, log_in, scroll_width, session, shot
from tests.conftest import TEST_PASSWORD
from tests.needs_city import NEED_BUILDING, SYSTEM, seed_takers
from tests.party_city import ORG_A, ORG_AGENCY
from tests.tiny_city import COMMUNITY_A

PREFIX = "TW"
TAKER = "tw-team"  # the team TWT1's own log-in


def _need(conn: Any, title: str) -> str:
    need = NeedIn(
        kind="elderly", title=title, requester_name="刘大爷", requester_phone="13912345678",
        due_on=dt.date(2030, 1, 1), hours=2, building=NEED_BUILDING,
    )  # fmt: skip
    return create_need(conn, need, access=SYSTEM, now=dt.datetime.now(CHINA)).code


@pytest.fixture(scope="module")
def story(engine: Engine, users: dict[str, str]) -> Iterator[dict[str, Any]]:
    with engine.begin() as conn:
        takers = seed_takers(conn, PREFIX)
        codes = [_need(conn, "陪同老人就医"), _need(conn, "代买药品")]
    try:
        yield {"takers": takers, "codes": codes}
    finally:
        with engine.begin() as conn:
            made = (
                "SELECT p.id FROM project p JOIN paired_unit u ON u.id = p.unit_id "
                "WHERE u.code LIKE :p"
            )
            conn.execute(text(f"DELETE FROM project_need WHERE project_id IN ({made})"),
                         {"p": PREFIX + "%"})  # fmt: skip
            conn.execute(text(f"DELETE FROM project WHERE id IN ({made})"), {"p": PREFIX + "%"})
            conn.execute(text("DELETE FROM need WHERE code = ANY(:c)"), {"c": codes})
            for table in ("volunteer_team", "paired_unit", "party_member"):
                conn.execute(text(f"DELETE FROM {table} WHERE code LIKE :p"), {"p": PREFIX + "%"})
            conn.execute(
                text(
                    "DELETE FROM party_organisation o WHERE code = ANY(:c) AND NOT EXISTS "
                    "(SELECT 1 FROM party_member m WHERE m.organisation_id = o.id)"
                ),
                {"c": [ORG_A, ORG_AGENCY]},
            )


@pytest.mark.browser
def test_the_party_office_dispatches_a_need_with_one_click(
    browser: Any, live_server: str, story: dict[str, Any]
) -> None:
    code, takers = story["codes"][0], story["takers"]
    with session(browser) as (page, traffic):
        log_in(page, live_server, "t-party", "/needs/map")
        page.wait_for_function("() => window.gridmapNeeds && gridmapNeeds.state !== 'loading'")
        assert page.evaluate("gridmapNeeds.state") == "ready"
        # skills coverage: A's 助老 is offered by its members and team (the story's needs ask it)
        page.get_by_test_id("coverage-section").locator("summary").click()
        elderly = page.get_by_test_id(f"coverage-{COMMUNITY_A}-elderly")
        assert "助老" in elderly.inner_text() and "gn-gap" not in (
            elderly.get_attribute("class") or ""
        )
        item = page.get_by_test_id(f"need-{code}")
        assert "待派单" in item.inner_text() and "陪同老人就医" in item.inner_text()
        on_map = page.evaluate("gridmapNeeds.onMap()")  # drawn on the map's canvas
        assert on_map == page.get_by_test_id("needs").locator("li").count() >= 2
        item.click()
        ranked = page.get_by_test_id("takers").locator("li")
        ranked.first.wait_for(state="visible")
        assert "孙*" in ranked.first.inner_text() or "孙八" in ranked.first.inner_text()
        assert "技能匹配" in ranked.first.inner_text()
        assert page.get_by_test_id("facts").inner_text().count("13912345678") == 1  # may call
        shot(page, "needs-desk-1-ranked")
        page.get_by_test_id(f"dispatch-{takers['team']}").click()
        page.get_by_test_id("status").filter(has_text="已派单").wait_for()
        assert "已派单" in page.get_by_test_id(f"need-{code}").inner_text()
        assert "银龄志愿队" in page.get_by_test_id("facts").inner_text()
        shot(page, "needs-desk-2-dispatched")
        # a project the community's paired unit runs, with this need in it
        page.get_by_test_id("project-unit").locator("option").first.wait_for(state="attached")
        page.get_by_test_id("project-name").fill("甲社区助老关爱项目")
        page.get_by_test_id("project-role").select_option("runs")
        page.get_by_test_id("project-create").click()
        page.get_by_test_id("status").filter(has_text="已加入项目").wait_for()
        assert "甲社区助老关爱项目" in page.get_by_test_id("need-project").inner_text()
        listed = page.get_by_test_id("projects").locator("li", has_text="甲社区助老关爱项目")
        assert "测试住建局承办 · 0/1" in listed.inner_text()
        assert page.get_by_test_id(f"project-need-{code}").is_visible()
        shot(page, "needs-desk-3-project")
    traffic.assert_clean()


@pytest.mark.browser
def test_the_needs_page_fits_a_phone(browser: Any, live_server: str, story: dict) -> None:
    code = story["codes"][1]
    with session(browser, phone=True) as (page, traffic):
        log_in(page, live_server, "t-party", "/needs/map")
        page.wait_for_function("() => window.gridmapNeeds && gridmapNeeds.state === 'ready'")
        assert scroll_width(page) <= PHONE["width"]
        map_box = page.locator(".folium-map").bounding_box()
        item = page.get_by_test_id(f"need-{code}")
        item.scroll_into_view_if_needed()
        item.tap()
        page.get_by_test_id("takers").locator("li").first.wait_for(state="visible")
        assert scroll_width(page) <= PHONE["width"]
        assert map_box and map_box["width"] == PHONE["width"] and map_box["height"] > 200
        shot(page, "needs-phone-ranked")
    traffic.assert_clean()


@pytest.fixture(scope="module")
def orders(engine: Engine, story: dict[str, Any]) -> Iterator[list[str]]:
    """Two needs dispatched to the team TWT1, and its own log-in (role taker)."""
    with engine.begin() as conn:
        create_user(
            conn, username=TAKER, password=TEST_PASSWORD, role=Role.TAKER,
            scope=Scope.community(COMMUNITY_A), department=None, display_name="银龄志愿队",
            access=SYSTEM,
        )  # fmt: skip
        link_taker(conn, TAKER, TakerRef.parse(story["takers"]["team"]), access=SYSTEM)
        codes = [_need(conn, "上门理发"), _need(conn, "代取快递")]
        for code in codes:
            dispatch(conn, code, TakerRef.parse(story["takers"]["team"]), access=SYSTEM,
                     now=dt.datetime.now(CHINA))  # fmt: skip
    try:
        yield codes
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM need WHERE code = ANY(:c)"), {"c": codes})
            conn.execute(text("DELETE FROM app_user WHERE username = :u"), {"u": TAKER})


@pytest.mark.browser
def test_the_taker_accepts_one_order_and_declines_another(
    browser: Any, live_server: str, orders: list[str]
) -> None:
    keep, refuse = orders
    with session(browser) as (page, traffic):
        log_in(page, live_server, TAKER, "/needs/map")
        page.wait_for_function("() => window.gridmapNeeds && gridmapNeeds.state !== 'loading'")
        mine = page.get_by_test_id("needs").inner_text()  # the orders given to the team
        assert "上门理发" in mine and "代取快递" in mine
        page.get_by_test_id(f"need-{keep}").click()
        facts = page.get_by_test_id("facts")
        facts.filter(has_text="已派单").wait_for()
        assert "139****5678" in facts.inner_text()  # masked until they accept
        page.get_by_test_id("accept").click()
        page.get_by_test_id("status").filter(has_text="已接单").wait_for()
        assert "13912345678" in facts.inner_text()  # now they must call the resident
        assert page.get_by_test_id("complete").is_visible()
        page.on("dialog", lambda dialog: dialog.accept("本周人手不足"))
        page.get_by_test_id(f"need-{refuse}").click()
        page.get_by_test_id("decline").wait_for()
        page.get_by_test_id("decline").click()
        page.get_by_test_id("status").filter(has_text="待派单").wait_for()
        assert "待派单" in page.get_by_test_id(f"need-{refuse}").inner_text()
        assert page.get_by_test_id("accept").count() == 0  # back with the community
        shot(page, "needs-taker-answered")
    traffic.assert_clean()
