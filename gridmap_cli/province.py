"""``gridmap province …``: a Jiangxi-sized province package, generated on demand.

The generator lives in data/provincegen (next to the sample city's generator in data/generator);
it is not an installed package, so this command finds it beside the source tree (the CLI is
installed editable). Load the result with ``gridmap load-sample --path FILE``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from gis.errors import Invalid
from gridmap_cli.errors import friendly

province_app = typer.Typer(
    help="A province package (江西省: 11 cities, 100 counties) for scale tests.",
    no_args_is_help=True,
)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@province_app.command("generate")
@friendly
def generate(
    out: Annotated[Path, typer.Option("--out", help="GeoPackage to write")],
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same file)")] = 36,
    scale: Annotated[
        float, typer.Option(help="Share of the province's size (1 = ~750,000 base units)")
    ] = 1.0,
) -> None:
    """Generate the province package (seeded; --scale 0.01 takes seconds)."""
    if not 0.001 <= scale <= 4:
        raise Invalid(f"--scale 必须在 0.001 与 4 之间 (--scale must be 0.001–4, got {scale})")
    if not (DATA_DIR / "provincegen").is_dir():
        raise Invalid(f"找不到生成器 {DATA_DIR}/provincegen (generator not found)")
    sys.path.insert(0, str(DATA_DIR))
    from provincegen.package import generate as build
    from provincegen.package import write_package

    started = time.perf_counter()
    frames = build(scale=scale, seed=seed)
    write_package(frames, out)
    counts = ", ".join(f"{k} {len(v):,}" for k, v in frames.items() if k != "metadata")
    typer.echo(f"{out}: {counts} ({time.perf_counter() - started:.1f} s)")


@province_app.command("rollup")
@friendly
def rollup_command(
    by: Annotated[str, typer.Option(help="city, district, street or community")] = "district",
    within: Annotated[str, typer.Option(help="a code prefix, e.g. 3610 (default: all)")] = "",
    layer: Annotated[str, typer.Option(help="grid layer")] = "unified",
    out: Annotated[Path | None, typer.Option(help="write CSV or XLSX (by the suffix)")] = None,
) -> None:
    """The figures the provincial office compares (/province), per area, as a table or a file:
    units, grids, workload CV and share in band, grids per grid worker, incidents and party
    members per grid (incidents of the last 12 months)."""
    import datetime as dt

    from gis.infra.settings import load_settings
    from gis.needs.figures import Period
    from gis.rollups import export_rollup, rollup
    from gridmap_cli.access import system_access
    from gridmap_cli.db import transaction

    settings = load_settings()
    now = dt.datetime.now(dt.UTC)
    with transaction() as conn:
        found = rollup(conn, by, within=within, layer=layer, period=Period.asked(None, None, now),
                       band=(settings.band_low, settings.band_high), access=system_access(),
                       now=now)  # fmt: skip
    if out is not None:
        out.write_bytes(export_rollup(found, out.suffix.lstrip(".").lower()).data)
        typer.echo(f"{out}: {len(found.areas)} areas")
        return
    typer.echo(f"{'code':<12} {'name':<10} {'units':>8} {'grids':>7} {'CV':>6} {'in band':>8} "
               f"{'grids/worker':>12} {'incidents/grid':>14} {'members/grid':>12}")  # fmt: skip
    for a in found.areas:
        typer.echo(
            f"{a.code:<12} {a.name:<10} {a.units:>8,} {a.grids:>7,} {_n(a.workload_cv, 3):>6} "
            f"{_n(a.share_in_band, 3):>8} {_n(a.grids_per_worker, 2):>12} "
            f"{_n(a.incidents_per_grid, 2):>14} {_n(a.members_per_grid, 2):>12}"
        )


def _n(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"
