"""The adjacency rule on the sample city: how a minimum shared boundary changes the plan.

For each minimum (0 = any shared length, as before issue 20's fix), the optimizer merges the
sample city's 5,562 units into 1,292 grids (households as workload, seed 7) and the table says:
workload CV, the lower bound on it (``cv_lower_bound``), share in ±25 %, the heaviest grid over
the mean, and how many grids hold together only through contacts shorter than 1, 3 and 5 m
(counted on the exact graph of every shared length). Run: ``.venv/bin/python bench/min_shared.py``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pyogrio
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from gis.infra.settings import DEFAULT_SAMPLE
from gis.optimizer import optimize
from gis.optimizer.graph import UnitGraph, from_frame


def relying_on_short_contacts(exact: UnitGraph, labels: np.ndarray, metres: float) -> int:
    """Grids that fall apart when contacts shorter than ``metres`` are not counted."""
    i, j, shared = exact.edges()
    keep = (labels[i] == labels[j]) & (shared >= metres)
    n = exact.n
    _, comp = connected_components(
        csr_matrix((np.ones(int(keep.sum())), (i[keep], j[keep])), shape=(n, n)), directed=False
    )
    pieces = np.zeros(labels.max() + 1, dtype=int)
    np.add.at(pieces, labels[np.unique(comp, return_index=True)[1]], 1)
    return int((pieces > 1).sum())


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

    exact = graph(0)
    print(f"sample city: {exact.n:,} units → {args.target:,} grids, seed {args.seed}")
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
        short = [relying_on_short_contacts(exact, labels, m) for m in (1.0, 3.0, 5.0)]
        print(
            f"| {minimum:g} m | {len(g.edges()[0]):,} | {r.workload_cv:.4f} | "
            f"{r.workload_cv_bound:.4f} | {r.above_bound:.0%} | "
            f"{r.share_within_25pct_of_mean:.1%} | {r.heaviest_to_mean:.2f} | "
            f"{short[0]} | {short[1]} | {short[2]} | {seconds:.1f} |"
        )


if __name__ == "__main__":
    main()
