"""Party assignments through an edit: merges keep a leader, undo and revert bring them back.

A grid an edit removes (merged away, or emptied by a move) hands its grid leader and cadres to
the grid that took most of its workload, by the rule of :mod:`gis.party.succession`: where that
grid has a leader too, the one with the larger share of the merged grid's workload stays and
the other's assignment ends today, archived as 网格合并. The preview of the edit says so.

What an edit did to assignments is filed in ``grid_edit_assignment`` (moved, archived —
including the ended ones the grid's removal files away — and restored), in order. Undo and
revert run it backwards: an assignment moved comes back to its grid, one archived is restored
from the archive over the grid the edit brings back, with the end it had. What cannot come
back (the grid took another leader since) is said, not forced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from gis.editing.changeset import Changeset, Layer
from gis.editing.checks import Touched
from gis.infra.settings import Settings
from gis.party import succession
from gis.party.common import today
from gis.personal import mask_name
from gis.workload import workload_sql

#: Why the assignments a removed grid still held were filed away (the archive's default).
GRID_REMOVED = "网格删除"

_RELATION = """
    WITH mv AS (
        SELECT * FROM unnest(CAST(:units AS int[]), CAST(:froms AS int[]), CAST(:tos AS int[]))
            AS t(unit_id, from_id, to_id)),
    pair AS (
        SELECT mv.from_id, mv.to_id, sum({w}) AS workload, count(*) AS units
        FROM mv JOIN base_unit u ON u.id = mv.unit_id
        WHERE mv.from_id = ANY(:gone) GROUP BY mv.from_id, mv.to_id),
    best AS (
        SELECT DISTINCT ON (from_id) from_id AS origin_id, to_id AS target_id, workload, units
        FROM pair ORDER BY from_id, workload DESC, units DESC, to_id),
    stay AS (  -- every target is its own origin, even one that gave all its own units away
        SELECT b.target_id AS origin_id, b.target_id AS target_id,
               coalesce(sum({w}), 0) AS workload, count(u.id) AS units
        FROM (SELECT DISTINCT target_id FROM best) b
        LEFT JOIN grid_unit gu ON gu.grid_id = b.target_id AND gu.unit_id <> ALL(:units)
        LEFT JOIN base_unit u ON u.id = gu.unit_id
        GROUP BY b.target_id),
    total AS (
        SELECT gu.grid_id, sum({w}) AS workload, count(*) AS units
        FROM grid_unit gu JOIN base_unit u ON u.id = gu.unit_id
        WHERE gu.grid_id IN (SELECT target_id FROM best) GROUP BY gu.grid_id),
    named AS (
        SELECT * FROM unnest(CAST(:name_ids AS int[]), CAST(:befores AS varchar[]),
                             CAST(:afters AS varchar[])) AS n(id, before, after))
    SELECT r.origin_id, r.target_id, o.before AS origin_code, t.after AS target_code,
           r.workload, r.units, total.workload AS target_workload, total.units AS target_units
    FROM (SELECT * FROM best UNION ALL SELECT * FROM stay) r
    JOIN total ON total.grid_id = r.target_id
    JOIN named o ON o.id = r.origin_id JOIN named t ON t.id = r.target_id
