"""The raw counts behind a grid worker's monthly score, for many workers in one PostGIS query.

Everything is counted in the worker's own grid (their user's grid scope) over one month in China
time, from data Gridmap already holds — nothing the worker types in about themselves:

============  ===========================================================================
measure       counted from
============  ===========================================================================
time in grid  the patrol tracks (:func:`gis.patrols.figures.raw_days_sql`, the same rule as
              the /field figures): days rolled up from ``patrol_day``, others from the points
buildings     the grid's buildings (by their base unit) that a track point of the month passed
              within ``GRIDMAP_TRACK_PASS_METRES`` (the day's ``building_ids`` once rolled up;
              for the other days, from each building to the worker's points of those days —
              a grid's few buildings, not every point, search) or that the worker checked in at
found         the grid's incidents reported in the month (merged reports left out): found by
              the worker when their user name recorded the report (``incident_transition``),
              or, for incidents with no recorded history (imports, the sample city), when the
              reporter was a grid worker
on time       the grid's incidents whose handling deadline (``due_at``) fell in the month and
              has passed: handled by the deadline or not
satisfied     the grid's incidents evaluated (closed) in the month: satisfied closings, all
              closings, and how often they were sent back (重新打开) before closing — a
              "closed but not solved" incident costs its worker
needs         the grid's needs (三张清单) due in the month (and by now), not cancelled: done
              by their due day (an order done by the end of that day) or not
============  ===========================================================================
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis.chinatime import CHINA
from gis.infra.settings import TrackSettings
from gis.patrols.figures import SPANS, china_midnight, raw_days_sql, raw_spans

WORKERS_SQL = """
SELECT u.id AS user_id, u.username, g.id AS grid_id, g.geom
FROM app_user u JOIN grid_layer l ON l.code = u.scope_layer
JOIN grid g ON g.layer_id = l.id AND g.code = u.scope_code
WHERE u.id = ANY(:ids) AND u.role = 'field_worker' AND u.scope_level = 'grid'
"""

IN_MONTH = "{col} >= :start AND {col} < :stop"

MEASURES_SQL = f"""
WITH w AS ({WORKERS_SQL}),
raw AS ({raw_days_sql("p.user_id = ANY(:ids)", buildings=False, spheroid=False, spans=True)}),
tdays AS (
    SELECT user_id, seconds_tracked, seconds_in_grid, building_ids FROM raw
    UNION ALL
    SELECT d.user_id, d.seconds_tracked, d.seconds_in_grid, d.building_ids FROM patrol_day d
    WHERE d.user_id = ANY(:ids) AND d.day = ANY(:rolled)
), t AS (
    SELECT user_id, sum(seconds_tracked) AS tracked, sum(seconds_in_grid) AS in_grid
    FROM tdays GROUP BY user_id
), passed AS (
    SELECT DISTINCT user_id, unnest(building_ids) AS id FROM tdays
), gb AS (
    SELECT w.user_id, b.id, b.geom,
           :pass * 1.01 / (111320 * cos(radians(ST_Y(ST_PointOnSurface(b.geom))))) AS dx
    FROM w JOIN grid_unit gu ON gu.grid_id = w.grid_id
    JOIN building b ON b.base_unit_id = gu.unit_id
), bld AS (
    SELECT gb.user_id, count(*) AS buildings,
      count(*) FILTER (WHERE EXISTS (
          SELECT 1 FROM check_in c WHERE c.user_id = gb.user_id AND c.building_id = gb.id
             AND {IN_MONTH.format(col="c.at")})
        OR EXISTS (SELECT 1 FROM passed WHERE passed.user_id = gb.user_id
                   AND passed.id = gb.id)
        OR EXISTS (
          SELECT 1 FROM track_point t JOIN patrol p ON p.id = t.patrol_id
          {SPANS}
          WHERE p.user_id = gb.user_id
            AND t.geom && ST_Expand(gb.geom, gb.dx, :pass * 1.01 / 110574)
            AND ST_DWithin(gb.geom::geography, t.geom::geography, :pass, false))) AS visited
    FROM gb GROUP BY gb.user_id
), inc AS (
    SELECT w.user_id,
      count(*) FILTER (WHERE {IN_MONTH.format(col="i.reported_at")}) AS reported,
      count(*) FILTER (WHERE {IN_MONTH.format(col="i.reported_at")} AND (
          EXISTS (SELECT 1 FROM incident_transition it WHERE it.incident_id = i.id
                  AND it.action = 'report' AND it.actor = w.username)
          OR (i.reporter_kind = 'grid_worker' AND NOT EXISTS (
                  SELECT 1 FROM incident_transition it
                  WHERE it.incident_id = i.id AND it.action = 'report')))) AS found,
      count(*) FILTER (WHERE i.due_at >= :start AND i.due_at < least(:stop, :now)) AS due,
      count(*) FILTER (WHERE i.due_at >= :start AND i.due_at < least(:stop, :now)
                       AND i.handled_at <= i.due_at) AS on_time,
      count(*) FILTER (WHERE {IN_MONTH.format(col="i.evaluated_at")}) AS closings,
      count(*) FILTER (WHERE {IN_MONTH.format(col="i.evaluated_at")} AND i.satisfied)
        AS satisfied,
      coalesce(sum(i.send_backs) FILTER (WHERE {IN_MONTH.format(col="i.evaluated_at")}), 0)
        AS reopened
    FROM w JOIN incident i ON i.grid_id = w.grid_id AND i.merged_into_id IS NULL
    WHERE i.reported_at < :stop
    GROUP BY w.user_id
), nd AS (
    SELECT w.user_id, count(*) AS due,
      count(*) FILTER (WHERE EXISTS (
          SELECT 1 FROM need_order o WHERE o.need_id = n.id AND o.state = 'done'
             AND o.done_at < (n.due_on + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')) AS served
    FROM w JOIN need n ON n.grid_id = w.grid_id
    WHERE n.due_on BETWEEN :first AND :due_by AND n.status <> 'cancelled'
    GROUP BY w.user_id
)
SELECT w.user_id,
       coalesce(t.tracked, 0)::float8 AS tracked, coalesce(t.in_grid, 0)::float8 AS in_grid,
       coalesce(bld.buildings, 0) AS buildings, coalesce(bld.visited, 0) AS visited,
       coalesce(inc.reported, 0) AS reported, coalesce(inc.found, 0) AS found,
       coalesce(inc.due, 0) AS due, coalesce(inc.on_time, 0) AS on_time,
       coalesce(inc.closings, 0) AS closings, coalesce(inc.satisfied, 0) AS satisfied,
       coalesce(inc.reopened, 0)::int AS reopened,
       coalesce(nd.due, 0) AS needs_due, coalesce(nd.served, 0) AS needs_served
FROM w LEFT JOIN t USING (user_id) LEFT JOIN bld USING (user_id) LEFT JOIN inc USING (user_id)
LEFT JOIN nd USING (user_id)
"""


@dataclass(frozen=True)
class Counts:
    """One worker's counts for one month (see the module doc for what each one counts)."""

    user_id: int
    tracked: float  # seconds of patrol tracked
    in_grid: float  # … of which in the worker's own grid
    buildings: int  # buildings of the grid
    visited: int  # … passed or checked in at
    reported: int  # incidents of the grid reported in the month
    found: int  # … by the worker
    due: int  # incidents of the grid due in the month (deadline passed)
    on_time: int  # … handled by the deadline
    closings: int  # incidents of the grid evaluated (closed) in the month
    satisfied: int  # … satisfied
    reopened: int  # times those were sent back (re-opened) before closing
    needs_due: int  # needs of the grid due in the month
    needs_served: int  # … done by their due day


def month_counts(
    conn: Connection,
    user_ids: list[int],
    first: dt.date,
    last: dt.date,
    *,
    tracks: TrackSettings,
    now: dt.datetime,
) -> dict[int, Counts]:
    """Counts per worker (user id) for the month ``first``–``last``; the caller has checked
    that the caller may see these workers."""
    if not user_ids:
        return {}
    # A need is judged once its due day is over; a deadline (due_at) once it has passed.
    due_by = min(last, now.astimezone(CHINA).date() - dt.timedelta(days=1))
    params = {
        "ids": user_ids,
        "first": first,
        "last": last,
        "due_by": due_by,
        "start": china_midnight(first),
        "stop": china_midnight(last + dt.timedelta(days=1)),
        "now": now,
        "gap": tracks.gap_minutes * 60,
        "pass": tracks.pass_metres,
        "speed": tracks.max_speed_kmh / 3.6,
    } | raw_spans(conn, first, last)
    # JIT is off on every Gridmap connection (gis/infra/db.py: compiling this plan cost 7.5 s
    # against 0.4 s of work). Once psycopg prepares the statement (5th run), PostgreSQL may
    # switch to a generic plan that knows neither the workers nor the month (0.3 s → 0.7 s and
    # worse): custom plans, for this transaction.
    conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    # A street's month is ~2 million points sorted per patrol by time: with the default 4 MB
    # the sorts spill to disk (124 s for 106 workers; 26 s with 64 MB, bench/assessment.py).
    conn.execute(text("SET LOCAL work_mem = '64MB'"))
    rows = conn.execute(text(MEASURES_SQL), params).mappings().all()
    return {int(r["user_id"]): Counts(**r) for r in rows}
