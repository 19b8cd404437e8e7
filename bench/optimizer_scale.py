"""Province scale: ~176,000 units into ~17,600 grids, in a local process pool and on Dask.

The input is generated (Jiangxi has ~176,000 village/community grids): Voronoi cells of random
points with a denser core, grouped into ~6,300 communities by nearest community seed, workload
log-normal. Prints time and peak memory of each stage, and the plan's metrics.

    python bench/optimizer_scale.py [--units 176000] [--grids 17600] [--dask] [--graph-only]
"""

from __future__ import annotations

import argparse
import resource
import time

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import box

from gis.optimizer import optimize
from gis.optimizer.graph import from_frame


def peak_mb() -> float:
    """Peak resident memory of this process and its (finished) workers, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


def province(units: int, seed: int = 7) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    side = 400_000.0  # metres: a 400 km square, roughly Jiangxi's extent
    dense = rng.normal(side / 2, side / 10, size=(units // 3, 2))
    sparse = rng.random((units - len(dense), 2)) * side
    points = np.clip(np.vstack([dense, sparse]), 1, side - 1)
    frame_box = box(0, 0, side, side)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(points), extend_to=frame_box)
    )
    cells = shapely.set_precision(shapely.intersection(cells, frame_box), 0.01)
    cells = cells[~shapely.is_empty(cells)]
    centroids = shapely.get_coordinates(shapely.centroid(cells))
    seeds = centroids[rng.choice(len(cells), size=max(1, len(cells) // 28), replace=False)]
    community = shapely.STRtree(shapely.points(seeds)).query_nearest(
        shapely.points(centroids), return_distance=False, all_matches=False
    )[1]
    workload = np.round(rng.lognormal(mean=4.4, sigma=0.6, size=len(cells)))
    return gpd.GeoDataFrame(
        {
            "code": [f"U{i:06d}" for i in range(len(cells))],
            "community": [f"C{c:05d}" for c in community],
            "households": workload,
        },
        geometry=cells,
        crs="EPSG:32650",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=176_000)
    parser.add_argument("--grids", type=int, default=17_600)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dask", action="store_true", help="also run on a local Dask cluster")
    parser.add_argument(
        "--graph-only", action="store_true", help="stop after the unit graph (adjacency) is built"
    )
    args = parser.parse_args()

    t0 = time.perf_counter()
    frame = province(args.units)
    t1 = time.perf_counter()
    graph = from_frame(
        frame,
        id_column="code",
        workload=frame["households"].to_numpy(float),
        group_column="community",
    )
    t2 = time.perf_counter()
    print(
        f"generated {len(frame):,} units in {t1 - t0:.1f} s; graph ({len(graph.indices) // 2:,} "
        f"rook edges, {len(graph.group_names):,} communities) in {t2 - t1:.1f} s"
    )
    if args.graph_only:
        return

    rows = []
    plan = optimize(graph, target=args.grids, seed=0, workers=args.workers)
    rows.append((f"process pool ×{args.workers}", plan.report, peak_mb()))
    if args.dask:
        from dask.distributed import LocalCluster

        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True) as cluster:
            dask_plan = optimize(
                graph, target=args.grids, seed=0, scheduler=cluster.scheduler_address
            )
            same = bool((dask_plan.labels == plan.labels).all())
            rows.append((f"dask LocalCluster ×{args.workers}", dask_plan.report, peak_mb()))
        print(f"dask plan identical to the process-pool plan: {same}")

    print(
        f"\n{'scheduler':24} {'units':>8} {'grids':>7} {'CV':>6} {'±25%':>6} {'conn':>5} "
        f"{'cross':>5} {'PP':>5} {'time s':>7} {'peak MB':>8}"
    )
    for name, r, mb in rows:
        print(
            f"{name:24} {r.units:>8,} {r.count:>7,} {r.workload_cv:>6.3f} "
            f"{r.share_within_25pct_of_mean:>6.1%} {r.connected_share:>5.0%} {r.crossings:>5} "
            f"{r.polsby_popper_mean or 0:>5.2f} {r.seconds:>7.1f} {mb:>8,.0f}"
        )
    print(f"\ntotal wall time {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
