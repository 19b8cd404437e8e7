"""Figures from the tracks, in PostGIS: time in one's own grid (the 60 % rule), distance walked,
buildings passed, check-ins — per worker per day, week or month.

Time is measured on consecutive point pairs of one patrol (ordered by time): the time between
two points is *tracked* when they are at most ``GRIDMAP_TRACK_GAP_MINUTES`` apart (a longer gap
is a phone that lost its fix or was put away, and counts neither way), and *in the grid* when
both points lie in the worker's grid (the grid of the patrol, ``ST_Covers``). The share is time
in the grid over tracked time; the rule asks for 60 % or more. Distance is the geography length
of the same pairs (metres on the ellipsoid). A pair faster than ``GRIDMAP_TRACK_MAX_SPEED_KMH``
(120 km/h) is a jump — a bad fix, or a ride — and counts neither as time nor as distance (the
figures say how many ``jumps`` were left out). A building is *passed* when a point of the day
comes within ``GRIDMAP_TRACK_PASS_METRES`` of it (distinct buildings per day; on the sphere,
which differs from the ellipsoid by under 0.5 % and is cheaper: bench/patrols.py; the box that the
GiST index searches first is that many metres in degrees at the points' latitude, +1 %; points
are searched in chunks of :data:`CHUNK`).

Days rolled up (:mod:`gis.patrols.rollup`, nightly; and before pruning,
:mod:`gis.patrols.retention`) come from ``patrol_day``; the others (today, a day not rolled up
yet) from the raw points.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import Connection, text

from gis.access import Access
from gis.chinatime import CHINA
from gis.errors import Invalid
from gis.infra.settings import TrackSettings
from gis.patrols.common import shown_name, viewable_worker

Period = Literal["day", "week", "month"]
RULE_SHARE = 0.6
#: Points per building search: consecutive points of a patrol (~10 minutes at the phone's
#: rate) are searched together — one index probe for the chunk's box, then one exact test of
#: each building found against the chunk's points — instead of one probe per point, which was
#: ~70 % of the nightly roll-up (bench/README.md). Same answer: a building is within
#: ``:pass`` of the chunk exactly when it is within ``:pass`` of one of its points.
CHUNK = 20
PASSED_SQL = f"""
    SELECT ch.user_id, ch.day, count(DISTINCT b.id) AS buildings,
           array_agg(DISTINCT b.id) AS building_ids
    FROM (
        SELECT user_id, day, ST_Collect(geom) AS geom,
               :pass * 1.01 / (111320 * cos(radians(max(abs(ST_Y(geom)))))) AS dx
        FROM pts GROUP BY user_id, day, patrol_id, rn / {CHUNK}
    ) ch JOIN building b
      ON b.geom && ST_Expand(ch.geom, ch.dx, :pass * 1.01 / 110574)
     AND ST_DWithin(b.geom::geography, ch.geom::geography, :pass, false)
    GROUP BY ch.user_id, ch.day
"""


NO_PASSED = "SELECT user_id, day, 0 AS buildings, '{}'::int[] AS building_ids FROM pts WHERE false"
#: The raw points of the days not rolled up (:func:`raw_spans`): China-midnight bounds.
SPANS = (
    "JOIN unnest(CAST(:span_starts AS timestamptz[]), CAST(:span_stops AS timestamptz[])) "
    "AS span(a, b) ON t.at >= span.a AND t.at < span.b"
)


def raw_days_sql(
    who: str, *, buildings: bool = True, spheroid: bool = True, spans: bool = False
) -> str:
    """Per (worker, China day) figures of the raw points between ``:start`` and ``:stop`` (or,
    with ``spans``, in the spans ``:span_starts``/``:span_stops`` of :func:`raw_spans`) for
    the patrols selected by ``who`` (a condition on ``p``, the patrol). Without ``buildings``
    the costly buildings-passed search is left out (``buildings_passed`` is 0). Without
    ``spheroid`` distances are on the sphere (under 0.5 % off, about 3× cheaper): enough to
    tell a jump, for a caller that does not report the metres."""
    passed = PASSED_SQL if buildings else NO_PASSED
    # On the ellipsoid, ST_DistanceSpheroid of the geometries: the geography distance's value
    # (to 1e-11) at half its cost, no cast (bench/README.md).
    metres = (
        "ST_DistanceSpheroid(prev_geom, geom)"
        if spheroid
        else "ST_Distance(prev_geom::geography, geom::geography, false)"
    )
    join, when = (SPANS, "") if spans else ("", " AND t.at >= :start AND t.at < :stop")
    return f"""
