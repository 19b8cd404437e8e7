"""The editor page in a real headless Chromium: lasso, preview, apply, the panel, undo, revert.

The live server commits for real, so each test edits a scenario layer of its own — a copy of
the tiny city's unified grids made for the test and dropped afterwards — and leaves the shared
layers untouched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from gis.infra.settings import Settings
from tests.browser import Traffic, editor_drag, editor_point, log_in
from tests.scratch_layer import scratch_layer as make_scratch_layer
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, STEP, X0, Y0, unit_code

VIEWPORT = {"width": 1400, "height": 860}
G1, G2 = f"{COMMUNITY_A}001", f"{COMMUNITY_A}002"


@pytest.fixture
def scratch_layer(engine: Engine, settings: Settings) -> Iterator[str]:
    with make_scratch_layer(engine, settings) as code:
        yield code


def _ready(page: Any) -> None:
    page.wait_for_function(
        "() => window.gridedit && gridedit.state === 'ready' && !gridedit.busy()",
        timeout=60_000,
    )


def _zoom_to_tiny_city(page: Any) -> None:
    page.evaluate(
        "([s, w, n, e]) => gridedit.map.fitBounds([[s, w], [n, e]], "
        "{animate: false, paddingTopLeft: [100, 60], paddingBottomRight: [60, 80]})",
        [Y0, X0, Y0 + 3 * STEP, X0 + 3 * STEP],
    )
    page.wait_for_function(
        "() => gridedit.unitCount() === 9 && gridedit.state === 'ready' && !gridedit.busy()",
        timeout=30_000,
    )


def _workload(page: Any, code: str) -> str:
    return str(page.get_by_test_id(f"workload-{code}").inner_text()).replace(",", "")


def _wait_workload(page: Any, code: str, value: str) -> None:
    page.wait_for_function(
        "([code, value]) => { const n = document.querySelector(`[data-testid=workload-${code}]`);"
        " return n && n.textContent.replace(/,/g, '') === value && !gridedit.busy(); }",
        arg=[code, value],
        timeout=30_000,
    )


@pytest.mark.browser
def test_lasso_preview_apply_undo_and_revert(
    browser: Any, live_server: str, scratch_layer: str, engine: Engine
) -> None:
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    traffic = Traffic.watch(page)
    try:
        log_in(page, live_server, "t-planner", f"/edit?layer={scratch_layer}")
        _ready(page)
        assert page.get_by_test_id("layer-select").input_value() == scratch_layer
        _zoom_to_tiny_city(page)
        assert _workload(page, G1) == "300" and _workload(page, G2) == "2400"
        start = page.evaluate("() => gridedit.version")

        # Lasso around block U1 (bottom left), taking a little of U2 and U4 but not half.
        page.get_by_test_id("tool-lasso").click()
        pad = 0.15 * STEP
        editor_drag(
            page,
            [
                (X0 - pad, Y0 - pad),
                (X0 + STEP + pad, Y0 - pad),
                (X0 + STEP + pad, Y0 + STEP + pad),
                (X0 - pad, Y0 + STEP + pad),
                (X0 - pad, Y0 - pad),
            ],
        )
        page.wait_for_function("() => gridedit.selection().length === 1")
        assert page.evaluate("() => gridedit.selection()") == [unit_code(1)]
        assert "1 个单元" in page.get_by_test_id("selection-summary").inner_text()

        # Assign to G2: a live preview first, nothing applied yet.
        page.get_by_test_id("target").select_option(G2)
        page.wait_for_function("() => gridedit.preview && !gridedit.busy()")
        preview = page.get_by_test_id("preview").inner_text().replace(",", "")
        assert "2400" in preview and "2500" in preview and "连通" in preview
        assert page.evaluate("() => gridedit.version") == start
        assert _workload(page, G2) == "2400"

        page.get_by_test_id("apply").click()
        _wait_workload(page, G2, "2500")
        assert _workload(page, G1) == "200"
        assert page.evaluate("() => gridedit.version") == start + 1
        assert "已应用" in page.get_by_test_id("message").inner_text()
        assert page.evaluate("() => gridedit.selection()") == []

        # Undo puts U1 back.
        page.get_by_test_id("undo").click()
        _wait_workload(page, G2, "2400")
        assert _workload(page, G1) == "300"
        page.get_by_test_id("redo").click()
        _wait_workload(page, G2, "2500")

        # A new grid across the community line is refused with the reason, naming both.
        page.get_by_test_id("tool-click").click()
        for n in (2, 3):
            page.locator(f'path[data-unit="{unit_code(n)}"]').click()
        page.wait_for_function("() => gridedit.selection().length === 2")
        page.get_by_test_id("new-grid").click()
        page.wait_for_function("() => /乙村/.test(gridedit.message)")
        message = page.get_by_test_id("message").inner_text()
        assert "甲社区" in message and "乙村" in message
        page.get_by_test_id("clear-selection").click()

        # The history lists the edits; revert to the start through a preview.
        page.get_by_test_id("tab-history").click()
        page.wait_for_function("() => gridedit.history && !gridedit.busy()")
        history = page.get_by_test_id("history").inner_text()
        assert "t-planner" in history and "undo" in history.lower()
        page.get_by_test_id(f"revert-{start}").click()
        page.wait_for_function("() => gridedit.preview && !gridedit.busy()")
        page.get_by_test_id("apply").click()
        page.get_by_test_id("tab-grids").click()
        _wait_workload(page, G2, "2400")
        assert _workload(page, G1) == "300"
    finally:
        context.close()

    with engine.connect() as conn:
        kinds = conn.execute(
            text(
                "SELECT e.kind FROM grid_edit e JOIN grid_layer l ON l.id = e.layer_id "
                "WHERE l.code = :c ORDER BY e.version"
            ),
            {"c": scratch_layer},
        ).scalars()
        assert list(kinds) == ["move", "undo", "redo", "revert"]
    # The refused edit is the one 409 (Chromium logs every failed fetch in the console).
    assert traffic.bad_status == [f"409 {live_server}/layers/{scratch_layer}/edits"]
    expected = "the server responded with a status of 409"
    assert [e for e in traffic.errors if expected not in e] == [], traffic.errors
    assert traffic.failed == []
    assert traffic.outside() == [], f"requests left localhost: {traffic.outside()}"


@pytest.mark.browser
def test_brush_split_and_lock(
    browser: Any, live_server: str, scratch_layer: str, engine: Engine
) -> None:
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    traffic = Traffic.watch(page)
    try:
        log_in(page, live_server, "t-planner", f"/edit?layer={scratch_layer}")
        _ready(page)
        _zoom_to_tiny_city(page)

        # Brush across U1 and U2 (all of G1) and give them to G2: G1 is emptied and removed.
        page.get_by_test_id("tool-brush").click()
        middle = Y0 + 0.5 * STEP
        editor_drag(page, [(X0 + 0.3 * STEP, middle), (X0 + 1.7 * STEP, middle)])
        page.wait_for_function("() => gridedit.selection().length === 2")
        assert page.evaluate("() => gridedit.selection()") == [unit_code(1), unit_code(2)]
        page.get_by_test_id("target").select_option(G2)
        page.wait_for_function("() => gridedit.preview && !gridedit.busy()")
        assert "removed" in page.get_by_test_id("preview").inner_text()
        page.get_by_test_id("apply").click()
        _wait_workload(page, G2, "2700")
        assert page.get_by_test_id(f"grid-row-{G1}").count() == 0

        # Split G2 down the middle with clicks, ended by a double click.
        page.get_by_test_id(f"grid-row-{G2}").click()
        page.get_by_test_id("split-start").click()
        x = X0 + STEP
        a = editor_point(page, x, Y0 - 0.2 * STEP)
        b = editor_point(page, x, Y0 + 3.2 * STEP)
        page.mouse.click(*a)
        page.mouse.dblclick(*b)
        page.wait_for_function("() => gridedit.preview && !gridedit.busy()")
        assert page.evaluate("() => gridedit.preview.kind") == "split"
        page.get_by_test_id("apply").click()
        new = f"{COMMUNITY_A}003"
        # U2 + U5 + U8 (1,500 households) keep G2; U1 + U4 + U7 (1,200) make the new grid.
        _wait_workload(page, new, "1200")
        assert _workload(page, G2) == "1500"

        page.get_by_test_id(f"grid-row-{new}").click()
        page.get_by_test_id("lock-toggle").click()
        page.wait_for_function(
            "(code) => gridedit.grid(code) && gridedit.grid(code).locked && !gridedit.busy()",
            arg=new,
        )
        assert "锁" in page.get_by_test_id(f"grid-row-{new}").inner_text()

        # The community brush takes all of 乙村 (U3, U6, U9) in one click; Suggest for its one
        # grid (1,800 households against a 300–500 band) proposes splits, previewed, not applied.
        page.get_by_test_id("tool-community").click()
        page.mouse.click(*editor_point(page, X0 + 2.5 * STEP, Y0 + 0.5 * STEP))
        page.wait_for_function("() => gridedit.selection().length === 3")
        assert page.evaluate("() => gridedit.selection()") == [unit_code(n) for n in (3, 6, 9)]
        page.get_by_test_id(f"grid-row-{COMMUNITY_B}001").click()
        page.get_by_test_id("suggest-grid").click()
        page.get_by_test_id("suggestion-0").click()
        page.wait_for_function("() => gridedit.preview && !gridedit.busy()")
        assert page.evaluate("() => gridedit.preview.kind") == "new"  # units into new grids
        assert "新 new" in page.get_by_test_id("preview").inner_text()
        assert page.get_by_test_id("apply").is_enabled()
    finally:
        context.close()
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT g.code, g.locked, g.unit_count FROM grid g "
                "JOIN grid_layer l ON l.id = g.layer_id WHERE l.code = :c ORDER BY g.code"
            ),
            {"c": scratch_layer},
        ).all()
    assert [tuple(r) for r in rows] == [
        (G2, False, 3),
        (new, True, 3),
        (f"{COMMUNITY_B}001", False, 3),
    ]
    assert traffic.errors == [], traffic.errors
    assert traffic.outside() == []


@pytest.mark.browser
def test_a_chosen_merge_target_and_a_typed_name_survive_a_map_move(
    browser: Any, live_server: str, scratch_layer: str
) -> None:
    """Every map move reloads the view; the card of the chosen grid, unchanged, is left as it is:
    what the planner chose or typed stays, and the field being typed in keeps the keyboard."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    try:
        log_in(page, live_server, "t-planner", f"/edit?layer={scratch_layer}")
        _ready(page)
        _zoom_to_tiny_city(page)
        page.get_by_test_id(f"grid-row-{G1}").click()
        page.get_by_test_id("merge-target").select_option(G2)
        page.get_by_test_id("rename-name").fill("新名字")
        name_field = page.get_by_test_id("rename-name").element_handle()
        page.evaluate("() => gridedit.map.panBy([40, 0], {animate: false})")
        page.evaluate("() => gridedit.reload()")  # and one more, after the move's own
        _ready(page)
        assert page.evaluate("(field) => document.contains(field)", name_field)
        assert page.evaluate("(field) => document.activeElement === field", name_field)
        page.keyboard.type("二")  # typing goes on where it was
        assert page.get_by_test_id("merge-target").input_value() == G2
        assert page.get_by_test_id("rename-name").input_value() == "新名字二"
        page.get_by_test_id("merge").click()
        page.wait_for_function("() => gridedit.preview && !gridedit.busy()")
        assert page.evaluate("() => gridedit.preview.kind") == "merge"
    finally:
        context.close()


def test_the_page_loads_only_local_assets(client_as: Any) -> None:
    planner: TestClient = client_as("t-planner")
    page = planner.get("/edit")
    assert page.status_code == 200 and "网格编辑" in page.text
    nonce = re.search(r"'nonce-([^']+)'", page.headers["content-security-policy"])
    assert nonce and page.text.count("<script") == page.text.count(
        f'<script nonce="{nonce.group(1)}"'
    )
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert any("gridmap/edit.js" in a for a in assets)
    assert any("vendor/leaflet/leaflet.js" in a for a in assets)
    for asset in assets:
        assert planner.get(asset).status_code == 200, asset
    assert not re.findall(r"https?://(?!127\.0\.0\.1|localhost)", page.text)
