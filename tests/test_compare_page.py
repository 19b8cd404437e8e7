"""The scenarios page in a real headless Chromium: both maps render, panning one pans the other,
the metrics table and one histogram per item appear, nothing leaves the machine.

The live server commits for real: the two scenarios are created through its API (its worker
thread runs them), and deleted at the end.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

from tests.browser import Traffic, log_in
from tests.conftest import TEST_PASSWORD
from tests.tiny_city import DISTRICT


def _call(live_server: str, token: str, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = Request(
        live_server + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urlopen(request, timeout=60) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def _root_token(live_server: str) -> str:
    login = Request(
        live_server + "/auth/login",
        data=json.dumps({"username": "root", "password": TEST_PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urlopen(login, timeout=30) as response:
        return str(json.load(response)["token"])


@pytest.fixture
def two_scenarios(live_server: str) -> Iterator[list[int]]:
    token = _root_token(live_server)
    ids = [
        _call(
            live_server,
            token,
            "POST",
            "/scenarios",
            {"name": name, "area": [DISTRICT], "target_count": k, "from_unified": False},
        )["id"]
        for name, k in (("三格", 3), ("四格", 4))
    ]
    try:
        yield ids
    finally:
        for sid in ids:
            _delete_when_done(live_server, token, sid)


def _delete_when_done(live_server: str, token: str, sid: int) -> None:
    """Delete a scenario; a run still going answers 409 (a busy machine runs the 4-grid plan
    for longer than the test takes), so wait for it to end first."""
    for _ in range(240):
        try:
            _call(live_server, token, "DELETE", f"/scenarios/{sid}")
            return
        except HTTPError as refused:
            if refused.code != 409:
                raise
        time.sleep(0.5)
    raise AssertionError(f"scenario {sid} was still running after 2 minutes")


@pytest.mark.browser
def test_compare_page_maps_pan_together(browser, live_server: str, two_scenarios) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    traffic = Traffic.watch(page)
    try:
        log_in(page, live_server, "root", "/compare")
        for sid in two_scenarios:  # the list polls until the worker has finished them
            page.wait_for_selector(
                f"[data-testid=pick-{sid}]:not([disabled])", state="attached", timeout=60_000
            )
            page.get_by_test_id(f"pick-{sid}").check()
        page.get_by_test_id("ref-unified").check()
        page.get_by_test_id("compare").click()
        page.wait_for_function(
            "() => window.gridmapCompare && window.gridmapCompare.counts.right > 0"
        )
        page.evaluate("() => window.gridmapCompare.ready")
        counts = page.evaluate("() => window.gridmapCompare.counts")
        assert {counts["left"], counts["right"]} == {3, 4}  # newest first: 四格 on the left
        for side in ("left", "right"):  # a grid spanning tiles is a path in each: count codes
            drawn = page.evaluate(
                "(side) => new Set([...document.querySelectorAll("
                "`[data-testid=map-${side}] path.leaflet-interactive[data-code]`)]"
                ".map((p) => p.dataset.code)).size",
                side,
            )
            assert drawn == counts[side]
        assert counts["changes"] > 0  # the "what changed" overlay
        assert page.locator("[data-testid=histogram]").count() == 3
        header = page.locator("[data-testid=metrics-table] thead th")
        assert header.count() == 4  # a label column and three items
        # What each plan's grid boundary runs along (界定清晰), one share per item.
        on_roads = page.locator("[data-metric='boundary.visible'] td").all_inner_texts()
        # (Shares where the tiny city's roads are known to the live server, "–" where they are
        # not: which depends on what other tests committed. The figures: tests/test_streets.py.)
        assert len(on_roads) == 3, on_roads
        assert all(t.endswith(" %") for t in on_roads) or set(on_roads) == {"–"}, on_roads

        centre = "(m) => [m.getCenter().lat, m.getCenter().lng, m.getZoom()]"
        before = page.evaluate(f"() => ({centre})(window.gridmapCompare.maps.right)")
        page.get_by_test_id("map-left").scroll_into_view_if_needed()
        box = page.get_by_test_id("map-left").bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x - 150, y - 60, steps=8)
        page.mouse.up()
        # The drag ends in Leaflet's inertia glide: read both maps once the left one has settled
        # (two moments apart, and in one evaluation, so the glide cannot sit between the reads).
        both = (
            f"() => {{ const c = {centre}; const m = window.gridmapCompare.maps;"
            " return [c(m.left), c(m.right)]; }"
        )
        page.wait_for_function(
            f"() => {{ const c = {centre}; const m = window.gridmapCompare.maps.left;"
            " const now = JSON.stringify(c(m)); const same = window.__lastCentre === now;"
            " window.__lastCentre = now; return same; }",
            polling=250,
        )
        left, right = page.evaluate(both)
        assert right != before  # the right map followed …
        assert right == pytest.approx(left, abs=1e-9)  # … to exactly the left map's view
        page.get_by_test_id("map-right").hover()
        page.mouse.wheel(0, -400)
        page.wait_for_function(
            "() => window.gridmapCompare.maps.left.getZoom() === "
            "window.gridmapCompare.maps.right.getZoom() && "
            f"window.gridmapCompare.maps.left.getZoom() > {left[2]}"
        )
    finally:
        page.close()
    assert traffic.errors == [], traffic.errors
    assert traffic.outside() == [], traffic.outside()
    assert traffic.bad_status == [], traffic.bad_status


@pytest.mark.browser
def test_a_plan_is_imported_from_the_page_and_a_bad_one_lists_its_rows(
    browser, live_server: str
) -> None:
    from tests.tiny_city import UNIFIED, unit_code

    good = [(unit_code(n), grid) for grid, units in UNIFIED.items() for n in units]
    bad = [*good, (unit_code(2), "x")]  # U2 twice: rows 3 and 11

    def table(rows: list[tuple[str, str]]) -> dict[str, Any]:
        text = "unit_code,grid_code\n" + "".join(f"{u},{g}\n" for u, g in rows)
        return {"name": "plan.csv", "mimeType": "text/csv", "buffer": text.encode()}

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    traffic = Traffic.watch(page)
    made: list[int] = []
    try:
        log_in(page, live_server, "t-county", "/compare")
        form = page.get_by_test_id("import-form")
        form.locator("input[name=name]").fill("外来方案")
        form.locator("input[name=area]").fill(DISTRICT)
        form.locator("input[name=file]").set_input_files(table(bad))
        form.locator("button[type=submit]").click()
        problems = page.get_by_test_id("import-problems").locator("li")
        problems.first.wait_for()
        assert "rows 3, 11" in problems.first.inner_text()
        assert "未导入" in page.get_by_test_id("import-msg").inner_text()

        form.locator("input[name=file]").set_input_files(table(good))
        form.locator("button[type=submit]").click()
        page.wait_for_function(
            "() => /已导入/.test(document.querySelector('[data-testid=import-msg]').textContent)"
        )
        sid = int(page.get_by_test_id("import-msg").inner_text().split("#")[1].split()[0])
        made.append(sid)
        page.wait_for_selector(f"[data-testid=pick-{sid}]", state="attached")
        assert problems.count() == 0

        # share it read-only: the district's planner (who cannot run scenarios) opens the link
        page.get_by_role("link", name="外来方案").first.click()
        page.get_by_test_id("share").click()
        link = page.get_by_test_id("share-link")
        page.wait_for_function(
            "() => document.querySelector('[data-testid=share-link]').value.includes('/shared/')"
        )
        shared = link.input_value()
        assert shared.startswith(live_server + "/shared/scenarios/")
        reader = browser.new_page()
        try:
            log_in(reader, live_server, "t-planner", shared[len(live_server) :])
            assert "外来方案" in reader.content()
        finally:
            reader.close()
        assert traffic.outside() == [] and traffic.server_errors() == []
    finally:
        page.close()
        for sid in made:
            _call(live_server, _root_token(live_server), "DELETE", f"/scenarios/{sid}")


@pytest.mark.browser
def test_a_tick_survives_the_list_redrawn_while_a_run_is_busy(
    browser, live_server: str, engine, two_scenarios
) -> None:
    """While any run is queued or running the list is drawn again every second; the user's
    ticks must stay (they were lost, so that 比较 compared fewer plans than were ticked)."""
    from sqlalchemy import text

    with engine.begin() as c:  # a run that stays busy for the whole test
        busy = c.execute(
            text(
                "INSERT INTO scenario (name, area_codes, params, state, created_by) VALUES "
                "('忙', ARRAY[:d], '{}'::jsonb, 'running', 'tests') RETURNING id"
            ),
            {"d": DISTRICT},
        ).scalar_one()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        log_in(page, live_server, "root", "/compare")
        first = two_scenarios[0]
        page.wait_for_selector(
            f"[data-testid=pick-{first}]:not([disabled])", state="attached", timeout=60_000
        )
        page.get_by_test_id(f"pick-{first}").check()
        old = page.get_by_test_id(f"pick-{first}").element_handle()
        page.wait_for_function("(old) => !document.contains(old)", arg=old, timeout=10_000)
        assert page.get_by_test_id(f"pick-{first}").is_checked()  # drawn again, still ticked
    finally:
        page.close()
        with engine.begin() as c:
            c.execute(text("DELETE FROM scenario WHERE id = :s"), {"s": busy})
