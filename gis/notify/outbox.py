"""Writing to the notification outbox, in the caller's transaction.

Every change that someone must be told of (a state change, a merge, a deadline alert) calls
:func:`enqueue` with the connection of that change: the rows commit with it or not at all, so a
crash between the change and the message cannot lose the message, and a change rolled back
sends nothing. Delivery is another process's business (:mod:`gis.notify.worker`): a channel
that is down never holds up the change.

Who is told, in one INSERT … SELECT:

- every reporter of the incident and of the duplicates merged into it who gave an email, about
  their own report (so they recognise the code they were given);
- every active user subscribed to the grid or community of any report of the group, once per
  address, about the primary incident.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection, text

EVENTS = ("state", "merged", "warning", "escalated")

_SQL = """
WITH grp AS (
    SELECT i.id, i.grid_id, i.community_id, i.reporter_email
    FROM incident i WHERE i.id = :primary OR i.merged_into_id = :primary
), recipient AS (
    SELECT g.id AS incident_id, 'email' AS channel, g.reporter_email AS address, 0 AS rank
    FROM grp g WHERE CAST(:reporters AS boolean) AND coalesce(g.reporter_email, '') <> ''
    UNION ALL
    SELECT CAST(:primary AS integer), s.channel, s.address, 1
    FROM grp g
    JOIN incident_subscription s ON s.grid_id = g.grid_id OR s.community_id = g.community_id
    JOIN app_user u ON u.id = s.user_id AND u.active
), one AS (
    SELECT DISTINCT ON (r.channel, r.address) r.incident_id, r.channel, r.address
    FROM recipient r ORDER BY r.channel, r.address, r.rank, r.incident_id
)
INSERT INTO notification_outbox
    (incident_id, event, channel, address, subject, payload, created_at, available_at)
SELECT o.incident_id, CAST(:event AS text), o.channel, o.address,
       '【网格通知】事件 ' || i.code || ' ' || CAST(:what AS text),
       jsonb_build_object('incident', i.code, 'primary', p.code, 'category', i.category,
                          'state', p.state, 'event', CAST(:event AS text)) || CAST(:extra AS jsonb),
       :now, :now
FROM one o JOIN incident i ON i.id = o.incident_id JOIN incident p ON p.id = :primary
"""


def enqueue(
    conn: Connection,
    primary_id: int,
    event: str,
    what: str,
    extra: dict[str, object],
    now: dt.datetime,
    *,
    reporters: bool = True,
) -> int:
    """Queue the messages telling of ``event`` on incident ``primary_id`` (and its merged
    duplicates); ``what`` ends the subject line, ``extra`` joins the JSON payload. Returns the
    number of messages queued. ``reporters=False``: the subscribers only (deadline alerts are
    the office's business, not the resident's)."""
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    result = conn.execute(
        text(_SQL),
        {
            "primary": primary_id,
            "event": event,
            "what": what,
            "extra": json.dumps(extra | {"at": now.isoformat()}, ensure_ascii=False),
            "now": now,
            "reporters": reporters,
        },
    )
    return int(result.rowcount or 0)
