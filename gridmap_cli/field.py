"""``gridmap field …``: field work from the command line — pruning old patrol tracks.

``gridmap field prune`` reduces raw track points older than ``GRIDMAP_TRACK_RETENTION_DAYS``
(90 by default, or ``--days``) to daily figures per worker and deletes them; run it daily (cron
or a systemd timer). It is idempotent: a second run prunes nothing. Audited as
``system:<os user>``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from gis.infra.settings import load_settings
from gridmap_cli.access import system_access
from gridmap_cli.db import transaction as _transaction
from gridmap_cli.errors import friendly

field_app = typer.Typer(
    help="Field work (巡查): patrol tracks, check-ins, absences.", no_args_is_help=True
)


@field_app.command("prune")
@friendly
def prune_cmd(
    days: Annotated[
        int | None,
        typer.Option("--days", min=1, help="keep this many days (default: the setting, 90)"),
    ] = None,
) -> None:
    """Reduce raw track points older than the retention period to daily figures, then delete."""
    from gis.chinatime import china_time
    from gis.patrols import prune_tracks

    tracks = load_settings().tracks
    if days is not None:
        tracks = tracks.model_copy(update={"retention_days": days})
    with _transaction() as conn:
        result = prune_tracks(
            conn, access=system_access(), now=dt.datetime.now(dt.UTC), tracks=tracks
        )
    typer.echo(
        f"轨迹清理 Pruned: {result.points} 个点 points, {result.days} 个工作日 worker-days "
        f"(早于 before {china_time(result.cutoff)})"
    )
