"""``gridmap scenario …``: merge scenarios from the command line (the same as the API).

``create`` runs the scenario here and now, printing progress (communities done / total), unless
``--queue`` leaves it to the server's worker. The CLI acts as ``system:<os user>``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gis.errors import Invalid
from gis.infra.settings import Settings, load_settings
from gridmap_cli.access import system_access
from gridmap_cli.errors import friendly

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

scenarios_app = typer.Typer(
    help="Merge scenarios: create, follow, compare, cross-walk, adopt.", no_args_is_help=True
)


def _engine(settings: Settings) -> Engine:
    from gis.infra.db import make_engine, resolve_url

    return make_engine(resolve_url(settings))


@contextmanager
def _tx(settings: Settings) -> Iterator[Connection]:
    with _engine(settings).begin() as conn:
        yield conn


def _weights(values: list[str]) -> dict[str, float] | None:
    if not values:
        return None
    out: dict[str, float] = {}
    for item in values:
        name, _, number = item.partition("=")
        try:
            out[name.strip()] = float(number)
        except ValueError as exc:
            raise Invalid(
                "--weight 须为 名称=数值，例如 households=1；收到 "
                f"{item!r} ("
                f"--weight must be NAME=NUMBER, e.g. households=1; got {item!r})"
            ) from exc
    return out


def _band(value: str | None) -> list[float] | None:
    if value is None:
        return None
    try:
        low, high = (float(x) for x in value.split(":"))
    except ValueError as exc:
        raise Invalid(
            f"--band 须为 LOW:HIGH，例如 300:500；收到 {value!r} ("
            f"--band must be LOW:HIGH, e.g. 300:500; got {value!r})"
        ) from exc
    return [low, high]


def _plain(value: Any) -> Any:
    """gis/ answers with dataclasses: each as the mapping of its fields; anything else as text."""
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return str(value)


def _echo_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, default=_plain, indent=2))


@scenarios_app.command("create")
@friendly
def create(
    name: Annotated[str, typer.Argument(help="a name county staff will recognise")],
    area: Annotated[list[str], typer.Option(help="district, street or community code (repeat)")],
    target_count: Annotated[int | None, typer.Option(help="exactly this many grids")] = None,
    band: Annotated[str | None, typer.Option(help="workload band LOW:HIGH")] = None,
    weight: Annotated[
        list[str] | None, typer.Option(help="NAME=NUMBER, e.g. incidents_per_year=5 (repeat)")
    ] = None,
    seed: Annotated[int, typer.Option(help="same input and seed, same plan")] = 0,
    fresh: Annotated[bool, typer.Option(help="do not start from today's unified layer")] = False,
    keep_locked: Annotated[bool, typer.Option(help="keep locked grids whole")] = True,
    clarity: Annotated[
        float, typer.Option(help="boundary clarity 0–16: prefer grid lines along roads and rivers")
    ] = 0.0,
    queue: Annotated[bool, typer.Option(help="leave the run to the server's worker")] = False,
) -> None:
    """Create a scenario and run it (or queue it)."""
    from gis.scenarios.store import ScenarioSpec, create_scenario
    from gis.scenarios.worker import ScenarioWorker

    settings = load_settings()
    spec = ScenarioSpec(
        name=name,
        area=area,
        target_count=target_count,
        band=_band(band),
        weights=_weights(weight or []),
        seed=seed,
        from_unified=not fresh,
        keep_locked=keep_locked,
        clarity=clarity,
    )
    with _tx(settings) as conn:
        scenario = create_scenario(conn, spec, settings, access=system_access())
    job_id = scenario.job.id if scenario.job else None
    typer.echo(f"scenario {scenario.id} created (job {job_id})")
    if queue:
        typer.echo("queued: the server's worker runs it; follow with `gridmap scenario show`")
        return

    live = sys.stdout.isatty()  # a log file gets the total once, not a line per community

    def progress(done: int, total: int) -> None:
        if live:
            typer.echo(f"\r  communities {done}/{total}", nl=False)
        elif done == total:
            typer.echo(f"  communities {done}/{total}")

    assert scenario.job is not None  # create_scenario queues one
    worker = ScenarioWorker(_engine(settings), scheduler=settings.optimizer_scheduler)
    ran = worker.run_one(scenario.job.id, hook=progress)
    if live:
        typer.echo("")
    _summary(settings, scenario.id)
    if ran is None or ran[1] != "done":
        raise typer.Exit(1)


def _summary(settings: Settings, scenario_id: int) -> None:
    from gis.scenarios.store import get_scenario

    with _tx(settings) as conn:
        s = get_scenario(conn, scenario_id, access=system_access())
    line = f"#{s.id} {s.name}: {s.state}"
    if s.job and s.job.error:
        line += f" ({s.job.error})"
    report = s.report or {}
    if report:
        line += (
            f" — {report['count']:,} grids, CV {report['workload_cv']:.3f}, "
            f"{report['share_in_band']:.1%} in band {report['band_used'][0]:g}–"
            f"{report['band_used'][1]:g}, layer {s.layer}"
        )
    typer.echo(line)


@scenarios_app.command("list")
@friendly
def list_(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Scenarios, newest first."""
    from gis.scenarios.store import list_scenarios

    with _tx(load_settings()) as conn:
        found = list_scenarios(conn, access=system_access())
    if as_json:
        _echo_json(found)
        return
    for s in found:
        done, total = (s.job.progress.done, s.job.progress.total) if s.job else (0, 0)
        count = s.summary.get("count")
        typer.echo(
            f"{s.id:>5} {s.state:10} {done:>4}/{total:<4}"
            f" {count if count is not None else '–':>6}  {s.name}  [{', '.join(s.area)}]"
        )


