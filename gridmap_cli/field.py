"""``gridmap field …``: field work from the command line — the nightly roll-up and pruning of
patrol tracks.

``gridmap field rollup [--day D | --since D]`` computes each worker's figures per day from the
raw tracks into ``patrol_day`` (what the month figures and the 考核 ranking read); without an
option, every day after the last one rolled up, to yesterday. Re-running a day replaces its rows.
Run it nightly, before ``prune`` (which rolls a day up itself before deleting its points).

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


@field_app.command("rollup")
@friendly
def rollup_cmd(
    day: Annotated[
        dt.datetime | None,
        typer.Option("--day", formats=["%Y-%m-%d"], help="roll up this day only (YYYY-MM-DD)"),
    ] = None,
    since: Annotated[
        dt.datetime | None,
        typer.Option("--since", formats=["%Y-%m-%d"], help="roll up from this day to yesterday"),
    ] = None,
) -> None:
    """Roll the raw tracks up into per-worker per-day figures (nightly; idempotent)."""
    from gis.patrols.rollup import rollup_days

    with _transaction() as conn:
        result = rollup_days(
            conn,
            access=system_access(),
            tracks=load_settings().tracks,
            now=dt.datetime.now(dt.UTC),
            day=day.date() if day else None,
            since=since.date() if since else None,
        )
    if result is None:
        typer.echo("轨迹汇总 Roll-up: 无需汇总 nothing to roll up")
        return
    typer.echo(
        f"轨迹汇总 Rolled up {result.first}–{result.last}: {result.rows} 个工作日 worker-days"
    )


@field_app.command("sample")
@friendly
def sample_cmd(
    month: Annotated[
        str | None,
        typer.Option("--month", help="YYYY-MM (default: last month, China time)"),
    ] = None,
    street: Annotated[
        str | None,
        typer.Option("--street", help="a street code (default: the demo street)"),
    ] = None,
    step: Annotated[
        int, typer.Option("--step", min=30, max=3600, help="seconds between track points")
    ] = 120,
) -> None:
    """A month of generated patrols, check-ins and absences for the sample city (make demo)."""
    from gis.accounts.demo import demo_scopes
    from gis.assessment import parse_month
    from gis.chinatime import CHINA
    from gis.patrols.sample import sample_tracks

    now = dt.datetime.now(dt.UTC)
    if month is None:
        month = (now.astimezone(CHINA).date().replace(day=1) - dt.timedelta(days=1)).strftime(
            "%Y-%m"
        )
    first, _ = parse_month(month, now=now)
    with _transaction() as conn:
        code = street or demo_scopes(conn)["street"].code
        made = sample_tracks(
            conn,
            code,
            first,
            access=system_access(),
            now=now,
            step=step,
            tracks=load_settings().tracks,
        )
    typer.echo(
        f"示例巡查 Sample patrols {made.first}–{made.last}, 街道 street {made.street}: "
        f"{made.workers} 名网格员 workers ({made.users_created} 新建 new), "
        f"{made.patrols} 次巡查 patrols, {made.points} 个轨迹点 points, "
        f"{made.check_ins} 次打卡 check-ins, {made.absences} 次报备 absences"
    )
