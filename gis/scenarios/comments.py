"""Comments on a scenario and on its proposed grids: who said what, when.

A county weighs a plan with the streets and communities it touches before adopting it; their
remarks ("this grid puts the market and the school on one worker") belong with the grid they are
about, on the compare page and in the printed report, not in a chat group. Whoever may see the
scenario (its area inside their scope) may read and add them; every comment is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis import audit
from gis.access import Access
from gis.errors import Invalid, NotFound
from gis.scenarios.store import get_scenario

MAX_BODY = 2000


@dataclass(frozen=True)
class Comment:
    id: int
    scenario_id: int
    grid_code: str | None
    author: str
    body: str
    created_at: str


def list_comments(conn: Connection, scenario_id: int, *, access: Access) -> list[Comment]:
    """The scenario's comments, oldest first (a conversation reads down)."""
    get_scenario(conn, scenario_id, access=access)  # scope and permission
    rows = conn.execute(
        text(
            "SELECT id, scenario_id, grid_code, author, body, created_at FROM scenario_comment "
            "WHERE scenario_id = :s ORDER BY created_at, id"
        ),
        {"s": scenario_id},
    )
    return [
        Comment(r.id, r.scenario_id, r.grid_code, r.author, r.body, r.created_at.isoformat())
        for r in rows
    ]


def add_comment(
    conn: Connection, scenario_id: int, body: str, *, grid_code: str | None, access: Access
) -> Comment:
    """A new comment on the scenario, or on one of its grids (which must be in its layer)."""
    scenario = get_scenario(conn, scenario_id, access=access)
    body = body.strip()
    if not body or len(body) > MAX_BODY:
        raise Invalid(
            f"评论须为 1 至 {MAX_BODY} 个字符 (a comment has 1 to {MAX_BODY} characters)",
            field="body",
        )
    if grid_code is not None:
        found = conn.execute(
            text(
                "SELECT 1 FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
                "WHERE l.code = :layer AND g.code = :code"
            ),
            {"layer": scenario.layer, "code": grid_code},
        ).first()
        if scenario.layer is None or found is None:
            raise NotFound(
                f"方案 {scenario_id} 没有网格 {grid_code} (scenario {scenario_id} has no grid "
                f"{grid_code})",
                grid=grid_code,
            )
    row = conn.execute(
        text(
            "INSERT INTO scenario_comment (scenario_id, grid_code, author, body) "
            "VALUES (:s, :g, :a, :b) RETURNING id, created_at"
        ),
        {"s": scenario_id, "g": grid_code, "a": access.name, "b": body},
    ).one()
    audit.record(
        conn,
        access.actor,
        "scenario.comment",
        "scenario",
        scenario_id,
        None,
        {"comment": row.id, "grid": grid_code},
    )
    return Comment(row.id, scenario_id, grid_code, access.name, body, row.created_at.isoformat())
