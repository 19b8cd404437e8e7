"""Small leaks: names of other counties' scenarios, and what an edit outside one's scope says.

lc-planner plans 临川区 (361002) of the sample city; the tiny city (369901) is outside that.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, text

from gis.infra.settings import DEFAULT_SAMPLE
from tests.scratch_layer import copy_tiny_unified
from tests.tiny_city import COMMUNITY_A

pytestmark = pytest.mark.skipif(not DEFAULT_SAMPLE.exists(), reason="needs the sample city")

TINY_GRID = f"{COMMUNITY_A}001"


def tiny_scenario(conn: Connection) -> str:
    """A scenario layer proposing the tiny city's grids (rolled back with the test)."""
    copy_tiny_unified(conn, "s-tiny", "测试区 合并方案 秘密")
    return "s-tiny"


def test_scenario_layers_are_listed_only_where_they_propose_grids(client_as, conn) -> None:
    code = tiny_scenario(conn)
    own = client_as("t-planner").get("/layers").json()
    assert code in {layer["code"] for layer in own}
    elsewhere = client_as("lc-planner")
    listed = elsewhere.get("/layers")
    assert listed.status_code == 200
    assert code not in {layer["code"] for layer in listed.json()}
    assert "秘密" not in listed.text
    assert "unified" in {layer["code"] for layer in listed.json()}  # the shared layers stay
    assert elsewhere.get(f"/layers/{code}").status_code == 404


def test_a_grid_outside_ones_scope_is_403_before_anything_is_said_about_it(client_as) -> None:
    planner = client_as("lc-planner")
    for action in ("unlock", "lock"):
        answer = planner.post(f"/layers/unified/grids/{TINY_GRID}/{action}", json={})
        assert answer.status_code == 403, answer.text
        assert "already" not in answer.json()["detail"]


def test_edit_errors_do_not_name_communities_outside_ones_scope(client_as, conn) -> None:
    planner = client_as("lc-planner")
    own_unit, own_grid = conn.execute(
        text(
            "SELECT u.code, g.code FROM base_unit u JOIN grid_unit gu ON gu.unit_id = u.id "
            "JOIN grid g ON g.id = gu.grid_id JOIN grid_layer l ON l.id = gu.layer_id "
            "WHERE l.code = 'unified' AND starts_with(u.code, '361002') ORDER BY u.code LIMIT 1"
        )
    ).one()
    tiny_unit = conn.execute(
        text("SELECT code FROM base_unit WHERE starts_with(code, :c) ORDER BY code LIMIT 1"),
        {"c": COMMUNITY_A},
    ).scalar_one()
    names = set(
        conn.execute(text("SELECT name FROM community WHERE starts_with(code, '369901')")).scalars()
    )
    for body in (
        {"units": [own_unit], "to": TINY_GRID},  # into a grid of another county
        {"units": [tiny_unit], "to": own_grid},  # a unit of another county
        {"units": [tiny_unit], "to": "new"},
    ):
        answer = planner.post("/layers/unified/edits", json=body)
        assert answer.status_code == 403, answer.text
        detail = answer.json()["detail"]
        assert COMMUNITY_A not in detail.replace(TINY_GRID, "").replace(tiny_unit, "")
        assert not any(name in detail for name in names), detail
