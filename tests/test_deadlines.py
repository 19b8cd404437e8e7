"""Issue 23: deadline reminders and escalation per category, written idempotently by a tick,
told to the subscribers, and visible in the queue as 即将超时 / 已超时 / 已升级."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from gis.access import Access
from gis.accounts import get_user
from gis.incidents.deadlines import tick
from gis.notify.addresses import WebhookPolicy
from gis.notify.subscriptions import subscribe
from tests.test_incidents import G1, SYSTEM, T0, drive, report

HOUR = dt.timedelta(hours=1)


def _queue_status(client, code: str, now: dt.datetime, app) -> str | None:
    app.state.clock = lambda: now
    items = client.get("/incidents/queue?stage=handle").json()["items"]
    return next(i["deadline_status"] for i in items if i["code"] == code)


def test_warned_before_escalated_after_once_each(client_as, conn, app) -> None:
    system = Access.system(SYSTEM)
    conn.execute(text("UPDATE incident_category SET warn_hours = 3 WHERE code = '环境卫生'"))
    worker = Access.of(get_user(conn, "t-worker"))
    subscribe(conn, target="grid", code=G1, channel="email", address="w@example.org",
              policy=WebhookPolicy(), access=worker)  # fmt: skip
    code = report(conn, 1, reporter_email="resident@example.org")
    drive(conn, code, "dispatch")  # at T0 + 1 h: sign within 24 h, handle within 72 h
    sign_due = T0 + HOUR + 24 * HOUR
    county = client_as("t-county")

    def mine(alerts: list) -> list[tuple[str, str]]:
        return [(a.deadline, a.level) for a in alerts if a.code == code]

    # (The sample city's loaded incidents are alerted too: the assertions look at ours.)
    assert mine(tick(conn, now=sign_due - 4 * HOUR, access=system)) == []
    assert _queue_status(county, code, sign_due - 4 * HOUR, app) is None

    assert mine(tick(conn, now=sign_due - 2 * HOUR, access=system)) == [("sign", "warning")]
    assert tick(conn, now=sign_due - HOUR, access=system) == []  # once only
    assert _queue_status(county, code, sign_due - HOUR, app) == "due_soon"

    # Past the deadline and not yet ticked: 已超时; ticked: escalated (recorded, told).
    assert _queue_status(county, code, sign_due + HOUR, app) == "overdue"
    assert mine(tick(conn, now=sign_due + HOUR, access=system)) == [("sign", "escalated")]
    assert tick(conn, now=sign_due + 2 * HOUR, access=system) == []
    assert _queue_status(county, code, sign_due + 2 * HOUR, app) == "escalated"
    told = conn.execute(
        text(
            "SELECT o.event, o.address FROM notification_outbox o JOIN incident i "
            "ON i.id = o.incident_id WHERE i.code = :c AND o.event <> 'state' ORDER BY o.id"
        ),
        {"c": code},
    ).all()
    # The subscriber is told; deadline alerts are the office's business, not the resident's.
    assert [tuple(r) for r in told] == [
        ("warning", "w@example.org"),
        ("escalated", "w@example.org"),
    ]
    audited = conn.execute(
        text("SELECT action FROM audit_log WHERE entity_id = :c ORDER BY id"), {"c": code}
    ).scalars()
    assert [a for a in audited if "deadline" in a] == [
        "incident.deadline_warning", "incident.deadline_escalated",
    ]  # fmt: skip

    # Signed: the sign deadline no longer counts; the handle deadline is ahead, on time.
    drive(conn, code, "sign", start=sign_due + 2 * HOUR)
    assert _queue_status(county, code, sign_due + 4 * HOUR, app) is None
