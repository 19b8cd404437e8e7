"""15-minute coverage with pgRouting on the sample city, against the issue's goals:

- building the walking network from the roads (once per load or road import);
- whole-city coverage of every facility kind (goal ≤ 10 s);
- one new facility's isochrone, 5/10/15 minutes, at random points on the network (goal ≤ 200 ms);
- MCLP for 5 new meal points over the city (goal ≤ 30 s), beside the greedy choice on the same
  coverage matrix: people needing care each brings within 15 minutes.

Needs PostGIS with the sample city loaded (`gridmap load-sample`, which places the sample service
points, or GRIDMAP_DATABASE_URL). Every run is rolled back; nothing is kept.

    python bench/facilities.py [--repeat 20] [--sites 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

from gis.access import Access
from gis.facilities.coverage import coverage
from gis.facilities.isochrone import isochrone_at
from gis.facilities.network import build_network
from gis.facilities.sample import seed_facilities
from gis.facilities.siting import site_facilities
from gis.infra.db import make_engine, resolve_url
from gis.infra.settings import load_settings

SYSTEM = Access.system("system:bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--sites", type=int, default=5)
    args = parser.parse_args()
    engine = make_engine(resolve_url(load_settings()))
    rows: list[tuple[str, str, str, str]] = []
    with engine.connect() as conn, conn.begin() as tx:
        conn.exec_driver_sql("DELETE FROM facility")  # placed afresh (rolled back at the end)
        started = time.perf_counter()
        placed = seed_facilities(conn, access=SYSTEM, prefix="3610")
        rows.append(
            (
                "sample facilities placed",
                f"{placed}",
                f"{time.perf_counter() - started:.2f} s",
                "≤ 3 s",
            )
        )
        net = build_network(conn)
        rows.append(
            (
                "walking network built",
                f"{net.edges:,} edges, {net.nodes:,} nodes, {len(net.islands)} islands",
                f"{net.seconds:.2f} s",
                "–",
            )
        )
        report = coverage(conn, access=SYSTEM)
        shares = ", ".join(
            f"{k.kind} {k.total.share_households:.0%}" for k in report.kinds if k.total.households
        )
        rows.append(
            ("coverage, every kind, whole city", shares, f"{report.seconds:.2f} s", "≤ 10 s")
        )
        points = conn.exec_driver_sql(
            "SELECT ST_X(geom), ST_Y(geom) FROM walk_node "
            f"ORDER BY hashtext(id::text) LIMIT {args.repeat}"
        ).all()
        times = []
        for lon, lat in points:
            start = time.perf_counter()
            isochrone_at(conn, lon, lat, access=SYSTEM)
            times.append(time.perf_counter() - start)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        rows.append(
            (
                f"isochrone 5/10/15 min, {len(times)} new points",
                f"p50 {statistics.median(times) * 1000:.0f} ms",
                f"p95 {p95 * 1000:.0f} ms",
                "≤ 200 ms",
            )
        )
        started = time.perf_counter()
        sited = site_facilities(conn, "meal", access=SYSTEM, sites=args.sites)
        total = time.perf_counter() - started
        rows.append(
            (
                f"MCLP (spopt), {args.sites} meal points",
                f"covers {sited.mclp_covered:,} of {sited.uncovered_care_people:,} uncovered "
                f"care people ({sited.candidates} candidates; matrix {sited.matrix_seconds:.1f} s)",
                f"{sited.mclp_seconds:.2f} s (all {total:.1f} s)",
                "≤ 30 s",
            )
        )
        rows.append(
            (
                f"greedy, {args.sites} meal points",
                f"covers {sited.greedy_covered:,}",
                f"{sited.greedy_seconds:.3f} s",
                "–",
            )
        )
        tx.rollback()
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    header = ("what", "result", "time", "goal")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))  # noqa: T201
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))  # noqa: T201


if __name__ == "__main__":
    main()
