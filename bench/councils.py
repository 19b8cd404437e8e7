"""What the councils (议事协商) cost on the sample city: seeding a year of them (the part
`gridmap load-sample` adds, goal ≤ 3 s) and the figures of a county by grid / community / street
(goal ≤ 1 s, as for the needs), p50 and p95.

Runs in one transaction that is rolled back: the engagement data (needs, takers) are seeded
first if missing, then the councils, then the figures are timed; nothing stays.

    python bench/councils.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from gis.access import Access
from gis.chinatime import CHINA
from gis.councils.figures import councils_by_area
from gis.councils.sample import seed_councils
from gis.infra.db import make_engine, resolve_url
from gis.infra.settings import load_settings
from gis.needs.figures import Period
from gis.needs.sample import seed_engagement
from gis.scope import Scope

SYSTEM = Access.system("system:bench")
PREFIX = "3610"
COUNTY = "361002"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    engine = make_engine(resolve_url(load_settings()))
    today = dt.datetime.now(CHINA).date()
    with engine.connect() as conn, conn.begin() as tx:
        started = time.perf_counter()
        needs = seed_engagement(conn, access=SYSTEM, prefix=PREFIX, as_of=today)
        seeded_needs = time.perf_counter() - started
        started = time.perf_counter()
        sample = seed_councils(conn, access=SYSTEM, prefix=PREFIX, as_of=today)
        seeded = time.perf_counter() - started
        print(f"{'step':34} {'rows':>9} {'seconds':>8}")
        print(f"{'needs and takers (already there)' if needs.skipped else 'needs and takers':34} "
              f"{needs.needs:>9,} {seeded_needs:>8.2f}")  # fmt: skip
        print(f"{'councils':34} {sample.councils:>9,} {seeded:>8.2f}")
        rows = sample.parties + sample.steps + sample.assignments + sample.venues
        print(f"{'  + venues, parties, steps, tasks':34} {rows:>9,}")
        county = Access.system("system:bench", scope=Scope.district(COUNTY))
        period = Period(today - dt.timedelta(days=364), today)
        print()
        print(f"{'figures of county ' + COUNTY:34} {'areas':>9} {'p50 ms':>8} {'p95 ms':>8}")
        for by in ("grid", "community", "street"):
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                areas = councils_by_area(conn, by, period, access=county)
                times.append(time.perf_counter() - started)
            times.sort()
            p50 = times[len(times) // 2] * 1000
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))] * 1000
            print(f"{'  by ' + by:34} {len(areas):>9} {p50:>8.1f} {p95:>8.1f}")
        tx.rollback()


if __name__ == "__main__":
    main()
