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
