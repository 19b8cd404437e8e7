"""How long the needs queries take on the sample city with its engagement data: ranking the
takers of one need (goal ≤ 100 ms p95) and the figures of a county (goal ≤ 1 s), p50 and p95.

The ranking is also timed the naive way — every taker of the whole city scored, then the
need's community kept — the peer the community-first query is there to beat. The naive peer
measures the straight line; ours walks the street network where it is built (`gridmap
walk-network`, as `make demo` does), so the two name the same best taker only where the walk
does not change the order: the table says how many rankings walked.

Needs PostGIS with the sample city loaded (`gridmap load-sample`, which also seeds the needs;
or GRIDMAP_DATABASE_URL), and for the walk, its walking network.

    python bench/needs.py [--needs 100] [--repeat 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from gis.access import Access
from gis.chinatime import CHINA
from gis.infra.db import make_engine, resolve_url
from gis.infra.settings import load_settings
from gis.needs import rank_takers
from gis.needs.figures import Period, hours_given, needs_by_area
from gis.needs.sample import seed_engagement
from gis.scope import Scope

SYSTEM = Access.system("system:bench")
#: The naive peer takes seconds per need (every taker's record read from the orders by a
#: sequential scan): a few of them tell its speed and check that both rank the same.
NAIVE_RUNS = 3


def percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def run(fn: Callable[[Any], Any], inputs: list[Any]) -> tuple[float, float]:
    times = []
    for item in inputs:
        start = time.perf_counter()
        fn(item)
        times.append(time.perf_counter() - start)
    return percentiles(times)


NAIVE = """
WITH cand AS (
    SELECT p.community_id, 'unit' AS kind, pu.id, pu.code, pu.skills, pu.hours_per_month, pu.geom
    FROM unit_pairing p JOIN paired_unit pu ON pu.id = p.unit_id
    UNION ALL SELECT r.community_id, 'member', m.id, m.code, r.skills, r.hours_per_month, m.geom
    FROM member_registration r JOIN party_member m ON m.id = r.member_id
    UNION ALL SELECT community_id, 'team', id, code, skills, hours_per_month, geom
    FROM volunteer_team),
n AS (SELECT * FROM need WHERE code = :code),
scored AS (
    SELECT cand.*, ST_Distance(cand.geom::geography, n.geom::geography) AS d,
           (n.kind = ANY(cand.skills))::int AS skill,
           cand.hours_per_month - coalesce((SELECT sum(coalesce(o.hours_given, nd.hours))
               FROM need_order o JOIN need nd ON nd.id = o.need_id
               WHERE o.state IN ('accepted', 'done') AND o.dispatched_at >= :month
                 AND coalesce(o.unit_id, o.member_id, o.team_id) = cand.id
                 AND o.taker_kind = cand.kind), 0) AS free,
           (SELECT count(*) FILTER (WHERE o.state = 'done') FROM need_order o
            WHERE coalesce(o.unit_id, o.member_id, o.team_id) = cand.id
              AND o.taker_kind = cand.kind) AS done,
           (SELECT count(*) FILTER (WHERE o.state = 'declined') FROM need_order o
            WHERE coalesce(o.unit_id, o.member_id, o.team_id) = cand.id
              AND o.taker_kind = cand.kind) AS declined,
           n.community_id AS need_community, n.hours AS need_hours
    FROM cand, n)
SELECT kind || ':' || code FROM scored WHERE community_id = need_community
ORDER BY 0.4 * skill + 0.25 / (1 + d / 500) + 0.2 * least(greatest(free, 0) / need_hours, 1)
       + 0.15 * (done + 1.0) / (done + declined + 2.0) DESC, d, kind, code LIMIT 1
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--needs", type=int, default=100, help="needs to rank the takers of")
    parser.add_argument("--repeat", type=int, default=10, help="runs of each county figure")
    args = parser.parse_args()
    engine = make_engine(resolve_url(load_settings()))
    now = dt.datetime.now(CHINA)
    with engine.begin() as conn:
        started = time.perf_counter()
        report = seed_engagement(conn, access=SYSTEM, prefix="3610")
        seeded = time.perf_counter() - started
    with engine.connect() as conn:
        counts = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM need), (SELECT count(*) FROM need_order), "
                "(SELECT count(*) FROM member_registration), (SELECT count(*) FROM unit_pairing), "
                "(SELECT count(*) FROM volunteer_team)"
            )
        ).one()
        needs = list(
            conn.execute(
                text("SELECT code FROM need WHERE status = 'open' ORDER BY md5(code) LIMIT :n"),
                {"n": args.needs},
            ).scalars()
        )
        ours = {
            c: rank_takers(conn, c, access=SYSTEM, now=now, limit=1).takers[0].taker
            for c in needs[:NAIVE_RUNS]
        }
        rankings = [rank_takers(conn, c, access=SYSTEM, now=now) for c in needs]
        walked = sum(r.distance_mode == "walk" for r in rankings)
        takers = [t for r in rankings for t in r.takers]
        walked_takers = sum(t.distance_by == "walk" for t in takers) / max(len(takers), 1)
        month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        naive = {
            c: conn.execute(text(NAIVE), {"code": c, "month": month}).scalar_one()
            for c in needs[:NAIVE_RUNS]
        }
        rows = [
            ("rank takers (ours, limit 10)",
             run(lambda c: rank_takers(conn, c, access=SYSTEM, now=now), needs), "≤ 100 ms"),
            ("rank takers (naive, whole city)",
             run(lambda c: conn.execute(text(NAIVE), {"code": c, "month": month}).all(),
                 needs[:NAIVE_RUNS]), ""),
        ]  # fmt: skip
        year = Period(now.date() - dt.timedelta(days=364), now.date())
        county = Access.system("system:bench", scope=Scope.district("361002"))
        for by in ("grid", "community", "street"):
            rows.append((
                f"county figures by {by} (needs + top 500 hours)",
                run(lambda _, by=by: (needs_by_area(conn, by, year, access=county, now=now),
                                      hours_given(conn, by, year, access=county, limit=500)),
                    list(range(args.repeat))),
                "≤ 1 s",
            ))  # fmt: skip
    print(f"seeded in {seeded:.1f} s: {report}")  # noqa: T201
    print(  # noqa: T201
        f"needs {counts[0]:,}, orders {counts[1]:,}, registrations {counts[2]:,}, "
        f"pairings {counts[3]:,}, teams {counts[4]:,}; same best taker as naive: "
        f"{sum(ours[c] == naive[c] for c in ours)}/{len(ours)}"
    )
    print(  # noqa: T201
        f"walking distance (pgRouting) in {walked}/{len(rankings)} rankings, for "
        f"{walked_takers:.0%} of the takers ranked (the rest: straight line, off the network "
        "or on another piece of it)"
    )
    print(f"{'query':52} {'p50 ms':>8} {'p95 ms':>8}  goal")  # noqa: T201
    for name, (p50, p95), goal in rows:
        print(f"{name:52} {p50 * 1000:>8.1f} {p95 * 1000:>8.1f}  {goal}")  # noqa: T201


if __name__ == "__main__":
    main()
