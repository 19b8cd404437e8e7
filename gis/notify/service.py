"""The background loop a server (or ``gridmap notify run``) runs: deliver the outbox, and every
minute write the deadline alerts that have come due."""

from __future__ import annotations

import datetime as dt
import logging
import threading

from sqlalchemy import Engine

from gis.access import Access
from gis.incidents.deadlines import tick
from gis.infra.settings import NotifySettings
from gis.notify.config import channels, retry_policy
from gis.notify.worker import deliver_once

log = logging.getLogger(__name__)
TICK_EVERY = dt.timedelta(minutes=1)


def serve_forever(engine: Engine, settings: NotifySettings, stop: threading.Event) -> None:
    """Deliver and tick until ``stop`` is set; an error is logged and the loop goes on."""
    routes, retry = channels(settings), retry_policy(settings)
    last_tick = dt.datetime.min.replace(tzinfo=dt.UTC)
    access = Access.system("system:notify")
    while not stop.is_set():
        now = dt.datetime.now(dt.UTC)
        try:
            if now - last_tick >= TICK_EVERY:
                with engine.begin() as conn:
                    alerts = tick(conn, now=now, access=access)
                if alerts:
                    log.info("deadline alerts: %d new", len(alerts))
                last_tick = now
            done = deliver_once(engine, routes, batch=settings.batch, retry=retry)
        except Exception:  # the database away for a moment: the loop goes on after a pause
            log.exception("notification round failed")
            stop.wait(settings.poll_seconds)
            continue
        if done.claimed < settings.batch:
            stop.wait(settings.poll_seconds)


def start_thread(
    engine: Engine, settings: NotifySettings
) -> tuple[threading.Thread, threading.Event]:
    """The loop in a daemon thread (``GRIDMAP_NOTIFY_WORKER_IN_SERVE``); set the event to stop."""
    stop = threading.Event()
    thread = threading.Thread(
        target=serve_forever, args=(engine, settings, stop), name="gridmap-notify", daemon=True
    )
    thread.start()
    return thread, stop
