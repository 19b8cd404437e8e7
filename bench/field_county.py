"""A county's month of time-in-grid figures, read from the nightly roll-up (``patrol_day``).

The issue's goal: a month's time-in-grid figures for a county ≤ 5 s. A county here is
``--workers`` field workers (default 1,000: 17,000 workers over a city's ~15 counties) on the
unified grids of the sample city's district with the most grids (several workers share a grid
when there are fewer grids), each with a rolled-up month: 30 ``patrol_day`` rows (time tracked
and in the grid, distance, the ids of ~25 buildings passed of their grid) and the days listed
in ``patrol_rollup``, written directly in SQL — the roll-up itself is timed by
bench/patrols.py. Timed, ``--runs`` times each:

- the county's month table of time in grid: per worker, time tracked, time in the grid, the
  share and whether it meets the 60 % rule (one query over ``patrol_day``);
- the county's 考核 ranking (:func:`gis.assessment.ranking` with a district scope: every
  measure of every worker, time in grid among them, read from the roll-up).

    python bench/field_county.py [--workers 1000] [--runs 5] [--database-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratch_city import sample_city_database  # noqa: E402

from gis.access import Access  # noqa: E402
from gis.assessment import ranking  # noqa: E402
from gis.chinatime import CHINA  # noqa: E402
from gis.infra.db import make_engine  # noqa: E402
from gis.infra.settings import TrackSettings  # noqa: E402
from gis.scope import Scope  # noqa: E402

MONTH = dt.date(2026, 11, 1)
NOW = dt.datetime(2026, 12, 2, 12, tzinfo=CHINA)

WORKERS = """
WITH g AS (
    SELECT g.code, row_number() OVER (ORDER BY g.code) - 1 AS k, count(*) OVER () AS n
    FROM grid g JOIN grid_layer l ON l.id = g.layer_id
    WHERE l.code = 'unified' AND starts_with(g.code, :district)
)
INSERT INTO app_user (username, display_name, password_hash, role, scope_level, scope_code,
                      scope_layer)
SELECT 'county-w' || i, '县测试' || i, 'x', 'field_worker', 'grid', g.code, 'unified'
FROM generate_series(0, :workers - 1) i JOIN g ON g.k = i % g.n
"""
#: A month of rolled-up days per worker: 8 h tracked, 35–85 % of it in the grid (by worker),
#: ~25 of the grid's buildings passed a day.
MONTH_ROWS = """
WITH w AS (
    SELECT u.id AS user_id, g.id AS grid_id, (u.id % 11) / 20.0 + 0.35 AS share,
           ARRAY(SELECT b.id FROM grid_unit gu JOIN building b ON b.base_unit_id = gu.unit_id
                 WHERE gu.grid_id = g.id ORDER BY b.id LIMIT 40) AS blds
    FROM app_user u JOIN grid_layer l ON l.code = u.scope_layer
    JOIN grid g ON g.layer_id = l.id AND g.code = u.scope_code
    WHERE starts_with(u.username, 'county-w')
)
INSERT INTO patrol_day (user_id, day, grid_id, points, seconds_tracked, seconds_in_grid, metres,
                        buildings_passed, building_ids, jumps, check_ins, key_places, rolled_at)
SELECT w.user_id, d::date, w.grid_id, 960, 28770, 28770 * w.share, 6400,
       cardinality(w.blds[(i % 15) + 1:(i % 15) + 25]), w.blds[(i % 15) + 1:(i % 15) + 25],
       0, 2, 1, :now
FROM w CROSS JOIN generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 day')
     WITH ORDINALITY AS days(d, i)
"""
ROLLED = """
INSERT INTO patrol_rollup (day, rolled_at)
SELECT d::date, :now FROM generate_series(CAST(:first AS date), CAST(:last AS date),
                                         interval '1 day') d
"""
#: The county's month table of time in grid (what a county's desk reads): per worker.
TIME_IN_GRID = """
SELECT u.username, sum(d.seconds_tracked) AS tracked, sum(d.seconds_in_grid) AS in_grid,
       sum(d.seconds_in_grid) / nullif(sum(d.seconds_tracked), 0) AS share,
       sum(d.seconds_in_grid) / nullif(sum(d.seconds_tracked), 0) >= 0.6 AS meets_rule
FROM app_user u JOIN grid_layer l ON l.code = u.scope_layer
JOIN grid g ON g.layer_id = l.id AND g.code = u.scope_code
JOIN patrol_day d ON d.user_id = u.id AND d.day BETWEEN :first AND :last
WHERE u.role = 'field_worker' AND u.scope_level = 'grid' AND starts_with(g.code, :district)
GROUP BY u.username
"""


def _timed(runs: int, call) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def run(url: str, workers: int, runs: int) -> None:
    engine = make_engine(url)
    tracks = TrackSettings()
    last = dt.date(2026, 11, 30)
    month = {"first": MONTH, "last": last, "now": NOW}
    with engine.begin() as conn:
        district, grids = conn.execute(
            text(
                "SELECT left(g.code, 6), count(*) FROM grid g JOIN grid_layer l "
                "ON l.id = g.layer_id WHERE l.code = 'unified' GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
            )
        ).one()
        started = time.perf_counter()
        conn.execute(text(WORKERS), {"district": district, "workers": workers})
        rows = conn.execute(text(MONTH_ROWS), month).rowcount
        conn.execute(text(ROLLED), month)
        conn.execute(text("ANALYZE patrol_day; ANALYZE app_user"))
        seeded = time.perf_counter() - started
    print(
        f"(district {district}: {workers} workers on its {grids} unified grids, {rows:,} "
        f"rolled-up worker-days written in {seeded:.1f} s)"
    )
    county = Access.system("system:bench", scope=Scope.district(district))
    with engine.begin() as conn:
        table = conn.execute(text(TIME_IN_GRID), month | {"district": district}).all()
        table_s = _timed(
            runs, lambda: conn.execute(text(TIME_IN_GRID), month | {"district": district}).all()
        )
        board = ranking(conn, access=county, tracks=tracks, month=f"{MONTH:%Y-%m}", now=NOW)
        board_s = _timed(
            runs,
            lambda: ranking(conn, access=county, tracks=tracks, month=f"{MONTH:%Y-%m}", now=NOW),
        )
    meets = sum(1 for r in table if r.meets_rule)
    print("| what | workers | worker-days read | median s | max s | goal |")
    print("|---|---|---|---|---|---|")
    for what, found, times in (
        ("a county's month of time in grid (table)", len(table), table_s),
        ("a county's 考核 ranking for the month", len(board.rows), board_s),
    ):
        print(
            f"| {what} | {found} | {rows:,} | {statistics.median(times):.2f} | "
            f"{max(times):.2f} | ≤ 5 s |"
        )
    print(f"({meets} of {len(table)} workers meet the 60 % rule)")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1000, help="field workers in the county")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    if args.database_url:
        run(args.database_url, args.workers, args.runs)
        return
    with sample_city_database() as url:
        run(url, args.workers, args.runs)


if __name__ == "__main__":
    main()
