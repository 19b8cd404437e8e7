"""The editor page in headless Chromium: a merge's preview says which grid leader stays and
whose assignment ends (网格合并) before the planner applies it; applied, it does just that.

The live server commits: the test edits a scratch copy of the tiny city's grids
(tests/scratch_layer.py) with two committed grid leaders, and removes them afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from gis.infra.settings import Settings
from tests.browser import Traffic, log_in
from tests.party_city import seed_members
from tests.scratch_layer import scratch_layer as make_scratch_layer
from tests.test_edit_page import VIEWPORT, _ready, _zoom_to_tiny_city
from tests.tiny_city import COMMUNITY_A

G1, G2 = f"{COMMUNITY_A}001", f"{COMMUNITY_A}002"
PREFIX = "TBR"


@pytest.fixture
def led_layer(engine: Engine, settings: Settings) -> Iterator[tuple[str, dict[str, str]]]:
    """A scratch layer whose G1 and G2 have grid leaders: layer code, grid → member code."""
    with make_scratch_layer(engine, settings) as layer:
        with engine.begin() as conn:
            people = seed_members(conn, PREFIX)
            who = {G1: people["leader_a1"].code, G2: people["leader_4"].code}
            for grid, member in who.items():
                conn.execute(
                    text(
                        "INSERT INTO assignment (member_id, role, grid_id, starts_on) "
                        "SELECT m.id, 'grid_leader', g.id, :s FROM party_member m, grid g "
                        "JOIN grid_layer l ON l.id = g.layer_id "
                        "WHERE m.code = :m AND l.code = :l AND g.code = :g"
                    ),
                    {"m": member, "l": layer, "g": grid, "s": dt.date(2024, 1, 1)},
                )
        try:
            yield layer, who
        finally:
            with engine.begin() as conn:
                like = {"p": f"{PREFIX}%"}
                for table in ("assignment", "assignment_archive"):
                    conn.execute(
                        text(
                            f"DELETE FROM {table} WHERE member_id IN "
                            "(SELECT id FROM party_member WHERE code LIKE :p)"
                        ),
                        like,
                    )
                conn.execute(text("DELETE FROM party_member WHERE code LIKE :p"), like)


@pytest.mark.browser
def test_merge_preview_names_the_leader_who_stays(
    browser: Any, live_server: str, led_layer: tuple[str, dict[str, str]], engine: Engine
) -> None:
    layer, who = led_layer
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    traffic = Traffic.watch(page)
    try:
        log_in(page, live_server, "t-planner", f"/edit?layer={layer}")
        _ready(page)
        _zoom_to_tiny_city(page)
        page.get_by_test_id(f"grid-row-{G1}").click()
        page.get_by_test_id("merge-target").select_option(G2)
        page.get_by_test_id("merge").click()
        page.wait_for_function("() => gridedit.preview && !gridedit.busy()")
        leaders = page.get_by_test_id("preview-leaders").inner_text()
        # G2 brings 2,400 of the merged grid's 2,700 households: its leader stays.
        assert f"网格 {G1}" in leaders and "留任" in leaders and "网格合并" in leaders
        assert f"原网格 {G2}） 留任" in leaders and f"原网格 {G1}） 任职结束" in leaders
        page.get_by_test_id("apply").click()
        page.wait_for_function(
            "(code) => !gridedit.grid(code) && !gridedit.busy()", arg=G2, timeout=30_000
        )
    finally:
        context.close()
    with engine.connect() as conn:
        led = conn.execute(
            text(
                "SELECT g.code, m.code FROM assignment a JOIN grid g ON g.id = a.grid_id "
                "JOIN grid_layer l ON l.id = g.layer_id JOIN party_member m "
                "ON m.id = a.member_id WHERE l.code = :l"
            ),
            {"l": layer},
        ).all()
        archived = conn.execute(
            text(
                "SELECT x.grid_code, x.reason FROM assignment_archive x JOIN party_member m "
                "ON m.id = x.member_id WHERE m.code = :m"
            ),
            {"m": who[G1]},
        ).all()
    assert [tuple(r) for r in led] == [(G1, who[G2])]
    assert [tuple(r) for r in archived] == [(G1, "网格合并")]
    assert traffic.errors == [], traffic.errors
    assert traffic.outside() == []
