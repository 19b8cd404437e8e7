"""Each desk role's main path, in headless Chromium (1400×900) against a real server.

planner: log in → lands in the editor → zoom hint → units → grid card from the map → Shift-brush
and Shift-lasso remove units without zooming → preview → apply → undo.
county: log in → lands on /compare → run a scenario (准备中, then counts) → compare → the
printable report fits one A4 page → impact preview → adopt is offered.
department: log in → lands on the incident map → its queue → sign → handle → feed back.
party: log in → lands on /party → coverage → a building without a leader → suggestions → assign →
the list updates.
admin: log in → the map → 用户与审计 → create a user → the audit log shows it; /docs and /redoc
work offline.

Every journey asserts what the user sees, and that there was no 5xx, no console error and no
request leaving the app (:meth:`tests.browser.Traffic.assert_clean`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from gis.infra.settings import Settings
from tests.browser import api_call, editor_drag, log_in, retire_incidents, session, shot
from tests.party_city import building, committed_story
from tests.scratch_layer import scratch_layer as make_scratch_layer
from tests.tiny_city import COMMUNITY_A, DISTRICT, STEP, X0, Y0, unit_code

G1, G2 = f"{COMMUNITY_A}001", f"{COMMUNITY_A}002"


# ----------------------------------------------------------------------------- planner


@pytest.fixture
def scratch_layer(engine: Engine, settings: Settings) -> Iterator[str]:
    with make_scratch_layer(engine, settings) as code:
        yield code


def _editor_ready(page: Any) -> None:
    page.wait_for_function(
        "() => window.gridedit && gridedit.state === 'ready' && !gridedit.busy()", timeout=60_000
    )


def _view(page: Any) -> list[float]:
    return page.evaluate(
        "() => [gridedit.map.getZoom(), gridedit.map.getCenter().lat, gridedit.map.getCenter().lng]"
    )


@pytest.mark.browser
def test_planner_journey(browser: Any, live_server: str, scratch_layer: str) -> None:
    with session(browser) as (page, traffic):
        log_in(page, live_server, "t-planner", "/", lands="/edit")
        _editor_ready(page)
        # The tiny district fits the screen at editing zoom: no hint needed.
        assert page.evaluate("() => gridedit.map.getZoom()") >= 15
        assert page.get_by_test_id("zoom-hint").is_hidden()
        shot(page, "planner-1-landed")

        page.get_by_test_id("layer-select").select_option(scratch_layer)
        _editor_ready(page)
        page.evaluate(
            "([s, w, n, e]) => gridedit.map.fitBounds([[s, w], [n, e]], {animate: false, "
            "paddingTopLeft: [100, 60], paddingBottomRight: [60, 80]})",
            [Y0, X0, Y0 + 3 * STEP, X0 + 3 * STEP],
        )
        page.wait_for_function(
            "() => gridedit.unitCount() === 9 && gridedit.state === 'ready' && !gridedit.busy()"
        )
        assert page.get_by_test_id("zoom-hint").is_hidden()
        assert page.evaluate("() => gridedit.map.getMaxZoom()") == 19

        # A click on a unit opens its grid's card; merge offers the neighbours only.
        page.locator(f'path[data-unit="{unit_code(1)}"]').click()
        card = page.get_by_test_id("grid-card")
        card.wait_for(state="visible")
        assert G1 in card.inner_text()
        page.wait_for_function("() => Array.isArray(gridedit.neighbours) && !gridedit.busy()")
        assert page.evaluate("() => gridedit.neighbours") == [G2]
        page.get_by_test_id("clear-selection").click()

        # Brush U4, U5, U7, U8 (all of G2) …
        page.get_by_test_id("tool-brush").click()
        for row in (1.5, 2.5):
            lat = Y0 + row * STEP
            editor_drag(page, [(X0 + 0.3 * STEP, lat), (X0 + 1.7 * STEP, lat)])
        page.wait_for_function("() => gridedit.selection().length === 4")
        view = _view(page)
        # … Shift-brush takes U8 off again, Shift-lasso takes U7: the view does not move.
        u8 = [(X0 + 1.5 * STEP, Y0 + 2.4 * STEP), (X0 + 1.5 * STEP, Y0 + 2.6 * STEP)]
        editor_drag(page, u8, shift=True)
        page.wait_for_function("() => gridedit.selection().length === 3")
        page.get_by_test_id("tool-lasso").click()
        pad = 0.15 * STEP
        ring = [
            (X0 - pad, Y0 + 2 * STEP - pad),
            (X0 + STEP + pad, Y0 + 2 * STEP - pad),
            (X0 + STEP + pad, Y0 + 3 * STEP + pad),
            (X0 - pad, Y0 + 3 * STEP + pad),
            (X0 - pad, Y0 + 2 * STEP - pad),
        ]
        editor_drag(page, ring, shift=True)
        page.wait_for_function("() => gridedit.selection().length === 2 && !gridedit.busy()")
        assert page.evaluate("() => gridedit.selection()") == [unit_code(4), unit_code(5)]
        assert _view(page) == pytest.approx(view)

        # Paint them onto G1: preview, apply, undo.
        page.get_by_test_id("target").select_option(G1)
        page.wait_for_function("() => gridedit.preview && !gridedit.busy()")
        assert "连通" in page.get_by_test_id("preview").inner_text()
        shot(page, "planner-2-preview")
        page.get_by_test_id("apply").click()
        page.wait_for_function("() => /已应用/.test(gridedit.message) && !gridedit.busy()")
        assert page.get_by_test_id(f"workload-{G1}").inner_text().replace(",", "") == "1200"
        page.get_by_test_id("undo").click()
        page.wait_for_function(
            "(g) => { const n = document.querySelector(`[data-testid=workload-${g}]`);"
            " return n && n.textContent.replace(/,/g, '') === '300' && !gridedit.busy(); }",
            arg=G1,
        )
    traffic.assert_clean()
    assert not [e for e in traffic.errors if "Invalid LatLng" in e]


@pytest.mark.browser
def test_editor_opens_on_a_district_with_a_zoom_hint(browser: Any, live_server: str) -> None:
    """A planner of 临川区 sees the whole district, a hint that units are selectable from z15,
    and one click zooms there; a grid's merge list holds its neighbours only."""
    with session(browser) as (page, traffic):
        log_in(page, live_server, "lc-planner", "/", lands="/edit")
        _editor_ready(page)
        bounds = page.evaluate("() => gridedit.map.getBounds().toBBoxString()")
        west, south, east, north = map(float, bounds.split(","))
        assert west < 116.36 < east and south < 27.95 < north  # 临川区's centre is on screen
        hint = page.get_by_test_id("zoom-hint")
        assert hint.is_visible() and "15" in hint.inner_text()
        shot(page, "planner-lc-1-landed")
        page.get_by_test_id("zoom-to-edit").click()
        page.wait_for_function(
            "() => gridedit.map.getZoom() === 15 && gridedit.unitCount() > 0 && !gridedit.busy()",
            timeout=60_000,
        )
        assert hint.is_hidden()
        # A click on a unit in the middle of the screen opens its grid's card.
        box = page.locator(".folium-map").bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_function("() => Array.isArray(gridedit.neighbours) && !gridedit.busy()")
        code = page.evaluate(
            "() => document.querySelector('[data-testid=grid-card] .ge-muted').textContent"
        )
        neighbours = api_call(
            live_server, "lc-planner", "GET", f"/layers/unified/grids/{code}/neighbours"
        )
        offered = page.evaluate(
            "() => [...document.querySelectorAll('[data-testid=merge-target] option')]"
            ".map(o => o.value).filter(Boolean)"
        )
        assert offered == [n["code"] for n in neighbours if n["editable"] and not n["locked"]]
        assert offered and len(offered) < 8  # neighbours, not the community's every grid
        shot(page, "planner-lc-2-card")
    traffic.assert_clean()