"""


@dataclass(frozen=True)
class Action:
    """One thing an edit did to an assignment (a ``grid_edit_assignment`` row)."""

    action: str  # moved | archived | restored
    assignment: int
    from_code: str | None
    to_code: str | None = None
    ends_on: dt.date | None = None
    reason: str | None = None


@dataclass
class LeaderChanges:
    """An edit's effect on assignments: its actions (to record), the decisions about grid
    leaders (to preview), and what a run backwards restored or could not."""

    actions: list[Action]
    decisions: list[succession.Decision]
    restored: list[dict[str, Any]]
    not_restored: list[dict[str, Any]]

    def to_json(self, *, masked: bool) -> dict[str, Any]:
        def show(item: dict[str, Any]) -> dict[str, Any]:
            return item | {"name": mask_name(item["name"]) if masked else item["name"]}

        return {
            "decisions": [d.to_json(masked=masked) for d in self.decisions],
            "restored": [show(r) for r in self.restored],
            "not_restored": [show(r) for r in self.not_restored],
        }


def follow(
    conn: Connection,
    layer: Layer,
    touched: Touched,
    changes: Changeset,
    ids_after: Mapping[str, int],
    settings: Settings,
) -> LeaderChanges:
    """Hand the assignments of the grids this edit removes to their successors (the moves are
    written, the grids not yet deleted); file what remains on them as archived with the grid."""
    out = LeaderChanges([], [], [], [])
    gone = {touched.rows[c].id: c for c in touched.deleted if c in touched.rows}
    if not gone:
        return out
    named = {r.id: (code, code) for code, r in touched.rows.items()}
    for code, gid in ids_after.items():
        named[gid] = (named.get(gid, (code, code))[0], code)
    params = {
        "units": [m.unit_id for m in changes.moves],
        "froms": [touched.rows[m.from_code].id for m in changes.moves],
        "tos": [ids_after[m.to_code] for m in changes.moves],
        "gone": list(gone),
        "name_ids": list(named),
        "befores": [b for b, _ in named.values()],
        "afters": [a for _, a in named.values()],
    }
    relation = _RELATION.format(w=workload_sql(settings.weights, "u"))
    on = today()
    plan = succession.plan(conn, relation, params, on)
    succession.carry_out(conn, plan, on, layer.code)
    out.decisions = plan.decisions
    out.actions += [
        Action("archived", h.assignment, h.grid_before, None, h.ends_on, succession.MERGED)
        for h in plan.archived
    ]
    out.actions += [
        Action("moved", h.assignment, h.grid_before, named[h.target_id][1]) for h in plan.moves
    ]
    # What the removed grids still hold (ended assignments: their history) goes to the archive
    # with them, by the trigger of migration 0005; filed here too, so undo brings it back.
    rest = conn.execute(
        text("SELECT id, grid_id, ends_on FROM assignment WHERE grid_id = ANY(:ids) ORDER BY id"),
        {"ids": list(gone)},
    ).all()
    out.actions += [
        Action("archived", int(r.id), gone[r.grid_id], None, r.ends_on, GRID_REMOVED) for r in rest
    ]
    return out


def run_back(
    conn: Connection, layer: Layer, edits: Sequence[tuple[int, Mapping[str, str]]]
) -> LeaderChanges:
    """Run backwards what ``edits`` (newest first; each with a map from the codes its actions
    name to today's) did to assignments."""
    out = LeaderChanges([], [], [], [])
    on = today()
    for edit_id, codes in edits:
        rows = conn.execute(
            text(
                "SELECT assignment_id, action, from_code, to_code, ends_on, reason "
                "FROM grid_edit_assignment WHERE edit_id = :e ORDER BY id DESC"
            ),
            {"e": edit_id},
        ).all()
        for r in rows:
            code = codes.get(r.from_code, r.from_code)
            grid = conn.execute(
                text("SELECT id FROM grid WHERE layer_id = :l AND code = :c"),
                {"l": layer.id, "c": code},
            ).scalar()
            _run_back_one(conn, layer, out, r, code, grid, on)
    return out


def _run_back_one(
    conn: Connection,
    layer: Layer,
    out: LeaderChanges,
    row: Any,
    code: str,
    grid: int | None,
    on: dt.date,
) -> None:
    who = _who(conn, row.assignment_id)
    item = who | {"assignment": row.assignment_id, "grid": code}
    if row.action == "restored":  # it was brought back: it goes back to the archive
        ends = conn.execute(
            text("SELECT ends_on FROM assignment WHERE id = :id"), {"id": row.assignment_id}
        ).first()
        if ends is not None:
            reason = row.reason or GRID_REMOVED
            succession.archive(conn, [row.assignment_id], [code], on, layer.code, reason)
            out.actions.append(
                Action("archived", row.assignment_id, code, None, ends.ends_on, reason)
            )
        return
    if grid is None:
        out.not_restored.append(item | {"why": f"网格 {code} 不在图层中 the grid is not back"})
        return
    if row.action == "moved":
        done = _move(conn, row.assignment_id, grid)
        if done:
            out.actions.append(Action("moved", row.assignment_id, row.to_code, code))
    else:
        done = succession.restore(conn, row.assignment_id, grid, row.ends_on)
        if done:
            out.actions.append(
                Action("restored", row.assignment_id, code, code, row.ends_on, row.reason)
            )
    if done:
        if row.ends_on is None or row.ends_on >= on or row.action == "moved":
            out.restored.append(item)
    else:
        out.not_restored.append(item | {"why": "该网格此期间已有他人任职 someone else holds it"})


def _move(conn: Connection, assignment: int, grid: int) -> bool:
    try:
        with conn.begin_nested():
            return bool(
                conn.execute(
                    text("UPDATE assignment SET grid_id = :g WHERE id = :id"),
                    {"g": grid, "id": assignment},
                ).rowcount
            )
    except IntegrityError:
        return False


def _who(conn: Connection, assignment: int) -> dict[str, Any]:
    row = conn.execute(
        text(
            "SELECT m.code, m.name, coalesce(a.role, x.role) AS role FROM party_member m "
            "LEFT JOIN assignment a ON a.id = :id AND a.member_id = m.id "
            "LEFT JOIN assignment_archive x ON x.id = :id AND x.member_id = m.id "
            "WHERE a.id IS NOT NULL OR x.id IS NOT NULL"
        ),
        {"id": assignment},
    ).first()
    if row is None:
        return {"member": None, "name": None, "role": None}
    return {"member": row.code, "name": row.name, "role": row.role}


def record(conn: Connection, edit_id: int, actions: Sequence[Action]) -> None:
    """File an edit's actions on assignments, in order."""
    if not actions:
        return
    conn.execute(
        text(
            "INSERT INTO grid_edit_assignment (edit_id, assignment_id, action, from_code, "
            "to_code, ends_on, reason) VALUES (:edit, :assignment, :action, :from_code, "
            ":to_code, :ends_on, :reason)"
        ),
        [
            {
                "edit": edit_id,
                "assignment": a.assignment,
                "action": a.action,
                "from_code": a.from_code,
                "to_code": a.to_code,
                "ends_on": a.ends_on,
                "reason": a.reason,
            }
            for a in actions
        ],
    )
