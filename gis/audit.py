"""The audit log: who did what, when, and the state before and after. Append-only.

Every change in Gridmap — edits, adoptions, imports, workflow transitions, assignments, user
management, log-ins and failed log-ins — writes one row with :func:`record`, on the connection
that makes the change, so that the change and its record commit (or roll back) together. The
database refuses to update or delete a row of ``audit_log`` (a trigger, migration 0001).

Actions are named ``entity.verb``: ``auth.login``, ``auth.login_failed``, ``auth.logout``,
``user.create``, ``user.update``, ``user.deactivate``, ``user.reactivate``,
``user.password_reset``, ``user.password_change``, ``city.import``, ``audit.export``; the
editor writes ``layer.<edit>`` (``layer.move``, ``layer.rename`` …), and the other modules their
own (``incident.dispatch``, ``assignment.create``, ``scenario.adopt`` …).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NotRequired, Protocol, TypedDict

from sqlalchemy import Connection, text

from gis import spreadsheet
from gis.chinatime import china_time
from gis.errors import Invalid

ACTOR_LENGTH = 64
COLUMNS = ("id", "at", "actor", "action", "entity", "entity_id", "before", "after")
# A cell starting with one of these is a formula to Excel or LibreOffice (CSV injection).


class HasUsername(Protocol):
    @property
    def username(self) -> str: ...


Actor = str | HasUsername


def actor_name(actor: Actor) -> str:
    """The name an actor is recorded under: a user name, or ``system:<os user>`` and the like."""
    name = actor if isinstance(actor, str) else actor.username
    printable = "".join(ch for ch in name if ch.isprintable())
    return printable[:ACTOR_LENGTH] or "?"


def process_actor() -> str:
    """The actor of work done by a process without a Gridmap user (the CLI, a loader script)."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        who = "unknown"
    return f"system:{who}"


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, default=str)


def record(
    conn: Connection,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: str | int | None = None,
    before: Any = None,
    after: Any = None,
) -> int:
    """Append one row to the audit log, in the caller's transaction; returns its id.

    ``before`` and ``after`` are JSON-able values (dicts, usually only the fields that changed);
    dates and other objects are written as text. Never pass secrets (password hashes, tokens).
    """
    return int(
        conn.execute(
            text(
                "INSERT INTO audit_log (actor, action, entity, entity_id, before, after) "
                "VALUES (:actor, :action, :entity, :entity_id, "
                "CAST(:before AS jsonb), CAST(:after AS jsonb)) RETURNING id"
            ),
            {
                "actor": actor_name(actor),
                "action": action[:64],
                "entity": entity[:64],
                "entity_id": None if entity_id is None else str(entity_id)[:64],
                "before": _json(before),
                "after": _json(after),
            },
        ).scalar_one()
    )


@dataclass(frozen=True)
class AuditQuery:
    """Which rows to read. ``action`` is exact, or a prefix when it ends with a dot (``user.``).

    ``since`` is inclusive and ``until`` exclusive.
    """

    actor: str | None = None
    action: str | None = None
    entity: str | None = None
    entity_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def where(self) -> tuple[str, dict[str, Any]]:
        conditions = ["true"]
        params: dict[str, Any] = {}
        for name in ("actor", "entity", "entity_id"):
            value = getattr(self, name)
            if value is not None:
                conditions.append(f"{name} = :{name}")
                params[name] = value
        if self.action is not None:
            if self.action.endswith("."):
                conditions.append("starts_with(action, :action)")
            else:
                conditions.append("action = :action")
            params["action"] = self.action
        if self.since is not None:
            conditions.append("at >= :since")
            params["since"] = self.since
        if self.until is not None:
            conditions.append("at < :until")
            params["until"] = self.until
        if self.since and self.until and self.since >= self.until:
            raise Invalid(
                "开始时间须早于结束时间 (since must be earlier than until)", since=str(self.since)
            )
        return " AND ".join(conditions), params


class AuditEntry(TypedDict):
    """One audit row as it is sent (``at`` in ISO text)."""

    id: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str | None
    before: Any
    after: Any


class AuditPage(TypedDict):
    """A page of audit rows with OGC API paging counts. A TypedDict, not a dataclass: it is
    sent as it is, with the OGC spelling, and ``next_offset`` only where there is a next page."""

    items: list[AuditEntry]
    numberMatched: int
    numberReturned: int
    next_offset: NotRequired[int]


def _row(mapping: Any) -> AuditEntry:
    return {
        "id": mapping["id"],
        "at": mapping["at"].isoformat(),
        "actor": mapping["actor"],
        "action": mapping["action"],
        "entity": mapping["entity"],
        "entity_id": mapping["entity_id"],
        "before": mapping["before"],
        "after": mapping["after"],
    }


def list_entries(
    conn: Connection, query: AuditQuery = AuditQuery(), *, limit: int = 100, offset: int = 0
) -> AuditPage:
    """A page of audit rows, newest first, with OGC-style paging counts."""
    if limit < 1 or offset < 0:
        raise Invalid(
            "limit 须 ≥ 1，offset 须 ≥ 0 (limit must be ≥ 1 and offset ≥ 0)",
            limit=limit,
            offset=offset,
        )
    where, params = query.where()
    matched = conn.execute(text(f"SELECT count(*) FROM audit_log WHERE {where}"), params)
    total = int(matched.scalar_one())
    rows = conn.execute(
        text(
            f"SELECT {', '.join(COLUMNS)} FROM audit_log WHERE {where} "
            "ORDER BY id DESC LIMIT :limit OFFSET :offset"
        ),
        params | {"limit": limit, "offset": offset},
    ).mappings()
    items = [_row(r) for r in rows]
    page: AuditPage = {
        "items": items,
        "numberMatched": total,
        "numberReturned": len(items),
    }
    if offset + len(items) < total:
        page["next_offset"] = offset + len(items)
    return page


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return china_time(value, seconds=True)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value if value is None or isinstance(value, int | float) else str(value)


def export_csv(conn: Connection, query: AuditQuery = AuditQuery()) -> Iterator[str]:
    """The matching rows as CSV text, oldest first, in chunks (read with a server-side cursor),
    written by :mod:`gis.spreadsheet`: a byte-order mark first so that Excel reads the Chinese
    right, and cells a spreadsheet would run as a formula prefixed with an apostrophe.
    """
    where, params = query.where()
    result = conn.execute(
        text(f"SELECT {', '.join(COLUMNS)} FROM audit_log WHERE {where} ORDER BY id"),
        params,
        execution_options={"yield_per": 1000},  # this statement only, not the connection
    )
    rows = ([_cell(v) for v in row] for row in result)
    yield from spreadsheet.csv_chunks(COLUMNS, rows, every=1000)
