"""A month of generated patrols for the sample city (``gridmap field sample``, run by
``make demo`` only): tracks, check-ins and absences, so that the figures, the score and the map
show something real.

Every unified grid of one street (the demo street by default) gets a field worker — the grid's
own if it has one, else a ``sample-<grid code>`` user who cannot log in (no password). Each
worker patrols every working day (Monday–Friday) of the month up to yesterday, 09:00–17:00,
one point every ``step`` seconds, except one day of training (an absence). Workers alternate
between two habits, by grid code: the odd ones spend about 70 % of the day in their grid, the
even ones about 40 % — the first part of the day going from building to building of the grid
(ten minutes at each, a new round each day), the rest east of the grid's outline. Each day
starts with a check-in at a building.

Everything is generated set-based in SQL and is deterministic (no random draw: positions
follow from the grid, the day and the point's number). A second run replaces the month's
patrols, check-ins and absences of those workers — it is demo data, never for a real city.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis import audit
from gis.access import Access
from gis.chinatime import CHINA
from gis.errors import Forbidden, Invalid
from gis.infra.settings import TrackSettings
from gis.patrols.figures import china_midnight, period_bounds
from gis.patrols.rollup import roll_up

SHARES = (0.7, 0.4)
#: Points a worker stays at one building before walking on.
PER_BUILDING = 5

_USERS = """
INSERT INTO app_user (username, display_name, password_hash, role, scope_level, scope_code,
                      scope_layer)
SELECT 'sample-' || g.code, '示例网格员 ' || right(g.code, 3), '!', 'field_worker', 'grid',
       g.code, 'unified'
FROM grid g JOIN grid_layer l ON l.id = g.layer_id AND l.code = 'unified'
WHERE starts_with(g.code, :street) AND g.community_count = 1
  AND NOT EXISTS (SELECT 1 FROM app_user u WHERE u.role = 'field_worker'
                  AND u.scope_level = 'grid' AND u.scope_layer = 'unified'
                  AND u.scope_code = g.code)
ON CONFLICT (username) DO NOTHING
"""
_WORKERS = """
CREATE TEMP TABLE sample_worker ON COMMIT DROP AS
SELECT DISTINCT ON (g.id) u.id AS user_id, g.id AS grid_id, g.geom,
       ST_XMax(g.geom) AS east, (ST_YMin(g.geom) + ST_YMax(g.geom)) / 2 AS ymid,
       dense_rank() OVER (ORDER BY g.code) AS n
FROM app_user u JOIN grid_layer l ON l.code = u.scope_layer
JOIN grid g ON g.layer_id = l.id AND g.code = u.scope_code
WHERE u.role = 'field_worker' AND u.scope_level = 'grid' AND u.active
  AND starts_with(g.code, :street)
ORDER BY g.id, u.id
"""
_DAYS = """
CREATE TEMP TABLE sample_day ON COMMIT DROP AS
SELECT d::date AS day, row_number() OVER (ORDER BY d) - 1 AS i
FROM generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 day') d
WHERE extract(isodow FROM d) < 6
"""
_BUILDINGS = """
CREATE TEMP TABLE sample_building ON COMMIT DROP AS
SELECT w.user_id, b.id AS building_id, ST_PointOnSurface(b.geom) AS geom,
       row_number() OVER (PARTITION BY w.user_id ORDER BY b.id) - 1 AS pos,
       count(*) OVER (PARTITION BY w.user_id) AS nb
FROM sample_worker w JOIN grid_unit gu ON gu.grid_id = w.grid_id
JOIN building b ON b.base_unit_id = gu.unit_id
WHERE ST_Covers(w.geom, ST_PointOnSurface(b.geom))
"""
_PLAN = """
CREATE TEMP TABLE sample_plan ON COMMIT DROP AS
SELECT w.user_id, w.grid_id, w.n, d.day, d.i,
       (d.day + time '09:00') AT TIME ZONE 'Asia/Shanghai' AS starts,
       d.i = (w.n * 3) % (SELECT count(*) FROM sample_day) AS absent
FROM sample_worker w CROSS JOIN sample_day d
"""
_DROP = "DROP TABLE IF EXISTS sample_worker, sample_day, sample_building, sample_plan"
_CLEAR = [
    "DELETE FROM patrol p USING sample_worker w WHERE p.user_id = w.user_id "
    "AND p.started_at >= :start AND p.started_at < :stop",
    "DELETE FROM check_in c USING sample_worker w WHERE c.user_id = w.user_id "
    "AND c.at >= :start AND c.at < :stop",
    "DELETE FROM absence a USING sample_worker w WHERE a.user_id = w.user_id "
    "AND a.starts_at >= :start AND a.starts_at < :stop",
]
_PATROLS = """
INSERT INTO patrol (user_id, grid_id, state, source, started_at, ended_at)
SELECT user_id, grid_id, 'ended', 'phone', starts, starts + interval '8 hours'
FROM sample_plan WHERE NOT absent
"""
_POINTS = f"""
INSERT INTO track_point (patrol_id, seq, at, accuracy, geom)
SELECT p.id, k, p.started_at + make_interval(secs => k * :step), 8,
       CASE WHEN k < :points * (CASE WHEN w.n % 2 = 1 THEN {SHARES[0]} ELSE {SHARES[1]} END)
            THEN ST_Translate(coalesce(b.geom, ST_PointOnSurface(w.geom)),
                              ((k * 37) % 11 - 5) * 0.00001, ((k * 53) % 11 - 5) * 0.00001)
            ELSE ST_SetSRID(ST_MakePoint(w.east + 0.0015 + (k % 20) * 0.00005,
                                         w.ymid + ((k * 7) % 20 - 10) * 0.00005), 4326)
       END
