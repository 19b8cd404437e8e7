"""Deadline reminders and escalation: warn before a sign/handle deadline is missed, escalate
when it is.

Each category says how long before a deadline the warning goes out (``warn_hours``, migration
0017). :func:`tick` — run by ``gridmap incidents deadlines`` or the worker loop every minute —
writes one ``incident_deadline_alert`` row per deadline and level (``warning`` while the deadline
is ahead, ``escalated`` once it has passed), with a unique key, so that running it twice or from
two processes alerts once. Each new row queues its notification (the grid's and community's
subscribers) and an audit entry, in the same transaction.

The queue shows where an incident stands (:data:`DEADLINE_STATUS_SQL`): 即将超时 (due soon),
已超时 (overdue) or 已升级 (escalated: the missed deadline was escalated).
A merged report follows its primary and is never alerted on its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis import audit
from gis.access import Access
from gis.accounts import Permission
from gis.notify.outbox import enqueue

DEADLINE_STATUSES = {"due_soon": "即将超时", "overdue": "已超时", "escalated": "已升级"}

#: The deadline an open incident still has to meet (alias ``i``), and its category's warning.
_PENDING = """
CROSS JOIN LATERAL (VALUES ('sign', i.sign_due_at, i.state = 'dispatched'),
                           ('handle', i.due_at, i.state IN ('dispatched', 'signed')))
     AS d(deadline, due_at, pending)
"""

#: SQL (alias ``i``, bound ``:now``): the incident's deadline status, or NULL when on time.
DEADLINE_STATUS_SQL = (
    """(
SELECT CASE
    WHEN bool_or(EXISTS (SELECT 1 FROM incident_deadline_alert a WHERE a.incident_id = i.id
                         AND a.level = 'escalated' AND a.deadline = d.deadline
                         AND a.due_at = d.due_at)) THEN 'escalated'
    WHEN bool_or(d.due_at < :now) THEN 'overdue'
    WHEN bool_or(d.due_at - make_interval(secs => c.warn_hours * 3600) <= :now) THEN 'due_soon'
    END
FROM incident_category c """
    + _PENDING
    + """
WHERE c.code = i.category AND d.pending AND d.due_at IS NOT NULL)"""
)

_TICK = f"""
INSERT INTO incident_deadline_alert (incident_id, deadline, due_at, level, at)
SELECT i.id, d.deadline, d.due_at,
       CASE WHEN d.due_at < :now THEN 'escalated' ELSE 'warning' END, :now
FROM incident i JOIN incident_category c ON c.code = i.category
{_PENDING}
WHERE d.pending AND d.due_at IS NOT NULL AND i.merged_into_id IS NULL
  AND i.state IN ('dispatched', 'signed')
  AND d.due_at - make_interval(secs => c.warn_hours * 3600) <= :now
ON CONFLICT ON CONSTRAINT incident_deadline_alert_once DO NOTHING
RETURNING incident_id, deadline, due_at, level,
          (SELECT code FROM incident WHERE id = incident_id) AS code
"""


@dataclass(frozen=True)
class Alert:
    code: str
    deadline: str  # 'sign' | 'handle'
    level: str  # 'warning' | 'escalated'
    due_at: dt.datetime


def tick(conn: Connection, *, access: Access, now: dt.datetime | None = None) -> list[Alert]:
    """Write the warnings and escalations due at ``now`` that were not written yet, queue their
    notifications; returns the new ones (none on a second run)."""
    access.require(Permission.DISPATCH_INCIDENTS)
    now = now or dt.datetime.now(dt.UTC)
    rows = conn.execute(text(_TICK), {"now": now}).mappings().all()
    alerts = [Alert(r["code"], r["deadline"], r["level"], r["due_at"]) for r in rows]
    for row, alert in zip(rows, alerts, strict=True):
        what = "签收" if alert.deadline == "sign" else "办结"
        if alert.level == "warning":
            subject = f"即将超时：{what}时限 {alert.due_at.isoformat()} due soon"
        else:
            subject = f"已超时并升级：{what}时限已过 deadline missed, escalated"
        enqueue(
            conn,
            row["incident_id"],
            alert.level,
            subject,
            {"deadline": alert.deadline, "due_at": alert.due_at.isoformat()},
            now,
            reporters=False,
        )
        audit.record(
            conn,
            access.actor,
            f"incident.deadline_{alert.level}",
            "incident",
            alert.code,
            None,
            {"deadline": alert.deadline, "due_at": alert.due_at.isoformat()},
        )
    return alerts
