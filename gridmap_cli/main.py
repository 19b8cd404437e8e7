"""The ``gridmap`` command line: the same features as the API, for operators and scripts.

Errors a user can cause are printed as one line naming the problem, with exit code 2; nothing
is changed when a command fails.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gis.infra.settings import Settings, load_settings
from gridmap_cli.access import system_access
from gridmap_cli.edit import edit_app
from gridmap_cli.errors import friendly
from gridmap_cli.exchange import exchange_app
from gridmap_cli.field import field_app
from gridmap_cli.forms import forms_app
from gridmap_cli.incidents import incidents_app
from gridmap_cli.notify import notify_app
from gridmap_cli.party import party_app
from gridmap_cli.province import province_app
from gridmap_cli.scenarios import scenarios_app
from gridmap_cli.users import users_app

#: What each server process calls to build its app (``gridmap serve --workers N``).
APP_FACTORY = "api.app:create_app"

if TYPE_CHECKING:  # for annotations only: the CLI's --help stays fast
    from gis.infra.pgcluster import Cluster

app = typer.Typer(
    help="Gridmap: grid mapping for community governance (网格化管理) on PostGIS.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="The embedded PostGIS cluster (unused when GRIDMAP_DATABASE_URL is set).")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="user")
app.add_typer(exchange_app)  # import, export, check
app.add_typer(party_app, name="party")
app.add_typer(incidents_app, name="incidents")
app.add_typer(notify_app, name="notify")
app.add_typer(edit_app, name="edit")
app.add_typer(scenarios_app, name="scenario")
app.add_typer(field_app, name="field")
app.add_typer(forms_app, name="forms")
app.add_typer(province_app, name="province")


def _settings() -> Settings:
    return load_settings()


def _cluster(settings: Settings) -> Cluster:  # local import keeps --help fast
    from gis.infra.pgcluster import Cluster

    return Cluster(settings.data_dir)


def _external(settings: Settings) -> bool:
    if settings.database_url:
        typer.echo("GRIDMAP_DATABASE_URL is set: Gridmap uses that database and starts nothing.")
        return True
    return False


@db_app.command("start")
@friendly
def db_start() -> None:
    """Start Gridmap's own PostGIS (creating it on first use)."""
    settings = _settings()
    if _external(settings):
        return
    typer.echo(f"PostGIS {_cluster(settings).start().describe()}")


@db_app.command("stop")
@friendly
def db_stop() -> None:
    """Stop Gridmap's own PostGIS."""
    settings = _settings()
    if _external(settings):
        return
    typer.echo(f"PostGIS {_cluster(settings).stop().describe()}")


@db_app.command("status")
@friendly
def db_status() -> None:
    """Say whether the database is running (exit 0) or not (exit 1), asking the server itself."""
    settings = _settings()
    if settings.database_url:
        from sqlalchemy import text

        from gis.infra.db import make_engine, resolve_url

        try:
            with make_engine(resolve_url(settings)).connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            typer.echo(f"外部数据库无法连接 external database unreachable: {type(exc).__name__}")
            raise typer.Exit(1) from exc
        typer.echo("external database (GRIDMAP_DATABASE_URL): reachable")
        return
    status = _cluster(settings).status()
    typer.echo(f"PostGIS {status.describe()}")
    if status.state != "running":
        raise typer.Exit(1)


@db_app.command("url")
@friendly
def db_url() -> None:
    """Print the SQLAlchemy URL of the database (starting the embedded one if needed)."""
    from gis.infra.db import resolve_url

    typer.echo(resolve_url(_settings()))