FROM patrol p JOIN sample_plan s ON s.user_id = p.user_id AND s.starts = p.started_at
JOIN sample_worker w ON w.user_id = p.user_id
CROSS JOIN generate_series(0, :points - 1) k
LEFT JOIN LATERAL (
    SELECT sb.geom FROM sample_building sb
    WHERE sb.user_id = p.user_id AND sb.pos = (s.i * 7 + k / {PER_BUILDING}) % sb.nb
) b ON true
"""
_CHECK_INS = """
INSERT INTO check_in (user_id, grid_id, building_id, kind, at, note, geom)
SELECT s.user_id, s.grid_id, sb.building_id, 'visit', s.starts + interval '2 minutes',
       '示例数据 sample', sb.geom
FROM sample_plan s JOIN sample_building sb ON sb.user_id = s.user_id AND sb.pos = (s.i * 7) % sb.nb
WHERE NOT s.absent
"""
_ABSENCES = """
INSERT INTO absence (user_id, kind, reason, starts_at, ends_at, reported_at)
SELECT user_id, 'training', '区里业务培训（示例数据）', starts, starts + interval '8 hours',
       starts - interval '1 day'
FROM sample_plan WHERE absent
"""


@dataclass(frozen=True)
class SampleResult:
    street: str
    first: dt.date
    last: dt.date
    workers: int
    users_created: int
    patrols: int
    points: int
    check_ins: int
    absences: int


def sample_tracks(
    conn: Connection,
    street: str,
    month: dt.date,
    *,
    access: Access,
    now: dt.datetime,
    step: int = 120,
    tracks: TrackSettings | None = None,
) -> SampleResult:
    """Generate the month holding ``month`` (up to yesterday) for the workers of ``street``;
    ``tracks`` rule the re-roll of days already rolled up (the defaults when None)."""
    if not access.is_system:
        raise Forbidden("示例轨迹只能从命令行生成 (sample tracks are made from the CLI only)")
    if not 30 <= step <= 3600:
        raise Invalid(f"点间隔须在 30 到 3600 秒之间，收到 {step} (step: 30–3600 s)", step=step)
    first, last = period_bounds("month", month)
    last = min(last, now.astimezone(CHINA).date() - dt.timedelta(days=1))
    if last < first:
        raise Invalid(f"{first:%Y-%m} 还没有过去的日子 (no day of {first:%Y-%m} is over yet)")
    params = {
        "street": street,
        "first": first,
        "last": last,
        "start": china_midnight(first),
        "stop": china_midnight(last + dt.timedelta(days=1)),
        "step": step,
        "points": 8 * 3600 // step,
    }
    conn.execute(text(_DROP))  # a run earlier in the same transaction
    created = conn.execute(text(_USERS), params).rowcount
    for sql in (_WORKERS, _DAYS, _BUILDINGS, _PLAN, *_CLEAR):
        conn.execute(text(sql), params)
    workers = int(conn.execute(text("SELECT count(*) FROM sample_worker")).scalar_one())
    if workers == 0:
        raise Invalid(f"街道 {street} 没有统一网格 (street {street} has no unified grid)")
    counts = [
        conn.execute(text(sql), params).rowcount
        for sql in (_PATROLS, _POINTS, _CHECK_INS, _ABSENCES)
    ]
    conn.execute(text(_DROP))
    # Days of the month already rolled up (a second ``make demo``) are rolled up again, or the
    # figures would keep the replaced month (``gridmap field rollup`` does the others).
    rolled = conn.execute(
        text("SELECT min(day), max(day) FROM patrol_rollup WHERE day BETWEEN :first AND :last"),
        params,
    ).one()
    if rolled[0] is not None:
        roll_up(conn, rolled[0], rolled[1], tracks=tracks or TrackSettings(), now=now)
    result = SampleResult(street, first, last, workers, created, *counts)
    audit.record(
        conn,
        access.actor,
        "patrols.sample",
        "street",
        street,
        None,
        {"month": f"{first:%Y-%m}", "workers": workers, "points": counts[1]},
    )
    return result
