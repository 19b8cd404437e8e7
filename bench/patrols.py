"""Patrol tracks: ingest of a day of tracks and the figures computed from them, in PostGIS.

``--workers`` field workers (one per unified grid of the sample city) each walk a working day
(8 h, one point every 30 s = 960 points: a random walk that starts at their grid's centre, so
some time falls outside the grid); the points go in through the bulk path
(:func:`gis.patrols.ingest.ingest`: COPY into a staging table, one set-based insert) ``--group``
workers' days per call, and — for comparison — ``--phone`` workers' days through the phone's
path (:func:`gis.patrols.tracks.store_fixes`, batches of 120 points = one hour, one call
each). Then: one worker's month of figures (the worker's page), the day's figures of every
worker (what a county's month table reads per day), and the nightly roll-up of the day
(:func:`gis.patrols.rollup.roll_up`, writing ``patrol_day``). The issue's goal: 17,000 workers'
day ingested in ≤ 2 min on 2 cores (a county's month: bench/field_county.py). Measured:
bench/README.md ("Patrols: ingest and roll-up"), before and after the per-row foreign key went
(migration 0031), the COPY became binary and the roll-up searched buildings per chunk of points.

    python bench/patrols.py [--workers 300] [--group 100] [--phone 50] [--jobs 2]
                            [--database-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratch_city import sample_city_database  # noqa: E402

from gis.chinatime import CHINA  # noqa: E402
from gis.infra.db import make_engine  # noqa: E402
from gis.infra.settings import TrackSettings  # noqa: E402
from gis.patrols.figures import FIGURES_SQL, china_midnight, raw_days_sql, raw_spans  # noqa: E402
from gis.patrols.ingest import Batch, ingest  # noqa: E402
from gis.patrols.rollup import roll_up  # noqa: E402
from gis.patrols.tracks import Fix, store_fixes  # noqa: E402

DAY = dt.date(2026, 12, 1)
POINTS, STEP_S, BATCH = 960, 30, 120


def _workers(conn, count: int) -> list[tuple[int, int, float, float]]:
    """(user id, grid id, centre lon, lat) of ``count`` bench workers, one per unified grid."""
    grids = conn.execute(
        text(
            "SELECT g.id, g.code, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom)) "
            "FROM grid g JOIN grid_layer l ON l.id = g.layer_id WHERE l.code = 'unified' "
            "ORDER BY g.code LIMIT :n"
        ),
        {"n": count},
    ).all()
    made = []
    for gid, code, lon, lat in grids:
        uid = conn.execute(
            text(
                "INSERT INTO app_user (username, display_name, password_hash, role, scope_level, "
                "scope_code, scope_layer) VALUES (:u, '巡查测试', 'x', 'field_worker', 'grid', "
                ":code, 'unified') RETURNING id"
            ),
            {"u": f"bench-w{gid}", "code": code},
        ).scalar_one()
        made.append((uid, gid, lon, lat))
    return made


def _walk(rng: random.Random, lon: float, lat: float) -> list[Fix]:
    start = dt.datetime.combine(DAY, dt.time(9), tzinfo=CHINA)
    fixes = []
    for i in range(POINTS):
        lon += rng.gauss(0, 0.00012)
        lat += rng.gauss(0, 0.00012)
        fixes.append(Fix(i, start + dt.timedelta(seconds=STEP_S * i), lon, lat, 8.0))
    return fixes


def _patrols(conn, walks) -> list[int]:  # type: ignore[no-untyped-def]
    return [
        conn.execute(
            text(
                "INSERT INTO patrol (user_id, grid_id, state, source, started_at, ended_at) "
                "VALUES (:u, :g, 'ended', 'phone', :s, :e) RETURNING id"
            ),
            {"u": uid, "g": gid, "s": fixes[0].at, "e": fixes[-1].at},
        ).scalar_one()
        for (uid, gid, _, _), fixes in walks
    ]


def run(url: str, count: int, group: int, phone: int, jobs: int = 1, explain: bool = False) -> None:
    engine = make_engine(url)
    tracks = TrackSettings()
    rng = random.Random(7)
    now = dt.datetime.combine(DAY, dt.time(21), tzinfo=CHINA)
    with engine.begin() as conn:
        workers = _workers(conn, count + phone)
    walks = [(w, _walk(rng, w[2], w[3])) for w in workers]
    by_phone, walks = walks[:phone], walks[phone:]
    started = time.perf_counter()
    with engine.begin() as conn:
        for pid, (_, fixes) in zip(_patrols(conn, by_phone), by_phone, strict=True):
            for k in range(0, POINTS, BATCH):
                store_fixes(conn, pid, fixes[k : k + BATCH], tracks, now=now)
    phoned = time.perf_counter() - started

    def one_call(chunk) -> None:  # type: ignore[no-untyped-def]
        with engine.begin() as conn:
            pids = _patrols(conn, chunk)
            batches = [Batch(pid, fixes) for pid, (_, fixes) in zip(pids, chunk, strict=True)]
            ingest(conn, batches, tracks, now=now)

    started = time.perf_counter()
    # ``jobs`` connections at once, as a server's workers would (the database waits release
    # the GIL; the COPY text is built in Python).
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one_call, [walks[k : k + group] for k in range(0, len(walks), group)]))
    ingest_s = time.perf_counter() - started
    print(f"(ingested: phone path {phoned:.1f} s for {phone}, bulk {ingest_s:.1f} s for {count})")
    params = {
        "start": china_midnight(DAY),
        "stop": china_midnight(DAY + dt.timedelta(days=1)),
        "gap": tracks.gap_minutes * 60,
        "pass": tracks.pass_metres,
        "speed": tracks.max_speed_kmh / 3.6,
    }
    with engine.begin() as conn:
        conn.execute(text("ANALYZE track_point; ANALYZE patrol"))
        if explain:
            plan = conn.execute(text("EXPLAIN (ANALYZE) " + raw_days_sql("true")), params)
            print("\n".join(r[0] for r in plan))
        started = time.perf_counter()
        rows = conn.execute(text(raw_days_sql("true")), params).all()
        all_day = time.perf_counter() - started
        month = (
            params
            | {
                "user_id": workers[0][0],
                "first": DAY.replace(day=1),
                "last": DAY.replace(day=31),
                "start": china_midnight(DAY.replace(day=1)),
                "stop": china_midnight(dt.date(2027, 1, 1)),
            }
            | raw_spans(conn, DAY.replace(day=1), DAY.replace(day=31))
        )
        started = time.perf_counter()
        conn.execute(text(FIGURES_SQL), month).all()
        one_month = time.perf_counter() - started
    with engine.begin() as conn:  # the nightly command's work: every worker's day, written
        started = time.perf_counter()
        rolled = roll_up(conn, DAY, DAY, tracks=tracks, now=now).rows
        rollup_s = time.perf_counter() - started
    shares = sorted(r.seconds_in_grid / r.seconds_tracked for r in rows if r.seconds_tracked)
    total = count * POINTS
    print("| what | workers | points | seconds | per 17,000 workers |")
    print("|---|---|---|---|---|")
    if phone:
        print(
            f"| ingest a day, phone batches of {BATCH} (store_fixes) | {phone} | "
            f"{phone * POINTS:,} | {phoned:.1f} | {phoned * 17000 / phone:.0f} s |"
        )
    print(
        f"| ingest a day, bulk ({group} workers a call, {jobs} connections) | {count} | "
        f"{total:,} | {ingest_s:.1f} | "
        f"{ingest_s * 17000 / count:.0f} s |"
    )
    print(
        f"| figures of the day (= nightly roll-up), all | {count} | {total:,} | {all_day:.2f} | "
        f"{all_day * 17000 / count:.0f} s |"
    )
    print(
        f"| nightly roll-up of the day (roll_up, {rolled} worker-days written) | {count + phone} "
        f"| {(count + phone) * POINTS:,} | {rollup_s:.2f} | "
        f"{rollup_s * 17000 / (count + phone):.0f} s |"
    )
    print(f"| one worker's month of figures | 1 | {POINTS:,} | {one_month:.3f} | – |")
    print(f"(median share of time in the own grid: {shares[len(shares) // 2]:.0%})")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=300, help="workers ingested in bulk")
    parser.add_argument("--group", type=int, default=100, help="workers' days per bulk call")
    parser.add_argument("--phone", type=int, default=50, help="workers through phone batches")
    parser.add_argument("--jobs", type=int, default=2, help="connections ingesting at once")
    parser.add_argument("--database-url")
    parser.add_argument("--explain", action="store_true", help="print the figures' query plan")
    args = parser.parse_args()
    if args.database_url:
        run(args.database_url, args.workers, args.group, args.phone, args.jobs, args.explain)
        return
    with sample_city_database() as url:
        run(url, args.workers, args.group, args.phone, args.jobs, args.explain)


if __name__ == "__main__":
    main()
