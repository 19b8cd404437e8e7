"""The delivery worker: claim due messages, send them, mark what happened.

At most once. A batch is claimed in its own short transaction (``FOR UPDATE SKIP LOCKED``, so
several workers never take the same row) and marked ``sending`` *before* anything is sent; the
outcome is written after. A worker that dies mid-batch leaves its rows ``sending``: they are not
sent again (an operator sees them in ``gridmap notify status``), because the mail may already
have left. A message refused before it was handed over goes back to ``pending`` with an
exponential backoff (``backoff_seconds × 2^(attempts-1)``) until ``max_attempts``, then
``failed``.

Logs name outbox ids, channels and error kinds, never an address or a payload.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Engine, text

from gis.notify.channels import Channel, Message, Result

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """What one round did."""

    claimed: int
    sent: int
    retried: int
    failed: int


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_seconds: float = 30.0

    def delay(self, attempts: int) -> dt.timedelta:
        return dt.timedelta(seconds=self.backoff_seconds * 2 ** max(attempts - 1, 0))


_CLAIM = """
UPDATE notification_outbox o SET status = 'sending', claimed_at = :now, attempts = o.attempts + 1
WHERE o.id IN (
    SELECT id FROM notification_outbox
    WHERE status = 'pending' AND available_at <= :now AND channel = ANY(:channels)
    ORDER BY available_at, id LIMIT :limit FOR UPDATE SKIP LOCKED)
RETURNING o.id, o.channel, o.address, o.subject, o.payload, o.attempts
"""


def claim(engine: Engine, channels: list[str], limit: int, now: dt.datetime) -> list[Message]:
    """Take up to ``limit`` due messages, committed as ``sending`` before they are sent."""
    with engine.begin() as conn:
        rows = conn.execute(
            text(_CLAIM), {"now": now, "channels": channels, "limit": limit}
        ).mappings()
        return [Message(**r) for r in rows]


def _mark(
    engine: Engine, messages: list[Message], results: Mapping[int, Result], retry: RetryPolicy
) -> Delivery:
    now = dt.datetime.now(dt.UTC)
    sent = [m.id for m in messages if results[m.id].outcome == "sent"]
    again: list[dict[str, object]] = [
        {
            "id": m.id,
            "at": now + retry.delay(m.attempts),
            "error": results[m.id].error[:200],
            "status": "pending" if m.attempts < retry.max_attempts else "failed",
        }
        for m in messages
        if results[m.id].outcome == "retry"
    ]
    failed: list[dict[str, object]] = [
        {"id": m.id, "at": now, "error": results[m.id].error[:200], "status": "failed"}
        for m in messages
        if results[m.id].outcome == "failed"
    ]
    with engine.begin() as conn:
        if sent:
            conn.execute(
                text(
                    "UPDATE notification_outbox SET status = 'sent', sent_at = :now, "
                    "last_error = NULL WHERE id = ANY(:ids)"
                ),
                {"now": now, "ids": sent},
            )
        if again or failed:
            conn.execute(
                text(
                    "UPDATE notification_outbox SET status = :status, available_at = :at, "
                    "last_error = :error WHERE id = :id"
                ),
                again + failed,
            )
    gave_up = sum(1 for a in again if a["status"] == "failed") + len(failed)
    for row in again + failed:
        log.warning("outbox %s: %s (%s)", row["id"], row["error"], row["status"])
    return Delivery(len(messages), len(sent), len(again) + len(failed) - gave_up, gave_up)


def deliver_once(
    engine: Engine,
    channels: Mapping[str, Channel],
    *,
    batch: int = 100,
    retry: RetryPolicy | None = None,
    now: dt.datetime | None = None,
) -> Delivery:
    """Claim one batch of due messages, send them through their channels, mark the outcome."""
    retry = retry or RetryPolicy()
    messages = claim(engine, list(channels), batch, now or dt.datetime.now(dt.UTC))
    if not messages:
        return Delivery(0, 0, 0, 0)
    results: dict[int, Result] = {}
    for name, channel in channels.items():
        mine = [m for m in messages if m.channel == name]
        if not mine:
            continue
        try:
            results |= channel.send(mine)
        except Exception as error:  # a broken channel must not take the worker down
            log.exception("channel %s failed on a batch of %d", name, len(mine))
            results |= {
                m.id: Result("failed", f"channel error: {type(error).__name__}") for m in mine
            }
    return _mark(engine, messages, results, retry)


def run(
    engine: Engine,
    channels: Mapping[str, Channel],
    *,
    batch: int = 100,
    retry: RetryPolicy | None = None,
    poll_seconds: float = 2.0,
    stop: threading.Event | None = None,
    max_rounds: int | None = None,
) -> int:
    """Deliver until ``stop`` is set (or ``max_rounds`` rounds): a full batch is followed at
    once by the next, an empty one waits ``poll_seconds``. Returns the messages sent."""
    stop = stop or threading.Event()
    total = rounds = 0
    while not stop.is_set() and (max_rounds is None or rounds < max_rounds):
        rounds += 1
        try:
            done = deliver_once(engine, channels, batch=batch, retry=retry)
        except Exception:  # the database away for a moment: try again after the pause
            log.exception("outbox round failed")
            stop.wait(poll_seconds)
            continue
        total += done.sent
        if done.claimed < batch:
            stop.wait(poll_seconds)
    return total


def status(engine: Engine) -> dict[str, int]:
    """How many messages are in each state."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT status, count(*) FROM notification_outbox GROUP BY status")
        ).all()
    return {"pending": 0, "sending": 0, "sent": 0, "failed": 0} | {s: int(n) for s, n in rows}