# ----------------------------------------------------------------------------- county


@pytest.fixture
def scenario_cleanup(live_server: str) -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for s in api_call(live_server, "root", "GET", "/scenarios"):
        if s["name"] in names:
            api_call(live_server, "root", "DELETE", f"/scenarios/{s['id']}")


@pytest.mark.browser
def test_county_journey(browser: Any, live_server: str, scenario_cleanup: list[str]) -> None:
    name = "县区旅程 三格"
    scenario_cleanup.append(name)
    with session(browser) as (page, traffic):
        log_in(page, live_server, "t-county", "/", lands="/compare")
        assert page.get_by_test_id("logout").is_visible()
        form = page.get_by_test_id("create-form")
        form.locator("input[name=name]").fill(name)
        form.locator("input[name=area]").fill(DISTRICT)
        form.locator("input[name=target_count]").fill("3")
        form.locator("input[name=from_unified]").uncheck()
        form.locator("button[type=submit]").click()
        row = page.locator("[data-testid=scenario-list] tr", has_text=name)
        row.wait_for()
        # Never "0/0": 准备中 until the job has counted, then done/total.
        assert "0/0" not in row.inner_text()
        sid = re.sub(r"\D", "", row.locator("input[type=checkbox]").get_attribute("data-testid"))
        page.wait_for_selector(f"[data-testid=pick-{sid}]:not([disabled])", timeout=90_000)
        assert "0/0" not in row.inner_text()

        # Compare with today's unified layer.
        page.get_by_test_id(f"pick-{sid}").check()
        page.get_by_test_id("ref-unified").check()
        page.get_by_test_id("compare").click()
        page.wait_for_function("() => window.gridmapCompare && gridmapCompare.counts.right > 0")
        assert page.get_by_test_id("metrics-table").locator("thead th").count() == 3
        shot(page, "county-1-compare")

        # The scenario's card: impact preview, adoption offered.
        row.locator("a", has_text=name).click()
        page.get_by_test_id("impact").scroll_into_view_if_needed()
        page.locator("#impact-form input[name=community]").fill(COMMUNITY_A)
        page.locator("#impact-form button").click()
        page.wait_for_function(
            "() => document.querySelector('[data-testid=impact]').textContent.trim().length > 0"
        )
        assert page.get_by_test_id("adopt").is_enabled()

        # The printable report: one A4 page.
        report = page.context.new_page()
        report.goto(f"{live_server}/scenarios/{sid}/report")
        assert name in report.title()
        report.emulate_media(media="print")
        pdf = report.pdf(format="A4", landscape=True, prefer_css_page_size=True)
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert pages == 1, f"the report takes {pages} A4 pages"
        report.close()
    traffic.assert_clean()


