"""The nightly roll-up: each worker's figures of a China day, computed once in PostGIS from the
raw points and kept in ``patrol_day`` (time tracked and in the own grid, distance, buildings
passed — with their ids, so a month counts each building once — jumps, check-ins, key places).

Why: a county's month is ~20,000 points per worker; read raw, a street's ranking took 19.4 s
(bench/assessment.py). Rolled up it is ~30 rows per worker. A day listed in ``patrol_rollup``
is read from ``patrol_day`` by every figure (:func:`gis.patrols.figures.raw_spans`); any other
day (today, a day not rolled up yet) from the raw points, with the same SQL — so the numbers
are the same both ways.

- Idempotent: rolling a day up again replaces its rows (``gridmap field rollup --day D``).
- A late upload (points of a day already rolled up) re-rolls that worker's day at once
  (:func:`reroll_late`, called by the upload), so nothing waits for the next night.
- Retention (:mod:`gis.patrols.retention`) rolls days up (``prune=True``) before it deletes
  their points; a row so made is marked ``pruned_at``. Such a row is never replaced (its raw
  points are gone): points that arrive later for a pruned day are added to it at the next
  prune.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis.access import Access
from gis.chinatime import CHINA
from gis.errors import Forbidden, Invalid
from gis.infra.settings import TrackSettings
from gis.patrols.figures import china_midnight, raw_days_sql

COLUMNS = (
    "user_id, day, grid_id, points, seconds_tracked, seconds_in_grid, metres, buildings_passed, "
    "building_ids, jumps, check_ins, key_places, rolled_at, pruned_at"
)
ADD_TO_PRUNED = """
    points = patrol_day.points + excluded.points,
    seconds_tracked = patrol_day.seconds_tracked + excluded.seconds_tracked,
    seconds_in_grid = patrol_day.seconds_in_grid + excluded.seconds_in_grid,
    metres = patrol_day.metres + excluded.metres,
    jumps = patrol_day.jumps + excluded.jumps,
    building_ids = ARRAY(SELECT DISTINCT unnest(patrol_day.building_ids || excluded.building_ids)
                         ORDER BY 1),
    buildings_passed = cardinality(ARRAY(SELECT DISTINCT unnest(
        patrol_day.building_ids || excluded.building_ids))),
    check_ins = excluded.check_ins, key_places = excluded.key_places,
    rolled_at = excluded.rolled_at, pruned_at = excluded.pruned_at
"""


def _rollup_sql(users: bool, prune: bool) -> str:
    who = "p.user_id = ANY(:users)" if users else "true"
    who_c = "c.user_id = ANY(:users)" if users else "true"
    return f"""
WITH raw AS ({raw_days_sql(who)}),
checks AS (
    SELECT c.user_id, (c.at AT TIME ZONE 'Asia/Shanghai')::date AS day,
           max(c.grid_id) AS grid_id, count(*) AS check_ins,
           count(*) FILTER (WHERE c.kind = 'key_place') AS key_places
    FROM check_in c WHERE {who_c} AND c.at >= :start AND c.at < :stop GROUP BY 1, 2
)
INSERT INTO patrol_day ({COLUMNS})
SELECT user_id, day, coalesce(r.grid_id, c.grid_id), coalesce(r.points, 0),
       coalesce(r.seconds_tracked, 0), coalesce(r.seconds_in_grid, 0), coalesce(r.metres, 0),
       coalesce(r.buildings_passed, 0),
       coalesce(r.building_ids, '{{}}'),
       coalesce(r.jumps, 0), coalesce(c.check_ins, 0), coalesce(c.key_places, 0),
       :now, {":now" if prune else "NULL"}
