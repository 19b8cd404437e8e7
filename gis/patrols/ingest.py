"""Track points into PostGIS in bulk: COPY into a staging table, then one set-based insert.

17,000 workers × 960 points a day is 16.3 million points; the issue asks for them in ≤ 2 min on
2 cores. Per point, Python does nothing but write one line of COPY text; PostgreSQL then keeps
the points inside working hours (China time) and skips those already stored (``ON CONFLICT
(patrol_id, seq) DO NOTHING``: a batch sent twice, or the same point twice in one batch, is
stored once) — in one statement for any number of batches and patrols. The phone's batch
(:func:`gis.patrols.tracks.store_fixes`) and a GPX import go the same way.

The points' patrols are checked once per patrol, not once per point: they are locked
``FOR KEY SHARE`` (what a foreign key would take per row, so a patrol cannot be deleted while
its points go in) and an upload naming a patrol that does not exist is refused whole. A trigger
on patrol deletes the points of a deleted patrol (migration 0028). Both replaced a per-row
foreign key that cost half of the ingest (bench/README.md).

A point within working hours but outside the city (its districts' box and ~1 km around) is not
stored either, and is counted (``outside_city``). What this does not judge, and where it is
judged: impossible values (out of range, future, bad
accuracy) are refused before, with the point named (:func:`gis.patrols.tracks.check_fixes`);
jumps faster than a car and points out of order are judged when the figures are computed
(:mod:`gis.patrols.figures`: pairs in time order, a jump counts neither way), so no order or
speed is assumed here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection, text

from gis.chinatime import CHINA
from gis.errors import NotFound
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
IN_CITY = "s.lon BETWEEN :x0 AND :x1 AND s.lat BETWEEN :y0 AND :y1"
#: The city's extent (its districts' box) and ~1 km around it: a point beyond is a bad fix or
#: somewhere no grid worker works — not stored, counted in ``outside_city``.
CITY_BOX = """
SELECT ST_XMin(e) AS x0, ST_XMax(e) AS x1, ST_YMin(e) AS y0, ST_YMax(e) AS y1
FROM (SELECT ST_Expand(ST_Extent(geom)::geometry, 0.01) AS e FROM district) box
WHERE e IS NOT NULL
"""
INSERT = f"""
WITH kept AS (
    SELECT patrol_id, count(*) FILTER (WHERE {IN_CITY}) AS n,
           count(*) FILTER (WHERE NOT ({IN_CITY})) AS away
    FROM track_staging s WHERE {IN_HOURS} GROUP BY patrol_id
), ins AS (
    INSERT INTO track_point (patrol_id, seq, at, accuracy, geom)
    SELECT s.patrol_id, s.seq, s.at, nullif(s.acc, 'NaN'), ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326)
    FROM track_staging s WHERE {IN_HOURS} AND {IN_CITY}
    ON CONFLICT (patrol_id, seq) DO NOTHING
    RETURNING patrol_id, at
)
SELECT patrol_id, NULL::date AS day, n, away FROM kept
UNION ALL
SELECT patrol_id, (at AT TIME ZONE 'Asia/Shanghai')::date, count(*), NULL FROM ins GROUP BY 1, 2
"""
WHOLE_EARTH = {"x0": -180.0, "x1": 180.0, "y0": -90.0, "y1": 90.0}


@dataclass(frozen=True)
class Stored:
    """What became of one patrol's points: kept (in working hours and in the city), outside
    the city (in working hours), newly stored (kept minus those already there)."""

    kept: int = 0
    outside_city: int = 0
    stored: int = 0


@dataclass(frozen=True)
class Batch:
    """The points of one patrol to store (one phone batch, a GPX file, or a day in bulk)."""

    patrol_id: int
    fixes: Sequence[Any]  # gis.patrols.tracks.Fix (not imported: tracks imports this module)


def _hm(text_value: str) -> dt.time:
    hours, minutes = (int(part) for part in text_value.split(":"))
    return dt.time(23, 59, 59, 999999) if hours == 24 else dt.time(hours, minutes)


#: One staged point as a binary COPY row: the field count, then each field's length and value
#: (big-endian; a timestamptz is microseconds since 2000-01-01 UTC). A missing accuracy travels
#: as NaN (the fixes were checked finite before: :func:`gis.patrols.tracks.check_fixes`) and is
#: stored as NULL.
COPY_ROW = np.dtype(
    [("fields", ">i2")]
    + [
        item
        for name, kind in (("pid", ">i4"), ("seq", ">i8"), ("at", ">i8"))
        + (("lon", ">f8"), ("lat", ">f8"), ("acc", ">f8"))
        for item in ((f"{name}_len", ">i4"), (name, kind))
    ]
)
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, no header extension
COPY_TRAILER = b"\xff\xff"
PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC).timestamp()


def _copy_binary(batches: Sequence[Batch]) -> bytes:
    """The batches' points as one binary COPY stream (~70 bytes a point)."""
    fixes = [f for batch in batches for f in batch.fixes]
    rows = np.empty(len(fixes), COPY_ROW)
    rows["fields"] = 6
    for name in ("pid", "seq", "at", "lon", "lat", "acc"):
        rows[f"{name}_len"] = 4 if name == "pid" else 8
    rows["pid"] = np.repeat([b.patrol_id for b in batches], [len(b.fixes) for b in batches])
    rows["seq"] = [f.seq for f in fixes]
    # Seconds as a float are exact to the microsecond at today's epoch (< 2**53 µs).
    seconds = np.array([f.at.timestamp() for f in fixes], dtype=np.float64)
    rows["at"] = np.rint((seconds - PG_EPOCH) * 1e6)
    rows["lon"] = [f.lon for f in fixes]
    rows["lat"] = [f.lat for f in fixes]
    rows["acc"] = [np.nan if f.accuracy is None else f.accuracy for f in fixes]
    return COPY_HEADER + rows.tobytes() + COPY_TRAILER