# ----------------------------------------------------------------------------- department


@pytest.fixture
def dispatched(live_server: str, engine: Engine) -> Iterator[str]:
    """An incident in the tiny city, dispatched to 城管局 (t-department's department)."""
    categories = api_call(live_server, "root", "GET", "/incidents/categories")
    category = next(c["code"] for c in categories if c["department"] == "城管局")
    made = api_call(
        live_server,
        "root",
        "POST",
        "/incidents",
        {"lon": X0 + 0.0005, "lat": Y0 + 0.0005, "category": category, "description": "旅程测试"},
    )
    code = made["code"]
    if made["state"] == "reported":
        api_call(
            live_server,
            "root",
            "POST",
            f"/incidents/{code}/transitions",
            {"action": "dispatch", "department": "城管局"},
        )
    try:
        yield code
    finally:
        retire_incidents(engine, [code])


@pytest.mark.browser
def test_department_journey(browser: Any, live_server: str, dispatched: str) -> None:
    with session(browser) as (page, traffic):
        log_in(page, live_server, "t-department", "/", lands="/incidents/map")
        page.wait_for_function("() => window.gridmapIncidents && gridmapIncidents.counts.queue > 0")
        item = page.locator(f"[data-testid=queue-list] li[data-code='{dispatched}']")
        item.click()
        detail = page.get_by_test_id("detail")
        for action, state in (("sign", "已签收"), ("handle", "已处置"), ("feed_back", "待评价")):
            button = detail.locator(f"button[data-action={action}]")
            button.wait_for()
            detail.locator("textarea").fill(f"旅程 {action}")
            button.click()
            page.wait_for_function(
                "(s) => document.querySelector('[data-testid=detail]').textContent.includes(s)",
                arg=state,
            )
        assert len(detail.get_by_test_id("history").locator("li").all()) >= 4
        shot(page, "department-1-fed-back")
    traffic.assert_clean()