@scenarios_app.command("show")
@friendly
def show(scenario_id: int, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """One scenario with its job and report."""
    from gis.scenarios.store import get_scenario

    settings = load_settings()
    if as_json:
        with _tx(settings) as conn:
            _echo_json(get_scenario(conn, scenario_id, access=system_access()))
        return
    _summary(settings, scenario_id)


@scenarios_app.command("cancel")
@friendly
def cancel(scenario_id: int) -> None:
    """Cancel a queued or running scenario."""
    from gis.scenarios.store import cancel_scenario

    with _tx(load_settings()) as conn:
        s = cancel_scenario(conn, scenario_id, access=system_access())
    typer.echo(f"scenario {scenario_id}: {s.state} (cancel requested)")


@scenarios_app.command("delete")
@friendly
def delete(scenario_id: int) -> None:
    """Discard a scenario and its proposed layer."""
    from gis.scenarios.store import delete_scenario

    with _tx(load_settings()) as conn:
        delete_scenario(conn, scenario_id, access=system_access())
    typer.echo(f"scenario {scenario_id} deleted")


@scenarios_app.command("adopt")
@friendly
def adopt(scenario_id: int) -> None:
    """Make a scenario the unified layer (one transaction; refused when stale)."""
    from gis.scenarios.adopt import adopt as adopt_scenario

    settings = load_settings()
    with _tx(settings) as conn:
        s = adopt_scenario(conn, scenario_id, settings, access=system_access())
    result = s.adoption or {}
    typer.echo(
        f"scenario {scenario_id} adopted: unified layer version {result['unified_version']}, "
        f"old layer kept as {result['history_layer']}"
    )
    for key, value in result["follow_up"].items():
        if isinstance(value, list) and value:
            typer.echo(f"  follow up — {key.replace('_', ' ')}: {len(value)}")


@scenarios_app.command("compare")
@friendly
def compare(
    items: Annotated[list[str], typer.Argument(help="scenario ids and layer codes (2 or more)")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Metrics side by side."""
    from gis.scenarios.compare import compare as run_compare

    settings = load_settings()
    with _tx(settings) as conn:
        result = run_compare(conn, items, settings, access=system_access())
    if as_json:
        _echo_json(result)
        return
    rows = [
        ("grids", "grid_count", "{:,}"),
        ("workload mean", "workload_mean", "{:,.1f}"),
        ("CV", "workload_cv", "{:.3f}"),
        ("min", "workload_min", "{:,.0f}"),
        ("max", "workload_max", "{:,.0f}"),
        ("in band", "share_in_band", "{:.1%}"),
        ("Polsby–Popper", "polsby_popper_mean", "{:.3f}"),
        ("crossing communities", "grids_crossing_communities", "{:,}"),
        ("units moved", "units_moved", "{:,}"),
    ]
    typer.echo(result["basis_label"])
    typer.echo(f"{'':22}" + "".join(f"{m['code']:>16}" for m in result["items"]))
    for label, key, pattern in rows:
        cells = [pattern.format(m[key]) if m.get(key) is not None else "–" for m in result["items"]]
        typer.echo(f"{label:22}" + "".join(f"{c:>16}" for c in cells))


@scenarios_app.command("crosswalk")
@friendly
def crosswalk(
    scenario_id: int,
    out: Annotated[Path, typer.Option(help="a .csv or .xlsx file")],
) -> None:
    """Write the 多网合一 crosswalk and print the county figures."""
    from gis.scenarios import crosswalk as xw

    if out.suffix.lower() not in (".csv", ".xlsx"):
        raise Invalid(
            f"--out 须以 .csv 或 .xlsx 结尾；收到 {out.name!r} ("
            f"--out must end in .csv or .xlsx; got {out.name!r})"
        )
    with _tx(load_settings()) as conn:
        report = xw.crosswalk(conn, scenario_id, access=system_access())
    if out.suffix.lower() == ".csv":
        out.write_text(xw.crosswalk_csv(report["rows"]), encoding="utf-8")
    else:
        out.write_bytes(xw.crosswalk_xlsx(report))
    f = report["figures"]
    typer.echo(
        f"grids before {f['before']['grids']:,} → after {f['after']['grids']:,}; households per "
        f"grid {f['before']['households_per_grid']} → {f['after']['households_per_grid']}; "
        f"wrote {len(report['rows']):,} rows to {out}"
    )
