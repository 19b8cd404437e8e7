"""考核: one worker's monthly score with its explanation, and a street's ranking, on a month of
generated tracks (``gridmap field sample``'s generator) in the sample city.

The demo street's workers each patrol every working day of November 2026 (8 h, one point every
``--step`` seconds: 30 s is the issue's phone rate, 960 points a day, ~20,000 a month per
worker); then the score of one worker (``gis.assessment.worker_score``: its access check, the
month's counts in one PostGIS query, the explanation) is timed ``--runs`` times, and the ranking
of the whole street (the same query for every worker at once), once — both from the raw points.
Then the month is rolled up (``gridmap field rollup``'s :func:`gis.patrols.rollup.roll_up`, timed)
and both are timed again, read from the roll-up. The issue's goals: one worker's score with its
explanation ≤ 200 ms; a month's time-in-grid figures for a county ≤ 5 s.

    python bench/assessment.py [--step 30] [--runs 20] [--database-url URL [--keep]]
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
from gis.accounts import get_user  # noqa: E402
from gis.accounts.demo import demo_scopes  # noqa: E402
from gis.assessment import ranking, worker_score  # noqa: E402
from gis.chinatime import CHINA  # noqa: E402
from gis.infra.db import make_engine  # noqa: E402
from gis.infra.settings import TrackSettings  # noqa: E402
from gis.patrols.rollup import roll_up  # noqa: E402
from gis.patrols.sample import SampleResult, sample_tracks  # noqa: E402

MONTH = dt.date(2026, 11, 1)
NOW = dt.datetime(2026, 12, 2, 12, tzinfo=CHINA)


def _timed(runs: int, call) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _existing(conn, street: str) -> SampleResult:  # type: ignore[no-untyped-def]
    """The month already generated (``--keep``), counted."""
    row = conn.execute(
        text(
            "SELECT count(DISTINCT u.id), count(DISTINCT p.id), count(*) FROM app_user u "
            "JOIN patrol p ON p.user_id = u.id JOIN track_point t ON t.patrol_id = p.id "
            "WHERE starts_with(u.scope_code, :street) AND p.started_at >= :a AND p.started_at < :b"
        ),
        {"street": street, "a": NOW.replace(month=11, day=1), "b": NOW.replace(day=1)},
    ).one()
    return SampleResult(street, MONTH, MONTH, row[0], 0, row[1], row[2], 0, 0)


def run(url: str, step: int, runs: int, keep: bool = False) -> None:
    engine = make_engine(url)
    tracks = TrackSettings()
    system = Access.system("system:bench")
    with engine.begin() as conn:
        street = demo_scopes(conn)["street"].code
        started = time.perf_counter()
        if keep:
            made = _existing(conn, street)
        else:
            made = sample_tracks(conn, street, MONTH, access=system, now=NOW, step=step)
        generate = time.perf_counter() - started
    timed = _score_and_ranking(engine, tracks, runs)
    with engine.begin() as conn:
        started = time.perf_counter()
        rolled = roll_up(conn, MONTH, MONTH.replace(day=30), tracks=tracks, now=NOW)
        rollup_s = time.perf_counter() - started
    after = _score_and_ranking(engine, tracks, runs)
    points_per_worker = made.points // max(made.workers, 1)
    print(
        f"(street {street}: {made.workers} workers, {made.patrols} patrol days, "
        f"{made.points:,} points {'already there' if keep else 'generated'} in {generate:.1f} s; "
        f"rolled up into {rolled.rows} worker-days in {rollup_s:.1f} s)"
    )
    print("| what | read from | workers | median ms | p95 ms | goal |")
    print("|---|---|---|---|---|---|")
    for source, (one, street_ms, _, board) in (("raw points", timed), ("roll-up", after)):
        print(
            f"| one worker's score + explanation | {source} ({points_per_worker:,} points) | 1 | "
            f"{statistics.median(one):.0f} | {sorted(one)[int(0.95 * (len(one) - 1))]:.0f} | "
            "≤ 200 ms |"
        )
        print(
            f"| the street's ranking (one run) | {source} | {len(board.rows)} | "
            f"{street_ms:.0f} | – | ≤ 5 s (a county's month) |"
        )
    for source, (_, _, found, board) in (("raw", timed), ("roll-up", after)):
        lines = ", ".join(f"{line.measure} {line.points}" for line in found.lines)
        print(f"({source}: score of {found.worker}: {found.score}; lines: {lines})")
        scores = sorted(r.score for r in board.rows if r.score is not None)
        if scores:
            print(
                f"({source}: street scores: min {scores[0]}, median {scores[len(scores) // 2]}, "
                f"max {scores[-1]})"
            )
    engine.dispose()


def _score_and_ranking(engine, tracks, runs):  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(text("ANALYZE track_point; ANALYZE patrol; ANALYZE check_in"))
        worker = conn.execute(
            text("SELECT username FROM app_user WHERE username LIKE 'sample-%' ORDER BY 1 LIMIT 1")
        ).scalar_one()
        me = Access.of(get_user(conn, worker))
        month = f"{MONTH:%Y-%m}"
        found = worker_score(conn, access=me, tracks=tracks, month=month, now=NOW)
        one = _timed(
            runs, lambda: worker_score(conn, access=me, tracks=tracks, month=month, now=NOW)
        )
        street_access = Access.system("system:bench", scope=demo_scopes(conn)["street"])
        started = time.perf_counter()
        board = ranking(conn, access=street_access, tracks=tracks, month=month, now=NOW)
        street_ms = (time.perf_counter() - started) * 1000
    return one, street_ms, found, board


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", type=int, default=30, help="seconds between points")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url")
    parser.add_argument("--keep", action="store_true", help="use the month already generated")
    args = parser.parse_args()
    if args.database_url:
        run(args.database_url, args.step, args.runs, args.keep)
        return
    with sample_city_database() as url:
        run(url, args.step, args.runs)


if __name__ == "__main__":
    main()
