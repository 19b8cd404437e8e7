"""Record one edit (the writer's last step): bump the layer's version, file the edit and its
moves in the history, write the audit row, and shape the answer the editor shows."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import Connection, text

from gis import audit
from gis.access import Access
from gis.editing.changeset import Changeset, EditRequest, Layer
from gis.editing.checks import Touched, community_codes_of

log = logging.getLogger(__name__)


def record_edit(
    conn: Connection,
    layer: Layer,
    changes: Changeset,
    request: EditRequest,
    touched: Touched,
    *,
    access: Access,
) -> tuple[int, int, list[dict[str, str]]]:
    """Version, history and audit of an edit; the new version, the edit's id and its moves."""
    version = int(
        conn.execute(
            text("UPDATE grid_layer SET version = version + 1 WHERE id = :id RETURNING version"),
            {"id": layer.id},
        ).scalar_one()
    )
    edit_id = int(
        conn.execute(
            text(
                "INSERT INTO grid_edit (layer_id, version, base_version, kind, actor, summary, "
                "grids, communities, undoes) VALUES (:layer, :version, :base, :kind, :actor, "
                ":summary, CAST(:grids AS jsonb), CAST(:communities AS varchar[]), :undoes) "
                "RETURNING id"
            ),
            {
                "layer": layer.id,
                "version": version,
                "base": layer.version,
                "kind": request.kind,
                "actor": access.name,
                "summary": request.summary,
                "grids": json.dumps(changes.grids_json(), ensure_ascii=False),
                "communities": _edit_communities(conn, changes, touched.rows),
                "undoes": request.undoes,
            },
        ).scalar_one()
    )
    if changes.moves:
        conn.execute(
            text(
                "INSERT INTO grid_edit_move (edit_id, unit_id, from_code, to_code) "
                "SELECT :edit, * FROM unnest(CAST(:units AS int[]), CAST(:froms AS varchar[]), "
                "CAST(:tos AS varchar[]))"
            ),
            {
                "edit": edit_id,
                "units": [m.unit_id for m in changes.moves],
                "froms": [m.from_code for m in changes.moves],
                "tos": [m.to_code for m in changes.moves],
            },
        )
    moves_out = [
        {"unit": touched.units[m.unit_id].code, "from": m.from_code, "to": m.to_code}
        for m in changes.moves
    ]
    audit.record(
        conn,
        access.actor,
        f"layer.{request.kind}",
        "grid_layer",
        layer.code,
        {"version": layer.version},
        {
            "version": version,
            "edit": edit_id,
            "summary": request.summary,
            "moves": moves_out,
            "grids": changes.grids_json(),
        }
        | request.extra,
    )
    log.info("layer %s: %s edit v%d by %s", layer.code, request.kind, version, access.name)
    return version, edit_id, moves_out


def grid_rows(
    touched: Touched,
    before: dict[str, dict[str, Any]],
    after: dict[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    """Every touched grid with its summary before and after and what happened to it."""
    grids = []
    for code in sorted(set(before) | set(after)):
        was = before.get(code)
        now = after.get(code)
        status = "changed"
        if code in touched.deleted:
            status, now = "deleted", None
        elif code in touched.created:
            status, was = "created", None
        elif code in touched.changed_after and touched.changed_after[code].before.code != code:
            was = before.get(touched.changed_after[code].before.code)
        if (
            code in touched.changed_before
            and code not in touched.changed_after
            and code not in touched.deleted
        ):
            continue  # recoded away: shown under its new code
        grids.append({"code": code, "status": status, "before": was, "after": now})
    return grids


def _edit_communities(conn: Connection, changes: Changeset, rows: dict[str, Any]) -> list[str]:
    """The communities an edit touched: where its history entry shows (see history scope)."""
    ids = {g.community_id for g in changes.created + changes.deleted}
    ids |= {c.after.community_id for c in changes.changed}
    ids |= {r.community_id for r in rows.values()}
    codes = set(community_codes_of(conn, ids).values())
    if changes.moves:
        codes |= set(
            conn.execute(
                text(
                    "SELECT DISTINCT c.code FROM base_unit u JOIN community c "
                    "ON c.id = u.community_id WHERE u.id = ANY(:ids)"
                ),
                {"ids": [m.unit_id for m in changes.moves]},
            ).scalars()
        )
    return sorted(codes)