WITH located AS MATERIALIZED (
    SELECT p.user_id, p.grid_id, t.patrol_id, t.seq, t.at, t.geom,
           coalesce(ST_Covers(g.geom, t.geom), false) AS inside
    FROM track_point t JOIN patrol p ON p.id = t.patrol_id LEFT JOIN grid g ON g.id = p.grid_id
    {join}
    WHERE {who}{when}
), pts AS (
    SELECT user_id, grid_id, patrol_id, at, geom, inside,
           (at AT TIME ZONE 'Asia/Shanghai')::date AS day, row_number() OVER w AS rn,
           lag(at) OVER w AS prev_at, lag(geom) OVER w AS prev_geom,
           lag(inside) OVER w AS prev_inside
    FROM located
    WINDOW w AS (PARTITION BY patrol_id ORDER BY at, seq)
), pairs AS (
    SELECT user_id, day, extract(epoch FROM at - prev_at) AS secs,
           inside AND prev_inside AS inside,
           {metres} AS metres
    FROM pts
    WHERE prev_at IS NOT NULL AND at - prev_at <= make_interval(secs => :gap)
), counted AS (
    SELECT user_id, day,
           coalesce(sum(secs) FILTER (WHERE NOT jump), 0) AS seconds_tracked,
           coalesce(sum(secs) FILTER (WHERE inside AND NOT jump), 0) AS seconds_in_grid,
           coalesce(sum(metres) FILTER (WHERE NOT jump), 0) AS metres,
           count(*) FILTER (WHERE jump) AS jumps
    FROM (SELECT *, metres > :speed * secs AS jump FROM pairs) judged GROUP BY user_id, day
), npts AS (
    SELECT user_id, day, count(*) AS points, max(grid_id) AS grid_id
    FROM pts GROUP BY user_id, day
), passed AS ({passed})
SELECT n.user_id, n.day, n.grid_id, n.points,
       coalesce(c.seconds_tracked, 0)::float8 AS seconds_tracked,
       coalesce(c.seconds_in_grid, 0)::float8 AS seconds_in_grid,
       coalesce(c.metres, 0)::float8 AS metres,
       coalesce(b.buildings, 0) AS buildings_passed,
       coalesce(b.building_ids, '{{}}'::int[]) AS building_ids,
       coalesce(c.jumps, 0) AS jumps
FROM npts n LEFT JOIN counted c USING (user_id, day) LEFT JOIN passed b USING (user_id, day)
"""


FIGURES_SQL = f"""
WITH raw AS ({raw_days_sql("p.user_id = :user_id", spans=True)}),
days AS (
    SELECT day, points, seconds_tracked, seconds_in_grid, metres, buildings_passed, jumps,
           false AS reduced FROM raw
    UNION ALL
    SELECT d.day, d.points, d.seconds_tracked, d.seconds_in_grid, d.metres, d.buildings_passed,
           d.jumps, d.pruned_at IS NOT NULL FROM patrol_day d
    WHERE d.user_id = :user_id AND d.day = ANY(:rolled) AND d.points > 0
), checks AS (
    SELECT (at AT TIME ZONE 'Asia/Shanghai')::date AS day, count(*) AS check_ins,
           count(*) FILTER (WHERE kind = 'key_place') AS key_places
    FROM check_in WHERE user_id = :user_id AND at >= :start AND at < :stop GROUP BY 1
), every_day AS (SELECT day FROM days UNION SELECT day FROM checks)
SELECT e.day, coalesce(d.points, 0) AS points,
       coalesce(d.seconds_tracked, 0) AS seconds_tracked,
       coalesce(d.seconds_in_grid, 0) AS seconds_in_grid, coalesce(d.metres, 0) AS metres,
       coalesce(d.buildings_passed, 0) AS buildings_passed, coalesce(d.jumps, 0) AS jumps,
       coalesce(c.check_ins, 0) AS check_ins, coalesce(c.key_places, 0) AS key_places,
       coalesce(d.reduced, false) AS reduced