# ----------------------------------------------------------------------------- party


@pytest.fixture
def party_data(engine: Engine, users: dict[str, str]) -> Iterator[None]:
    with committed_story(engine, "JD"):
        yield None


@pytest.mark.browser
def test_party_journey(browser: Any, live_server: str, party_data: None) -> None:
    target = building(5)
    with session(browser) as (page, traffic):
        log_in(page, live_server, "t-party", "/", lands="/party")
        page.wait_for_function("() => window.gridmapParty && gridmapParty.state === 'ready'")
        totals = page.get_by_test_id("totals")
        assert "2 / 6" in totals.inner_text()  # building leaders in community A
        row = page.locator(f'[data-testid="uncovered-building"][data-code="{target}"]')
        row.click()
        suggestion = page.get_by_test_id("suggestion").first
        suggestion.wait_for()
        assert suggestion.is_visible()
        shot(page, "party-1-suggestions")
        suggestion.get_by_test_id("assign").click()
        page.wait_for_function(
            "() => document.querySelector('[data-testid=status]').textContent.includes('已指派')"
        )
        assert row.count() == 0  # the building left the list of buildings with no leader
        page.wait_for_function(
            "() => document.querySelector('[data-testid=totals]').textContent.includes('3 / 6')"
        )
    traffic.assert_clean()


# ----------------------------------------------------------------------------- admin


@pytest.mark.browser
def test_admin_journey(browser: Any, live_server: str, engine: Engine) -> None:
    username = "journey-clerk"
    try:
        with session(browser) as (page, traffic):
            log_in(page, live_server, "root", "/")
            page.get_by_test_id("nav-admin").click()
            page.wait_for_url(f"{live_server}/admin")
            assert page.get_by_test_id("users").locator("tr", has_text="t-planner").count() == 1
            form = page.get_by_test_id("create-user")
            form.get_by_test_id("new-username").fill(username)
            form.get_by_test_id("new-display_name").fill("旅程 文员")
            form.get_by_test_id("new-password").fill("a-long-journey-password")
            form.get_by_test_id("new-role").select_option("planner")
            form.get_by_test_id("new-scope").fill(f"district:{DISTRICT}")
            form.get_by_test_id("create-submit").click()
            page.wait_for_url(re.compile(r"/admin\?created="))
            assert username in page.get_by_test_id("notice").inner_text()
            assert page.get_by_test_id(f"user-{username}").count() == 1
            audit = page.get_by_test_id("audit").locator("tr", has_text="user.create").first
            assert "root" in audit.inner_text()
            # Times in China time, formatted.
            assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d", audit.locator("td").first.inner_text())
            shot(page, "admin-1-created")

            # A refused form says why and keeps what was typed.
            form.get_by_test_id("new-role").select_option("planner")
            form.get_by_test_id("new-username").fill(username)
            form.get_by_test_id("new-password").fill("a-long-journey-password")
            form.get_by_test_id("new-scope").fill(f"district:{DISTRICT}")
            form.get_by_test_id("create-submit").click()
            assert "exists already" in page.get_by_test_id("form-error").inner_text()

            # The API docs work offline.
            page.goto(f"{live_server}/docs")
            # Tags start folded; each opens with its operations.
            tags = page.locator(".swagger-ui .opblock-tag")
            tags.nth(15).wait_for(timeout=60_000)
            for tag in ("layers", "needs", "councils"):
                page.locator(f"#operations-tag-{tag}").click()
            page.locator(".swagger-ui .opblock").nth(20).wait_for(timeout=60_000)
            assert page.locator("#operations-tag-councils").is_visible()
            shot(page, "admin-2-docs")
            page.goto(f"{live_server}/redoc")
            page.locator("redoc h1, .api-content h1").first.wait_for(timeout=60_000)
            assert "Gridmap" in page.locator(".api-content h1").first.inner_text()
        traffic.assert_clean(expected_errors=("status of 409",))
        assert [s for s in traffic.bad_status if not s.startswith("409")] == []
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM app_user WHERE username = :u"), {"u": username})
