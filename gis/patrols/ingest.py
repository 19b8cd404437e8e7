"""Track points into PostGIS in bulk: COPY into a staging table, then one set-based insert.

17,000 workers × 960 points a day is 16.3 million points; the issue asks for them in ≤ 2 min on
2 cores. Per point, Python does nothing but write one line of COPY text; PostgreSQL then keeps
the points inside working hours (China time) and skips those already stored (``ON CONFLICT
(patrol_id, seq) DO NOTHING``: a batch sent twice, or the same point twice in one batch, is
stored once) — in one statement for any number of batches and patrols. The phone's batch
(:func:`gis.patrols.tracks.store_fixes`) and a GPX import go the same way.

What this does not judge, and where it is judged: impossible values (out of range, future, bad
accuracy) are refused before, with the point named (:func:`gis.patrols.tracks.check_fixes`);
jumps faster than a car and points out of order are judged when the figures are computed
(:mod:`gis.patrols.figures`: pairs in time order, a jump counts neither way), so no order or
speed is assumed here.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis.chinatime import CHINA
from gis.infra.settings import TrackSettings
from gis.patrols.rollup import reroll_late

STAGING = """
CREATE TEMP TABLE IF NOT EXISTS track_staging (
    patrol_id integer, seq bigint, at timestamptz, lon float8, lat float8, acc float8
) ON COMMIT DELETE ROWS
"""
IN_HOURS = (
    "(s.at AT TIME ZONE 'Asia/Shanghai')::time >= :ws "
    "AND (s.at AT TIME ZONE 'Asia/Shanghai')::time < :we"
)
INSERT = f"""
WITH kept AS (
    SELECT patrol_id, count(*) AS n FROM track_staging s WHERE {IN_HOURS} GROUP BY patrol_id
), ins AS (
    INSERT INTO track_point (patrol_id, seq, at, accuracy, geom)
    SELECT s.patrol_id, s.seq, s.at, s.acc, ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326)
    FROM track_staging s WHERE {IN_HOURS}
    ON CONFLICT (patrol_id, seq) DO NOTHING
    RETURNING patrol_id, at
)
SELECT patrol_id, NULL::date AS day, n, true AS kept FROM kept
UNION ALL
SELECT patrol_id, (at AT TIME ZONE 'Asia/Shanghai')::date, count(*), false FROM ins GROUP BY 1, 2
"""


@dataclass(frozen=True)
class Batch:
    """The points of one patrol to store (one phone batch, a GPX file, or a day in bulk)."""

    patrol_id: int
    fixes: Sequence[Any]  # gis.patrols.tracks.Fix (not imported: tracks imports this module)


def _hm(text_value: str) -> dt.time:
    hours, minutes = (int(part) for part in text_value.split(":"))
    return dt.time(23, 59, 59, 999999) if hours == 24 else dt.time(hours, minutes)


def _copy_text(batches: Sequence[Batch]) -> str:
    out = io.StringIO()
    for batch in batches:
        pid = batch.patrol_id
        for f in batch.fixes:
            acc = "\\N" if f.accuracy is None else repr(float(f.accuracy))
            out.write(f"{pid}\t{f.seq}\t{f.at.isoformat()}\t{f.lon!r}\t{f.lat!r}\t{acc}\n")
    return out.getvalue()


def ingest(
    conn: Connection, batches: Sequence[Batch], tracks: TrackSettings, *, now: dt.datetime
) -> dict[int, tuple[int, int]]:
    """Store the batches' points; per patrol: (kept in working hours, newly stored). A point of
    a day already rolled up re-rolls its worker's day (:func:`gis.patrols.rollup.reroll_late`)."""
    conn.execute(text(STAGING))
    driver = conn.connection.driver_connection
    assert driver is not None  # an open connection inside the caller's transaction
    with (
        driver.cursor() as cursor,
        cursor.copy("COPY track_staging (patrol_id, seq, at, lon, lat, acc) FROM STDIN") as copy,
    ):
        copy.write(_copy_text(batches))
    hours = {"ws": _hm(tracks.work_start), "we": _hm(tracks.work_end)}
    rows = conn.execute(text(INSERT), hours).all()
    conn.execute(text("TRUNCATE track_staging"))
    result: dict[int, tuple[int, int]] = {b.patrol_id: (0, 0) for b in batches}
    late: dict[int, set[dt.date]] = defaultdict(set)
    today = now.astimezone(CHINA).date()
    for r in rows:
        kept, stored = result[r.patrol_id]
        if r.kept:
            result[r.patrol_id] = (kept + int(r.n), stored)
            continue
        result[r.patrol_id] = (kept, stored + int(r.n))
        if r.day < today:
            late[r.patrol_id].add(r.day)
    if late:
        owners: dict[int, int] = {
            r.id: r.user_id
            for r in conn.execute(
                text("SELECT id, user_id FROM patrol WHERE id = ANY(:ids)"), {"ids": list(late)}
            )
        }
        by_user: dict[int, set[dt.date]] = defaultdict(set)
        for patrol_id, days in late.items():
            by_user[owners[patrol_id]] |= days
        for user_id, days in by_user.items():
            reroll_late(conn, user_id, days, tracks=tracks, now=now)
    return result
