"""``gridmap notify …``: deliver the notification outbox, see where it stands, tick deadlines.

The CLI acts as ``system:<os user>`` in the audit log (see :mod:`gridmap_cli.users`).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Annotated

import typer

from gis.infra.settings import load_settings
from gridmap_cli.access import system_access
from gridmap_cli.db import transaction as _transaction
from gridmap_cli.errors import friendly

if TYPE_CHECKING:
    from sqlalchemy import Engine

notify_app = typer.Typer(
    help="Notifications: the outbox worker, its status, deadline alerts.", no_args_is_help=True
)


def _engine() -> Engine:  # local imports keep --help fast
    from gis.infra.db import make_engine, migrate, resolve_url

    url = resolve_url(load_settings())
    migrate(url)
    return make_engine(url)


@notify_app.command("run")
@friendly
def run_command(
    once: Annotated[bool, typer.Option("--once", help="one batch, then stop")] = False,
) -> None:
    """Deliver the outbox (email over SMTP, webhooks) and tick deadlines until Ctrl-C."""
    from gis.notify.config import channels, retry_policy
    from gis.notify.service import serve_forever
    from gis.notify.worker import deliver_once

    settings = load_settings().notify
    engine = _engine()
    try:
        if once:
            started = time.monotonic()
            done = deliver_once(
                engine, channels(settings), batch=settings.batch, retry=retry_policy(settings)
            )
            typer.echo(
                f"claimed {done.claimed}, sent {done.sent}, to retry {done.retried}, "
                f"failed {done.failed} in {time.monotonic() - started:.2f} s"
            )
            return
        stop = threading.Event()
        try:
            serve_forever(engine, settings, stop)
        except KeyboardInterrupt:
            stop.set()
    finally:
        engine.dispose()


@notify_app.command("status")
@friendly
def status_command() -> None:
    """How many messages are pending, being sent, sent and failed."""
    from gis.notify.worker import status

    engine = _engine()
    try:
        counts = status(engine)
    finally:
        engine.dispose()
    typer.echo("  ".join(f"{k} {v}" for k, v in counts.items()))


@notify_app.command("deadlines")
@friendly
def deadlines_command() -> None:
    """Write the deadline warnings and escalations due now (idempotent), queue their messages."""
    from gis.incidents.deadlines import tick

    with _transaction() as conn:
        alerts = tick(conn, access=system_access())
    for alert in alerts:
        typer.echo(f"{alert.code}  {alert.deadline:<6} {alert.level:<9} due {alert.due_at}")
    typer.echo(f"{len(alerts)} new alert(s)")
