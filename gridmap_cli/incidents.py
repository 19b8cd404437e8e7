"""``gridmap incidents …``: import a year of incidents, read the figures, manage Open311 clients.

The CLI acts as ``system:<os user>`` in the audit log (see :mod:`gridmap_cli.users`).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from gridmap_cli.access import system_access
from gridmap_cli.db import transaction as _transaction
from gridmap_cli.errors import friendly

incidents_app = typer.Typer(
    help="Incidents (吹哨报到): import, figures, Open311 client apps.", no_args_is_help=True
)
clients_app = typer.Typer(help="Open311 client apps (12345 hotline …) and their API keys.")
incidents_app.add_typer(clients_app, name="open311-client")


@incidents_app.command("import")
@friendly
def import_file(
    file: Annotated[Path, typer.Argument(help="a .csv (UTF-8) or .xlsx file, one incident a row")],
    crs: Annotated[
        str, typer.Option(help="coordinates of lon/lat: wgs84, gcj02 or bd09")
    ] = "wgs84",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check only, write nothing")] = False,
) -> None:
    """Import incidents from CSV/XLSX in one transaction (any bad row: nothing is written).

    Columns: category, reported_at, lon, lat; optionally code, description, reporter_kind, state,
    department, dispatched_at, signed_at, handled_at, fed_back_at, evaluated_at, satisfied.
    """
    from gis.incidents.importer import import_incidents

    with _transaction() as conn:
        report = import_incidents(conn, file, crs=crs, dry_run=dry_run, access=system_access())
    typer.echo(report.summary())


@incidents_app.command("figures")
@friendly
def figures_command(
    by: Annotated[str, typer.Option(help="grid, department, community or category")] = "department",
    since: Annotated[str | None, typer.Option(help="reported on or after (ISO date)")] = None,
    until: Annotated[str | None, typer.Option(help="reported before (ISO date)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table")] = False,
) -> None:
    """On-time sign and completion rates, send-backs and satisfaction per group."""
    from gis.incidents.figures import figures
    from gis.incidents.queries import Filters

    def stamp(value: str | None) -> dt.datetime | None:
        if not value:
            return None
        parsed = dt.datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)

    with _transaction() as conn:
        result = figures(
            conn, by, Filters(since=stamp(since), until=stamp(until)), access=system_access()
        )
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2, default=str))
        return

    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:.1%}"

    typer.echo(
        f"{by:<16} {'total':>7} {'open':>6} {'overdue':>7} {'sign ok':>8} {'done ok':>8} "
        f"{'sent back':>9} {'satisfied':>9}"
    )
    for row in [*result["rows"], {**result["total"], "key": "TOTAL"}]:
        typer.echo(
            f"{str(row['key'] or '—'):<16} {row['total']:>7,} {row['open']:>6,} "
            f"{row['overdue']:>7,} {pct(row['on_time_sign_rate']):>8} "
            f"{pct(row['on_time_completion_rate']):>8} {pct(row['send_back_rate']):>9} "
            f"{pct(row['satisfaction']):>9}"
        )


@clients_app.command("add")
@friendly
def client_add(
    name: Annotated[str, typer.Argument(help="the app's name, e.g. hotline-12345")],
    scope: Annotated[
        str, typer.Option(help="admin code it may report in (empty: everywhere), e.g. 361002")
    ] = "",
) -> None:
    """Register a client app and print its API key (shown only this once)."""
    from gis.incidents.open311_clients import add_client

    with _transaction() as conn:
        client, key = add_client(conn, name, scope, access=system_access())
    typer.echo(f"Open311 client {client.name} (scope {client.scope}). API key (keep it secret):")
    typer.echo(key)


@clients_app.command("list")
@friendly
def client_list() -> None:
    """The registered client apps (never their keys)."""
    from gis.incidents.open311_clients import list_clients

    with _transaction() as conn:
        for row in list_clients(conn, access=system_access()):
            state = "active" if row["active"] else "revoked"
            typer.echo(f"{row['name']:<32} {row['scope_code'] or 'everywhere':<12} {state}")


@clients_app.command("revoke")
@friendly
def client_revoke(name: Annotated[str, typer.Argument()]) -> None:
    """Revoke a client app's key at once."""
    from gis.incidents.open311_clients import revoke_client

    with _transaction() as conn:
        revoke_client(conn, name, access=system_access())
    typer.echo(f"Open311 client {name} revoked")
