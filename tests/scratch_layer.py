"""A scenario layer of the editor's tests' own: a committed copy of the tiny city's unified
grids, for tests that commit (a live server, the CLI) and must leave the shared layers alone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text

from gis.grids import refresh_grids
from gis.infra.settings import Settings


@contextmanager
def scratch_layer(engine: Engine, settings: Settings) -> Iterator[str]:
    """Yield the code of a fresh scenario layer copying the tiny city's unified grids; drop it
    (with its grids, memberships and edit history) afterwards."""
    code = f"t-edit-{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        layer_id = copy_tiny_unified(conn, code, "编辑测试方案")
        refresh_grids(conn, settings.weights, layer_ids=[layer_id])
    try:
        yield code
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM grid_layer WHERE id = :id"), {"id": layer_id})


def copy_tiny_unified(conn: Connection, code: str, name: str) -> int:
    """A new scenario layer ``code`` holding a copy of the tiny city's unified grids; its id."""
    layer_id = conn.execute(
        text("INSERT INTO grid_layer (code, name, kind) VALUES (:c, :n, 'scenario') RETURNING id"),
        {"c": code, "n": name},
    ).scalar_one()
    conn.execute(
        text(
            "INSERT INTO grid (layer_id, code, name, community_id) "
            "SELECT :new, g.code, g.name, g.community_id FROM grid g "
            "JOIN grid_layer l ON l.id = g.layer_id "
            "WHERE l.code = 'unified' AND starts_with(g.code, '369901')"
        ),
        {"new": layer_id},
    )
    conn.execute(
        text(
            "INSERT INTO grid_unit (layer_id, unit_id, grid_id) "
            "SELECT :new, gu.unit_id, n.id FROM grid_unit gu "
            "JOIN grid g ON g.id = gu.grid_id JOIN grid_layer l ON l.id = gu.layer_id "
            "JOIN grid n ON n.layer_id = :new AND n.code = g.code WHERE l.code = 'unified'"
        ),
        {"new": layer_id},
    )
    return int(layer_id)
