"""Province scale: generate, load and optimise a Jiangxi-sized package at growing scales.

Every step runs in its own child process, so that each peak (``ru_maxrss`` of that process)
is its own; PostgreSQL's memory is not in it (the server is a separate process). A throwaway
PostGIS cluster is started for the run and destroyed after (or ``GRIDMAP_DATABASE_URL``).

    python bench/province.py                      # scales 0.01 0.05 0.2
    python bench/province.py --scales 0.01 1 --workers 2
    python bench/province.py --step generate --scale 0.05 --out /tmp/p.gpkg   # one step

Goals (issue 18): generate + load ≤ 15 min on 2 cores, ≤ 8 GB; optimise the province into
~176,000 grids (at scale 1) ≤ 60 s with the quality of today.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNIFIED_PER_UNIT = 176_000 / 750_000


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step_generate(args: argparse.Namespace) -> dict:
    sys.path.insert(0, str(ROOT / "data"))
    from provincegen.package import generate, write_package

    started = time.perf_counter()
    frames = generate(scale=args.scale, seed=args.seed)
    write_package(frames, Path(args.out))
    grids = frames["grids"]
    return {
        "units": len(frames["base_units"]),
        "grids": int((grids["layer_code"] == "unified").sum()),
        "seconds": time.perf_counter() - started,
        "peak_mb": peak_mb(),
    }


def step_load(args: argparse.Namespace) -> dict:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from gis.access import Access
    from gis.infra.db import make_engine, migrate
    from gis.loader import load_city

    base = make_url(args.url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS gridmap_province WITH (FORCE)"))
        conn.execute(text("CREATE DATABASE gridmap_province"))
    url = base.set(database="gridmap_province").render_as_string(hide_password=False)
    migrate(url)
    engine = make_engine(url)
    started = time.perf_counter()
    report = load_city(engine, Path(args.out), access=Access.system())
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": seconds, "peak_mb": peak_mb(), "rows": report.rows}


def step_optimise(args: argparse.Namespace) -> dict:
    import pyogrio

    from gis.optimizer import optimize
    from gis.optimizer.graph import from_frame

    frame = pyogrio.read_dataframe(
        args.out, layer="base_units", columns=["code", "community_code", "households"]
    )
    started = time.perf_counter()
    graph = from_frame(
        frame,
        id_column="code",
        workload=frame["households"].to_numpy(float),
        group_column="community_code",
    )
    graph_s = time.perf_counter() - started
    target = max(round(len(frame) * UNIFIED_PER_UNIT), len(graph.group_names))
    plan = optimize(graph, target=target, seed=0, workers=args.workers)
    r = plan.report
    return {
        "graph_s": graph_s,
        "seconds": r.seconds,
        "grids": r.count,
        "cv": r.workload_cv,
        "in_band": r.share_within_25pct_of_mean,
        "connected": r.connected_share,
        "peak_mb": peak_mb(),
    }


STEPS = {"generate": step_generate, "load": step_load, "optimise": step_optimise}


def child(step: str, scale: float, out: Path, url: str, args: argparse.Namespace) -> dict:
    cmd = [
        sys.executable, __file__, "--step", step, "--scale", str(scale), "--out", str(out),
        "--url", url, "--seed", str(args.seed), "--workers", str(args.workers),
    ]  # fmt: skip
    done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[0.01, 0.05, 0.2])
    parser.add_argument("--step", choices=sorted(STEPS))
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--out", default="")
    parser.add_argument("--url", default="")
    parser.add_argument("--seed", type=int, default=36)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-optimise", action="store_true")
    args = parser.parse_args()
    if args.step:
        print(json.dumps(STEPS[args.step](args), default=str))
        return
    run(args)


def run(args: argparse.Namespace) -> None:
    from gis.infra.pgcluster import Cluster

    with tempfile.TemporaryDirectory(prefix="gridmap-province-") as tmp:
        cluster = Cluster(Path(tmp) / "pg", fast=True)
        cluster.start()
        try:
            rows = []
            for scale in args.scales:
                out = Path(tmp) / f"province-{scale}.gpkg"
                gen = child("generate", scale, out, cluster.url(), args)
                load = child("load", scale, out, cluster.url(), args)
                opt = {} if args.skip_optimise else child("optimise", scale, out, "", args)
                rows.append((scale, gen, load, opt))
                print(f"scale {scale}: {gen} {load.get('seconds')} {opt}", file=sys.stderr)
                out.unlink()
        finally:
            cluster.destroy()
    head = (
        f"{'scale':>6} {'units':>8} {'grids':>7} {'gen s':>7} {'gen MB':>7} {'load s':>7} "
        f"{'load MB':>8} {'graph s':>7} {'opt s':>6} {'opt MB':>7} {'grids':>7} {'CV':>6} "
        f"{'±25%':>6} {'conn':>5}"
    )
    print(head)
    for scale, g, ld, o in rows:
        print(
            f"{scale:>6} {g['units']:>8,} {g['grids']:>7,} {g['seconds']:>7.1f} "
            f"{g['peak_mb']:>7,.0f} {ld['seconds']:>7.1f} {ld['peak_mb']:>8,.0f} "
            f"{o.get('graph_s', 0):>7.1f} {o.get('seconds', 0):>6.1f} {o.get('peak_mb', 0):>7,.0f} "
            f"{o.get('grids', 0):>7,} {o.get('cv', 0):>6.3f} {o.get('in_band', 0):>6.1%} "
            f"{o.get('connected', 0):>5.0%}"
        )


if __name__ == "__main__":
    main()