def _lock_patrols(conn: Connection, batches: Sequence[Batch]) -> None:
    """Lock the batches' patrols against deletion until commit (once per patrol, as a
    foreign key would per point); refuse the upload when one does not exist."""
    wanted = {b.patrol_id for b in batches}
    found = set(
        conn.execute(
            text("SELECT id FROM patrol WHERE id = ANY(:ids) ORDER BY id FOR KEY SHARE"),
            {"ids": sorted(wanted)},
        ).scalars()
    )
    missing = sorted(wanted - found)
    if missing:
        raise NotFound(
            f"巡查 {missing[0]} 不存在，轨迹点未保存 (patrol {missing[0]} does not exist: no point "
            "was stored)",
            patrol=missing[0],
        )


def ingest(
    conn: Connection, batches: Sequence[Batch], tracks: TrackSettings, *, now: dt.datetime
) -> dict[int, Stored]:
    """Store the batches' points; what became of them per patrol. A point of a day already
    rolled up re-roll its worker's day (:func:`gis.patrols.rollup.reroll_late`)."""
    _lock_patrols(conn, batches)
    conn.execute(text(STAGING))
    driver = conn.connection.driver_connection
    assert driver is not None  # an open connection inside the caller's transaction
    with (
        driver.cursor() as cursor,
        cursor.copy(
            "COPY track_staging (patrol_id, seq, at, lon, lat, acc) FROM STDIN (FORMAT BINARY)"
        ) as copy,
    ):
        copy.write(_copy_binary(batches))
    box = conn.execute(text(CITY_BOX)).mappings().first()
    params = {"ws": _hm(tracks.work_start), "we": _hm(tracks.work_end)} | dict(box or WHOLE_EARTH)
    rows = conn.execute(text(INSERT), params).all()
    conn.execute(text("TRUNCATE track_staging"))
    result: dict[int, Stored] = {b.patrol_id: Stored() for b in batches}
    late: dict[int, set[dt.date]] = defaultdict(set)
    today = now.astimezone(CHINA).date()
    for r in rows:
        was = result[r.patrol_id]
        if r.day is None:
            result[r.patrol_id] = Stored(int(r.n), int(r.away), was.stored)
            continue
        result[r.patrol_id] = Stored(was.kept, was.outside_city, was.stored + int(r.n))
        if r.day < today:
            late[r.patrol_id].add(r.day)
    if late:
        _reroll(conn, late, tracks=tracks, now=now)
    return result


def _reroll(
    conn: Connection, late: dict[int, set[dt.date]], *, tracks: TrackSettings, now: dt.datetime
) -> None:
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