FROM every_day e LEFT JOIN days d USING (day) LEFT JOIN checks c USING (day)
ORDER BY e.day
"""

ABSENCE_SQL = """
SELECT coalesce(sum(extract(epoch FROM least(ends_at, :stop) - greatest(starts_at, :start))), 0)
FROM absence WHERE user_id = :user_id AND ends_at > :start AND starts_at < :stop
"""


@dataclass(frozen=True)
class DayFigures:
    day: dt.date | None
    points: int
    seconds_tracked: float
    seconds_in_grid: float
    metres: float
    buildings_passed: int
    check_ins: int
    key_places: int
    reduced: bool = False
    jumps: int = 0  # steps faster than GRIDMAP_TRACK_MAX_SPEED_KMH: not counted

    @property
    def share(self) -> float | None:
        """Time in the grid over tracked time (None when nothing was tracked)."""
        if self.seconds_tracked <= 0:
            return None
        return self.seconds_in_grid / self.seconds_tracked


@dataclass(frozen=True)
class Figures:
    worker: str
    name: str
    grid: str
    layer: str
    period: Period
    first: dt.date
    last: dt.date
    days: list[DayFigures]
    total: DayFigures
    absence_seconds: float
    rule_share: float = RULE_SHARE
    notes: list[str] = field(default_factory=list)

    @property
    def meets_rule(self) -> bool | None:
        share = self.total.share
        return None if share is None else share >= self.rule_share


def period_bounds(period: Period, on: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the day, ISO week (Monday–Sunday) or month holding ``on``."""
    if period == "day":
        return on, on
    if period == "week":
        first = on - dt.timedelta(days=on.weekday())
        return first, first + dt.timedelta(days=6)
    if period == "month":
        first = on.replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        return first, following - dt.timedelta(days=1)
    raise Invalid(f"未知的周期 {period!r}：day、week 或 month (period: day, week or month)")


def china_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=CHINA)


def raw_spans(conn: Connection, first: dt.date, last: dt.date) -> dict[str, object]:
    """Where the figures of ``first``–``last`` are read: the days rolled up
    (``:rolled``, from ``patrol_day``) and the China-midnight spans of the others
    (``:span_starts``/``:span_stops``, from the raw points) — one contiguous span per run of
    days not rolled up, so the raw points are found by the ``(patrol_id, at)`` index."""
    rolled = set(
        conn.execute(
            text("SELECT day FROM patrol_rollup WHERE day BETWEEN :first AND :last"),
            {"first": first, "last": last},
        ).scalars()
    )
    starts: list[dt.datetime] = []
    stops: list[dt.datetime] = []
    day, run = first, None
    while day <= last + dt.timedelta(days=1):
        if day <= last and day not in rolled:
            run = run or day
        elif run is not None:
            starts.append(china_midnight(run))
            stops.append(china_midnight(day))
            run = None
        day += dt.timedelta(days=1)
    return {"rolled": sorted(rolled), "span_starts": starts, "span_stops": stops}


def worker_figures(
    conn: Connection,
    *,
    access: Access,
    tracks: TrackSettings,
    on: dt.date,
    period: Period = "day",
    worker: str | None = None,
) -> Figures:
    """One worker's figures for the period holding ``on`` (their own, or a supervisor's view)."""
    who = viewable_worker(conn, worker, access=access)
    first, last = period_bounds(period, on)
    params = {
        "user_id": who.id,
        "first": first,
        "last": last,
        "start": china_midnight(first),
        "stop": china_midnight(last + dt.timedelta(days=1)),
        "gap": tracks.gap_minutes * 60,
        "pass": tracks.pass_metres,
        "speed": tracks.max_speed_kmh / 3.6,
    } | raw_spans(conn, first, last)
    rows = conn.execute(text(FIGURES_SQL), params).all()
    days = [
        DayFigures(
            r.day,
            r.points,
            r.seconds_tracked,
            r.seconds_in_grid,
            r.metres,
            r.buildings_passed,
            r.check_ins,
            r.key_places,
            r.reduced,
            r.jumps,
        )
        for r in rows
    ]
    total = DayFigures(
        None,
        sum(d.points for d in days),
        sum(d.seconds_tracked for d in days),
        sum(d.seconds_in_grid for d in days),
        sum(d.metres for d in days),
        sum(d.buildings_passed for d in days),
        sum(d.check_ins for d in days),
        sum(d.key_places for d in days),
        any(d.reduced for d in days),
        sum(d.jumps for d in days),
    )
    absent = float(conn.execute(text(ABSENCE_SQL), params).scalar_one())
    return Figures(
        worker=who.username,
        name=shown_name(who, access=access),
        grid=who.grid_code,
        layer=who.layer,
        period=period,
        first=first,
        last=last,
        days=days,
        total=total,
        absence_seconds=absent,
    )
