"""The adjacency rule on the sample city: how a minimum shared boundary changes the plan.

For each minimum (0 = any shared length, as before issue 20's fix), the optimizer merges the
sample city's 5,562 units into 1,292 grids (households as workload, seed 7) and the table says:
workload CV, the lower bound on it (``cv_lower_bound``), share in ±25 %, the heaviest grid over
the mean, and how many grids hold together only through contacts shorter than 1, 3 and 5 m
(counted on the graph without the shorter contacts). Run: ``.venv/bin/python bench/min_shared.py``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pyogrio

from gis.infra.settings import DEFAULT_SAMPLE
from gis.optimizer import optimize
from gis.optimizer.graph import UnitGraph, from_frame
from gis.optimizer.metrics import grid_components


def relying_on_short_contacts(strict: UnitGraph, labels: np.ndarray) -> int:
    """Grids in pieces on ``strict``, a graph without the contacts shorter than its minimum."""
    return int((grid_components(strict, labels) > 1).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minimums", default="0,1,3,5")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--target", type=int, default=1292)
    args = parser.parse_args()
    frame = pyogrio.read_dataframe(DEFAULT_SAMPLE, layer="base_units")
    weights = frame["households"].to_numpy(dtype=float)

    def graph(minimum: float) -> UnitGraph:
        return from_frame(
            frame,
            id_column="code",
            workload=weights,
            group_column="community_code",
            min_shared=minimum,
        )

    strict = {m: graph(m) for m in (1.0, 3.0, 5.0)}  # built once, for every row
    print(f"sample city: {strict[1.0].n:,} units → {args.target:,} grids, seed {args.seed}")
    print(
        "| min shared | edges | CV | CV bound | above bound | ±25 % | heaviest/mean | "
        "grids held by < 1 m | < 3 m | < 5 m | seconds |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for minimum in (float(x) for x in args.minimums.split(",")):
        g = graph(minimum)
        started = time.perf_counter()
        plan = optimize(g, target=args.target, seed=args.seed)
        seconds = time.perf_counter() - started
        r = plan.report
        labels = np.asarray(plan.labels)
        short = [relying_on_short_contacts(strict[m], labels) for m in (1.0, 3.0, 5.0)]
        print(
            f"| {minimum:g} m | {len(g.edges()[0]):,} | {r.workload_cv:.4f} | "
            f"{r.workload_cv_bound:.4f} | {r.above_bound:.0%} | "
            f"{r.share_within_25pct_of_mean:.1%} | {r.heaviest_to_mean:.2f} | "
            f"{short[0]} | {short[1]} | {short[2]} | {seconds:.1f} |"
        )


if __name__ == "__main__":
    main()
