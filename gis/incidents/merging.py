"""Merging duplicate reports into one incident (重复工单合并), and keeping them in step.

A dispatcher (DISPATCH_INCIDENTS: the command centre) merges one or more reports into a primary,
after the suggestions of :mod:`gis.incidents.duplicates`. From then on:

- a merged report takes the primary's state, department and deadlines at once and follows every
  later move of the primary in the same transaction (:func:`follow`), each recorded in its own
  history as ``follow``; it cannot be moved on its own (409 names the primary);
- every reporter of the group is told (:mod:`gis.notify.outbox`), about their own code;
- figures count the problem once and say how many reports it drew (:mod:`gis.incidents.figures`).

Refused with nothing changed (4xx naming the report): a merge into itself, across categories,
into a report that is itself merged (no chains), of a report already merged, of or into a closed
incident, or of a report outside the dispatcher's scope. A report that had duplicates of its own
brings them along: they are re-pointed to the new primary, so a group is always one level deep.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis import audit
from gis.access import Access
from gis.accounts import Permission
from gis.errors import Conflict, Forbidden, Invalid, NotFound
from gis.incidents.access import require_any, visible_sql
from gis.labels import INCIDENT_STATES, label
from gis.notify.outbox import enqueue

MAX_MERGE = 50
#: The columns a merged report copies from its primary (its place in the loop).
FOLLOWED = (
    "state",
    "department",
    "sign_due_at",
    "due_at",
    "dispatched_at",
    "signed_at",
    "handled_at",
    "fed_back_at",
    "evaluated_at",
    "satisfied",
    "escalated_at",
)


@dataclass(frozen=True)
class MergeResult:
    """The primary, the reports now merged into it, and how many reports the problem drew."""

    primary: str
    merged: list[str]
    reports: int
    state: str


def _rows(conn: Connection, codes: list[str]) -> dict[str, dict[str, Any]]:
    """The reports named, locked in id order (two merges never deadlock on each other)."""
    found = conn.execute(
        text(
            "SELECT i.id, i.code, i.category, i.state, i.merged_into_id, p.code AS merged_into "
            "FROM incident i LEFT JOIN incident p ON p.id = i.merged_into_id "
            "WHERE i.code = ANY(:codes) ORDER BY i.id FOR UPDATE OF i"
        ),
        {"codes": codes},
    ).mappings()
    return {r["code"]: dict(r) for r in found}


def _check(
    conn: Connection,
    primary: str,
    codes: list[str],
    rows: dict[str, dict[str, Any]],
    access: Access,
) -> None:
    for code in [primary, *codes]:
        if code not in rows:
            raise NotFound(
                f"没有编号为 {code!r} 的事件 (no incident with code {code!r})", incident=code
            )
    seen = visible_sql(access=access)
    ids = [rows[c]["id"] for c in [primary, *codes]]
    visible = set(
        conn.execute(
            text(f"SELECT i.id FROM incident i WHERE i.id = ANY(:ids) AND {seen.sql}"),
            {"ids": ids} | seen.params,
        ).scalars()
    )
    for code in [primary, *codes]:
        if rows[code]["id"] not in visible:
            raise Forbidden(
                f"事件 {code} 不在您的范围内 incident {code} is outside your scope", incident=code
            )
    head = rows[primary]
    if head["merged_into_id"] is not None:
        raise Conflict(
            f"事件 {primary} 已并入 {head['merged_into']}，不能作为主事件；请并入 "
            f"{head['merged_into']} (incident {primary} is itself merged into "
            f"{head['merged_into']}: merge into that one, merges do not chain)",
            incident=primary,
            merged_into=head["merged_into"],
        )
    if head["state"] == "evaluated":
        raise Conflict(
            f"主事件 {primary} 已办结，新的重复上报不会再被处置；请另行派遣 (the primary {primary} "
            "is closed: merged reports would be closed without being handled)",
            incident=primary,
        )
    for code in codes:
        row = rows[code]
        if row["category"] != head["category"]:
            raise Invalid(
                f"事件 {code} 的类别「{row['category']}」与主事件 {primary} 的「"
                f"{head['category']}」不同，不能合并 (incident {code} is {row['category']}, the "
                f"primary {primary} is {head['category']}: only one category merges)",
                incident=code,
            )
        if row["merged_into_id"] is not None:
            raise Conflict(
                f"事件 {code} 已并入 {row['merged_into']} (incident {code} is already merged "
                f"into {row['merged_into']})",
                incident=code,
                merged_into=row["merged_into"],
            )
        if row["state"] == "evaluated":
            raise Conflict(
                f"事件 {code} 已办结，无需合并 (incident {code} is closed: nothing to merge)",
                incident=code,
            )


def merge(
    conn: Connection,
    primary: str,
    duplicates: list[str],
    *,
    access: Access,
    note: str = "",
    now: dt.datetime | None = None,
) -> MergeResult:
    """Merge ``duplicates`` into ``primary`` (see the module doc for what is refused)."""
    require_any("merge duplicate incidents", Permission.DISPATCH_INCIDENTS, access=access)
    codes = [c.strip() for c in duplicates if c.strip()]
    if not codes:
        raise Invalid("请选择要合并的重复事件 (name at least one duplicate to merge)")
    if len(codes) > MAX_MERGE:
        raise Invalid(f"一次最多合并 {MAX_MERGE} 件 (at most {MAX_MERGE} at a time)")
    if len(set(codes)) != len(codes):
        raise Invalid("重复事件列表中有重复的编号 (a duplicate is named twice)")
    if primary in codes:
        raise Invalid(
            f"事件 {primary} 不能并入自身 (incident {primary} cannot be merged into itself)",
            incident=primary,
        )
    note = (note or "").strip()[:2000]
    now = now or dt.datetime.now(dt.UTC)
    rows = _rows(conn, [primary, *codes])
    _check(conn, primary, codes, rows, access)
    head = rows[primary]
    ids = [rows[c]["id"] for c in codes]
    # A merged report's own duplicates come along: a group stays one level deep.
    conn.execute(
        text("UPDATE incident SET merged_into_id = :p WHERE merged_into_id = ANY(:ids)"),
        {"p": head["id"], "ids": ids},
    )
    conn.execute(
        text("UPDATE incident SET merged_into_id = :p, merged_at = :now WHERE id = ANY(:ids)"),
        {"p": head["id"], "ids": ids, "now": now},
    )
    follow(
        conn,
        head["id"],
        "merge",
        f"并入 {primary} merged into {primary}. {note}",
        now,
        access=access,
    )
    _record(conn, head["id"], primary, codes, head["state"], note, now, access=access)
    enqueue(
        conn,
        head["id"],
        "merged",
        "已合并处理 merged: reports of one problem handled together",
        {"merged": codes, "note": note[:200]},
        now,
    )
    reports = conn.execute(
        text("SELECT count(*) FROM incident WHERE id = :p OR merged_into_id = :p"),
        {"p": head["id"]},
    ).scalar_one()
    return MergeResult(primary, codes, int(reports), head["state"])


def _record(
    conn: Connection,
    primary_id: int,
    primary: str,
    codes: list[str],
    state: str,
    note: str,
    now: dt.datetime,
    *,
    access: Access,
) -> None:
    conn.execute(
        text(
            "INSERT INTO incident_transition (incident_id, action, from_state, to_state, actor, "
            "at, note, department) SELECT id, 'merge', state, state, :actor, :at, :note, "
            "department FROM incident WHERE id = :id"
        ),
        {
            "id": primary_id,
            "actor": access.name,
            "at": now,
            "note": f"合并重复上报 merged duplicates: {', '.join(codes)}. {note}".strip(),
        },
    )
    audit.record(
        conn,
        access.actor,
        "incident.merge",
        "incident",
        primary,
        None,
        {"merged": codes, "state": state, "note": note[:200]},
    )


def follow(
    conn: Connection,
    primary_id: int,
    action: str,
    note: str,
    now: dt.datetime,
    *,
    access: Access,
) -> int:
    """Bring every report merged into ``primary_id`` to the primary's state (and department and
    deadlines), recording a ``follow`` move (``action`` for the merge itself) in each history
    where the state changes. Returns how many reports moved. Runs in the caller's transaction."""
    assignments = ", ".join(f"{c} = p.{c}" for c in FOLLOWED)
    moved = conn.execute(
        text(
            f"WITH before AS (SELECT d.id, d.state FROM incident d WHERE d.merged_into_id = :p "
            f"FOR UPDATE) UPDATE incident d SET {assignments}, updated_at = :now "
            "FROM incident p, before b WHERE p.id = :p AND d.id = b.id "
            "RETURNING d.id, b.state AS from_state, d.state AS to_state, d.department"
        ),
        {"p": primary_id, "now": now},
    ).mappings()
    rows = [
        {
            "id": r["id"],
            "action": "follow" if action != "merge" else "merge",
            "src": r["from_state"],
            "dst": r["to_state"],
            "actor": access.name,
            "at": now,
            "note": note.strip()
            or f"随主事件流转至「{label(INCIDENT_STATES, r['to_state'])}」 follows its primary",
            "dept": r["department"],
        }
        for r in moved
        if action == "merge" or r["from_state"] != r["to_state"]
    ]
    if rows:
        conn.execute(
            text(
                "INSERT INTO incident_transition (incident_id, action, from_state, to_state, "
                "actor, at, note, department) VALUES (:id, :action, :src, :dst, :actor, :at, "
                ":note, :dept)"
            ),
            rows,
        )
    return len(rows)


def refuse_if_merged(conn: Connection, incident_id: int, code: str) -> None:
    """A merged report moves only with its primary: acting on it alone is a 409 naming it."""
    primary = conn.execute(
        text(
            "SELECT p.code FROM incident i JOIN incident p ON p.id = i.merged_into_id "
            "WHERE i.id = :id"
        ),
        {"id": incident_id},
    ).scalar()
    if primary is not None:
        raise Conflict(
            f"事件 {code} 已并入 {primary}，随其流转；请对 {primary} 操作 (incident {code} is "
            f"merged into {primary} and follows it: act on {primary})",
            incident=code,
            merged_into=primary,
        )


def after_move(
    conn: Connection,
    primary_id: int,
    action: str,
    target: str,
    note: str,
    now: dt.datetime,
    *,
    access: Access,
) -> None:
    """What every move of an incident brings along, in its transaction: the reports merged into
    it follow, and everyone who cares is told (the outbox)."""
    follow(conn, primary_id, action, "", now, access=access)
    enqueue(
        conn,
        primary_id,
        "state",
        f"进展：{label(INCIDENT_STATES, target)} now {target}",
        {"action": action, "note": note[:200]},
        now,
    )