FROM raw r FULL JOIN checks c USING (user_id, day)
ON CONFLICT (user_id, day) DO {"UPDATE SET " + ADD_TO_PRUNED if prune else "NOTHING"}
"""


#: Points per statement of the roll-up of every worker (~1,000 workers' day): what 64 MB of
#: sorts hold (bench/patrols.py).
BATCH_POINTS = 1_000_000
#: The workers with points or check-ins in the days, and their points.
WORKERS = """
SELECT user_id, sum(n) AS n FROM (
    SELECT p.user_id, count(*) AS n FROM track_point t JOIN patrol p ON p.id = t.patrol_id
    WHERE t.at >= :start AND t.at < :stop GROUP BY p.user_id
    UNION ALL
    SELECT user_id, 0 FROM check_in WHERE at >= :start AND at < :stop
) counted GROUP BY user_id ORDER BY user_id
"""


def _batches(conn: Connection, params: dict[str, object], *, budget: int) -> list[list[int]]:
    """The workers of the days in batches of at most ``budget`` points (a worker with more is
    a batch alone)."""
    batches: list[list[int]] = [[]]
    points = 0
    for user_id, n in conn.execute(text(WORKERS), params).tuples():
        if batches[-1] and points + n > budget:
            batches.append([])
            points = 0
        batches[-1].append(user_id)
        points += n
    return [batch for batch in batches if batch]


@dataclass(frozen=True)
class RollupResult:
    first: dt.date
    last: dt.date
    rows: int  # worker-days written


def roll_up(
    conn: Connection,
    first: dt.date,
    last: dt.date,
    *,
    tracks: TrackSettings,
    now: dt.datetime,
    users: list[int] | None = None,
    prune: bool = False,
    batch_points: int = BATCH_POINTS,
) -> RollupResult:
    """Roll the days ``first``–``last`` up (for every worker, or for ``users`` only), replacing
    rows rolled up before; for every worker, the days are then listed as rolled up. Callers
    check access (:func:`rollup_days`, the upload, retention).

    Every worker's days go in batches of workers of about ``batch_points`` points each (one
    statement per batch, in the caller's transaction): a statement's sorts and windows then
    stay in memory whatever the number of workers, so the time grows with the points."""
    bounds = {"first": first, "last": last, "users": users or []}
    who = " AND user_id = ANY(:users)" if users is not None else ""
    conn.execute(
        text(
            "DELETE FROM patrol_day WHERE day BETWEEN :first AND :last AND pruned_at IS NULL" + who
        ),
        bounds,
    )
    # The same sorts as the ranking's (see gis.assessment.measures): 64 MB keeps them in memory.
    conn.execute(text("SET LOCAL work_mem = '64MB'"))
    params = bounds | {
        "start": china_midnight(first),
        "stop": china_midnight(last + dt.timedelta(days=1)),
        "gap": tracks.gap_minutes * 60,
        "pass": tracks.pass_metres,
        "speed": tracks.max_speed_kmh / 3.6,
        "now": now,
    }
    if users is not None:
        rows = conn.execute(text(_rollup_sql(True, prune)), params).rowcount
    else:
        sql = text(_rollup_sql(True, prune))
        rows = sum(
            conn.execute(sql, params | {"users": batch}).rowcount
            for batch in _batches(conn, params, budget=batch_points)
        )
    if users is None:
        conn.execute(
            text(
                "INSERT INTO patrol_rollup (day, rolled_at) "
                "SELECT d::date, :now FROM generate_series(CAST(:first AS date), "
                "CAST(:last AS date), interval '1 day') AS d "
                "ON CONFLICT (day) DO UPDATE SET rolled_at = excluded.rolled_at"
            ),
            {"first": first, "last": last, "now": now},
        )
    return RollupResult(first, last, rows)


def last_rolled_day(conn: Connection) -> dt.date | None:
    found = conn.execute(text("SELECT max(day) FROM patrol_rollup")).scalar()
    return None if found is None else dt.date.fromisoformat(str(found))


def rollup_days(
    conn: Connection,
    *,
    access: Access,
    tracks: TrackSettings,
    now: dt.datetime,
    day: dt.date | None = None,
    since: dt.date | None = None,
) -> RollupResult | None:
    """The nightly command: ``day`` alone, or ``since`` up to yesterday, or (neither) every day
    after the last one rolled up (from the oldest raw point the first time) up to yesterday.
    Today is never rolled up — it is still being walked. None when there is nothing to do."""
    if not access.is_system and not access.scope.is_everything:
        raise Forbidden("只有全市范围可以汇总轨迹 (only a city-wide access rolls tracks up)")
    yesterday = now.astimezone(CHINA).date() - dt.timedelta(days=1)
    if day is not None and since is not None:
        raise Invalid("--day 与 --since 只能给一个 (give --day or --since, not both)")
    first = day or since
    if first is None:
        last_done = last_rolled_day(conn)
        if last_done is not None:
            first = last_done + dt.timedelta(days=1)
        else:
            oldest = conn.execute(text("SELECT min(at) FROM track_point")).scalar()
            if oldest is None:
                return None
            first = oldest.astimezone(CHINA).date()
    last = day or yesterday
    if last > yesterday:
        raise Invalid(
            f"{last} 还没有过完，只能汇总昨天及以前 (only days up to yesterday, {yesterday})",
            day=str(last),
        )
    if first > last:
        return None
    return roll_up(conn, first, last, tracks=tracks, now=now)


def reroll_late(
    conn: Connection,
    user_id: int,
    days: Iterable[dt.date],
    *,
    tracks: TrackSettings,
    now: dt.datetime,
) -> list[dt.date]:
    """Re-roll the worker's days that were already rolled up (a late upload): the rows are
    replaced at once, so the figures never miss points. Returns the days re-rolled."""
    late = sorted(
        conn.execute(
            text("SELECT day FROM patrol_rollup WHERE day = ANY(:days)"), {"days": sorted(days)}
        ).scalars()
    )
    for day in late:
        roll_up(conn, day, day, tracks=tracks, now=now, users=[user_id])
    return late