@app.command()
@friendly
def migrate(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Bring the schema up to date (Alembic)."""
    from gis.infra.db import current_revision, make_engine, migrate, resolve_url

    url = resolve_url(_settings())
    migrate(url, revision)
    typer.echo(f"schema at revision {current_revision(make_engine(url))}")


@app.command("load-sample")
@friendly
def load_sample(
    path: Annotated[Path | None, typer.Option(help="City package (GeoPackage)")] = None,
    replace: Annotated[
        bool, typer.Option(help="Delete and reload districts already loaded")
    ] = False,
) -> None:
    """Load the sample city or another city package; a second run changes nothing."""
    from gis.infra.db import make_engine, migrate, resolve_url
    from gis.loader import load_city

    settings = _settings()
    url = resolve_url(settings)
    migrate(url)
    engine = make_engine(url)
    package = path or settings.sample_path
    report = load_city(
        engine, package, weights=settings.weights, replace=replace, access=system_access()
    )
    typer.echo(report.summary())
    # The engagement data (三张清单, 双报到) of the city the package holds, made once from it.
    from os.path import commonprefix

    from gis.city_package import read_package
    from gis.needs.sample import seed_engagement

    districts = read_package(package, only=["districts"])["districts"]["code"].astype(str)
    prefix = commonprefix(list(districts))[:4]
    with engine.begin() as conn:
        seeded = seed_engagement(conn, access=system_access(), prefix=prefix)
    typer.echo(f"needs and takers: {'already there' if seeded.skipped else seeded}")
    # Service points (助餐点 … 议事厅) of the sample city, made once from its communities.
    from gis.facilities.sample import seed_facilities

    with engine.begin() as conn:
        placed = seed_facilities(conn, access=system_access(), prefix=prefix)
    typer.echo(f"service points: {placed} placed" if placed else "service points: already there")

    from gis.councils.sample import seed_councils

    with engine.begin() as conn:
        councils = seed_councils(conn, access=system_access(), prefix=prefix)
    typer.echo(f"councils and venues: {'already there' if councils.skipped else councils}")
    # Projects grouping some of those needs (项目清单): a fraction of a second, made once.
    from gis.needs.sample_projects import seed_projects

    with engine.begin() as conn:
        projects = seed_projects(conn, access=system_access(), prefix=prefix)
    typer.echo(f"projects: {'already there' if projects.skipped else projects}")


@app.command("walk-network")
@friendly
def walk_network(
    district: Annotated[
        list[str] | None, typer.Option(help="Only these counties (6-digit codes); default all")
    ] = None,
) -> None:
    """Build the walking network (pgRouting) from the roads and name its islands."""
    from gis.facilities.network import build_network
    from gis.infra.db import make_engine, resolve_url

    with make_engine(resolve_url(_settings())).begin() as conn:
        report = build_network(conn, district or None)
    typer.echo(
        f"walking network: {report.edges:,} edges, {report.nodes:,} nodes, "
        f"{report.length_km:,.1f} km, {len(report.islands)} islands ({report.seconds:.1f} s)"
    )
    for island in report.islands[:20]:
        typer.echo(
            f"  island: {island.nodes} nodes, {island.length_m:,.0f} m — {'、'.join(island.roads)}"
        )


@app.command()
@friendly
def stats(as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False) -> None:
    """Rows per table and the grid layers with their workload balance."""
    from gis.infra.db import make_engine, resolve_url
    from gis.layers import list_layers, table_counts

    settings = _settings()
    with make_engine(resolve_url(settings)).connect() as conn:
        counts = table_counts(conn)
        layers = list_layers(conn, (settings.band_low, settings.band_high), access=system_access())
    if as_json:
        rows = {"rows": counts, "layers": [asdict(layer) for layer in layers]}
        typer.echo(json.dumps(rows, ensure_ascii=False, default=str))
        return
    for name, n in counts.items():
        typer.echo(f"{name:20} {n:>9,}")
    typer.echo("")
    typer.echo(f"{'layer':12} {'grids':>6} {'mean':>7} {'cv':>6} {'in band':>8}  name")
    for layer in layers:
        typer.echo(
            f"{layer.code:12} {layer.grid_count:>6} {layer.workload_mean or 0:>7.1f} "
            f"{layer.workload_cv or 0:>6.3f} {layer.share_in_band or 0:>8.1%}  "
            f"{layer.name}"
        )


def _parse_band(value: str | None) -> tuple[float, float] | None:
    if value is None:
        return None
    from gis.errors import Invalid

    parts = value.split(":")
    try:
        low, high = (float(p) for p in parts)
    except ValueError as exc:
        raise Invalid(
            "--band 须为 LOW:HIGH 两个数，例如 300:500；收到 "
            f"{value!r} ("
            f"--band must be LOW:HIGH with two numbers, e.g. 300:500; got {value!r})"
        ) from exc
    if not 0 <= low < high:
        raise Invalid(
            f"工作量区间 {value} 为空：LOW 须小于 HIGH（且不能为负） ("
            f"the band {value} is empty: LOW must be below HIGH (and not negative))"
        )
    return low, high


@app.command()
@friendly
def optimize(
    source: Annotated[
        str, typer.Argument(metavar="INPUT", help="polygon file, graph JSON, or db:[AREA_CODE]")
    ],
    id_column: Annotated[str, typer.Option(help="column with the unit id")],
    workload_column: Annotated[str, typer.Option(help="column with the unit's workload")],
    out: Annotated[Path, typer.Option(help="output file (format from its extension)")],
    group_column: Annotated[
        str | None, typer.Option(help="community column: no grid may cross it")
    ] = None,
    target_count: Annotated[int | None, typer.Option(help="exactly this many grids")] = None,
    band: Annotated[str | None, typer.Option(help="workload band LOW:HIGH")] = None,
    seed: Annotated[int, typer.Option(help="same input and seed, same plan")] = 0,
    from_plan: Annotated[
        str | None, typer.Option(help="column with today's grid: repair it, moving few units")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="processes (default: all cores)")] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address, for very large inputs")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Merge units into balanced, connected grids that respect communities (多格合一)."""
    from gis.errors import Invalid
    from gis.optimizer import optimize as run_optimizer
    from gis.optimizer.io import read_units, write_plan

    if target_count is None and band is None:
        raise Invalid(
            "请给出 --target-count K 或 --band LOW:HIGH（或两者都给）"
            " ("
            "give --target-count K or --band LOW:HIGH (or both))"
        )
    if target_count is not None and target_count < 1:
        raise Invalid(
            f"--target-count 至少为 1；收到 {target_count} ("
            f"--target-count must be at least 1; got {target_count})"
        )
    band_range = _parse_band(band)
    engine = None
    settings = _settings()
    if source.startswith("db:"):
        from gis.infra.db import make_engine, resolve_url

        engine = make_engine(resolve_url(settings))
    units = read_units(
        source,
        id_column=id_column,
        workload_column=workload_column,
        group_column=group_column,
        engine=engine,
        weights=settings.weights,
        min_shared=settings.min_shared_m,
    )
    previous = units.column(from_plan) if from_plan else None
    plan = run_optimizer(
        units.graph,
        target=target_count,
        band=band_range,
        seed=seed,
        from_plan=previous,
        workers=workers,
        scheduler=scheduler,
    )
    written = write_plan(out, units, plan, band_range)
    report = plan.report
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        typer.echo(
            f"{report.units:,} units → {report.count:,} grids in {report.seconds:.1f} s: "
            f"workload mean {report.workload_mean:.1f}, CV {report.workload_cv:.3f}, "
            f"min {report.workload_min:g}, max {report.workload_max:g}, "
            f"{report.share_in_band:.1%} in band "
            f"{report.band_used[0]:.0f}–{report.band_used[1]:.0f}, "
            f"{report.connected_share:.0%} connected, {report.crossings} crossing(s), "
            f"Polsby–Popper mean {report.polsby_popper_mean}"
        )
        if report.workload_cv_bound is not None:
            above = f", {report.above_bound:.0%} above it" if report.above_bound is not None else ""
            typer.echo(
                f"no plan of {report.count:,} grids in these communities can have a CV below "
                f"{report.workload_cv_bound:.3f}{above}; heaviest grid "
                f"{report.heaviest_to_mean:.2f}× the mean"
            )
        if report.units_moved is not None:
            typer.echo(f"units moved from the starting plan: {report.units_moved:,}")
        for note in report.communities_off_band:
            typer.echo(f"  off band: {note}")
        if report.islands:
            typer.echo(f"  islands (own grid): {', '.join(report.islands[:20])}")
        if report.heavy_units:
            typer.echo(f"  units heavier than the band: {', '.join(report.heavy_units[:20])}")
        typer.echo("wrote " + ", ".join(str(p) for p in written))
    if not report.valid:
        failed = "; ".join(c["name"] + ": " + c["reason"] for c in report.checks if not c["ok"])
        typer.secho(f"违反约束 constraint violated: {failed}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)


@app.command()
@friendly
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port")] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="server processes (GRIDMAP_WORKERS; give it the cores)"),
    ] = None,
) -> None:
    """Serve the API and the map pages (Ctrl-C stops; the database keeps running)."""
    import uvicorn

    from api.app import SUPERVISOR_ENV, create_app, server_config  # the CLI may reach api/

    if workers is not None:
        os.environ["GRIDMAP_WORKERS"] = str(workers)  # the worker processes read it too
    settings = _settings()
    web = create_app(settings)  # refuses to start without a secret key outside demo mode
    host, port = host or settings.host, port or settings.port
    typer.echo(f"Gridmap at http://{host}:{port}/  (API docs: /docs)")
    if settings.workers == 1:
        uvicorn.Server(server_config(web, host=host, port=port)).run()
        return
    from uvicorn.supervisors import Multiprocess

    # Each process builds its own app from the environment: the same settings, and the secret
    # key that create_app above has already fixed (in demo mode it is kept in the data folder).
    config = server_config(APP_FACTORY, host=host, port=port, workers=settings.workers)
    os.environ[SUPERVISOR_ENV] = str(os.getpid())  # workers stop when this process is gone
    Multiprocess(config, sockets=[config.bind_socket()]).run()


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    for noisy in ("alembic", "pyogrio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app()


if __name__ == "__main__":
    main()
