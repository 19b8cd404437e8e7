"""Track points into PostGIS in bulk: COPY into a staging table, then one set-based insert.

17,000 workers × 960 points a day is 16.3 million points; the issue asks for them in ≤ 2 min on
2 cores. Per point, Python only reads the fix's fields into arrays: numpy keeps the points
inside working hours (China time) and the city, counts the others per patrol, and lays the
kept ones out as binary COPY rows (which PostgreSQL also parses faster than text). PostgreSQL
then stores each point once — a batch sent twice, or the same point twice in one batch, adds it
once (primary key ``(patrol_id, seq)``) — in one statement for any number of batches and
patrols. The phone's batch (:func:`gis.patrols.tracks.store_fixes`) and a GPX import go the
same way.

The points' patrols are checked once per patrol, not once per point: they are locked
``FOR KEY SHARE`` (what a foreign key would take per row, so a patrol cannot be deleted while
its points go in) and an upload naming a patrol that does not exist is refused whole. A trigger
on patrol deletes the points of a deleted patrol (migration 0031). Both replaced a per-row
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
from sqlalchemy.exc import IntegrityError

from gis.chinatime import CHINA
from gis.errors import NotFound
from gis.infra.settings import TrackSettings
from gis.patrols.rollup import reroll_late

STAGING = """
CREATE TEMP TABLE IF NOT EXISTS track_staging (
    patrol_id integer, seq bigint, at timestamptz, lon float8, lat float8, acc float8
) ON COMMIT DELETE ROWS
"""
#: In one round trip (a phone batch is one patrol and 120 points: round trips count): the
#: upload's patrols that exist, locked ``FOR KEY SHARE`` until commit (as a foreign key would
#: lock per point, so a patrol cannot be deleted while its points go in); those that already
#: have points (only their points are looked up in the primary key: a new patrol's first batch
#: and a day in bulk skip that lookup); and the city's extent (its districts' box) and ~1 km
#: around it — a point beyond is a bad fix or somewhere no grid worker works: not stored,
#: counted in ``outside_city``.
PREPARE = """
SELECT (SELECT coalesce(array_agg(id), '{}') FROM (
            SELECT id FROM patrol WHERE id = ANY(CAST(:ids AS integer[])) ORDER BY id
            FOR KEY SHARE) locked) AS found,
       (SELECT coalesce(array_agg(id), '{}') FROM unnest(CAST(:ids AS integer[])) AS id
        WHERE EXISTS (SELECT 1 FROM track_point t WHERE t.patrol_id = id)) AS had,
       box.*
FROM (SELECT 1) one LEFT JOIN (
    SELECT ST_XMin(e) AS x0, ST_XMax(e) AS x1, ST_YMin(e) AS y0, ST_YMax(e) AS y1
    FROM (SELECT ST_Expand(ST_Extent(geom)::geometry, 0.01) AS e FROM district) extent
    WHERE e IS NOT NULL
) box ON true
"""
#: The staged points (each once: duplicates within the upload are left out before) not stored
#: already; per patrol, how many were stored.
INSERT = """
WITH ins AS (
    INSERT INTO track_point (patrol_id, seq, at, accuracy, geom)
    SELECT s.patrol_id, s.seq, s.at, nullif(s.acc, 'NaN'),
           ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326)
    FROM track_staging s {where} {conflict}
    RETURNING patrol_id
)
SELECT patrol_id, count(*) AS stored FROM ins GROUP BY patrol_id
"""
NEW_ONLY = """WHERE NOT EXISTS (
        SELECT 1 FROM track_point t WHERE t.patrol_id = ANY(CAST(:had AS integer[]))
        AND t.patrol_id = s.patrol_id AND t.seq = s.seq)"""
#: Without ``ON CONFLICT`` PostgreSQL inserts a point ~35 % cheaper (no speculative insertion,
#: bench/README.md): a large upload's query leaves the duplicates out itself, and looks them up
#: only for the patrols that have points. Only a concurrent upload of the same points can still
#: collide: then the insert is made again with ``ON CONFLICT``. A small upload (a phone's
#: batch) goes with ``ON CONFLICT`` at once: two round trips (the savepoint) cost it more.
FIRST_INSERT = INSERT.format(where="", conflict="")
FAST_INSERT = INSERT.format(where=NEW_ONLY, conflict="")
SAFE_INSERT = INSERT.format(where=NEW_ONLY, conflict="ON CONFLICT (patrol_id, seq) DO NOTHING")
WHOLE_EARTH = (-180.0, 180.0, -90.0, 90.0)
SMALL_UPLOAD = 5000
#: Asia/Shanghai has kept UTC+8 all year since 1991: the China time of day and date of a point
#: are its UTC seconds + 8 h, computed for all points at once.
CHINA_OFFSET_S = 8 * 3600
DAY_S = 86400
EPOCH_DAY = dt.date(1970, 1, 1)


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


def _seconds(hhmm: str) -> int:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return hours * 3600 + minutes * 60


#: One staged point as a binary COPY row: the field count, then each field's length and value
#: (big-endian; a timestamptz is microseconds since 2000-01-01 UTC). A missing accuracy travels
#: as NaN (the fixes were checked finite before: :func:`gis.patrols.tracks.check_fixes`) and is
#: stored as NULL.
FIELDS = (
    ("pid", ">i4"),
    ("seq", ">i8"),
    ("at", ">i8"),
    ("lon", ">f8"),
    ("lat", ">f8"),
    ("acc", ">f8"),
)
COPY_ROW = np.dtype(
    [("fields", ">i2")]
    + [item for name, kind in FIELDS for item in ((f"{name}_len", ">i4"), (name, kind))]
)
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, no header extension
COPY_TRAILER = b"\xff\xff"
PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC).timestamp()


@dataclass(frozen=True)
class _Staged:
    """The upload's points as arrays (one entry per point, in upload order)."""

    pid: np.ndarray
    seconds: np.ndarray  # UTC seconds since 1970
    fixes: list[Any]

    @classmethod
    def of(cls, batches: Sequence[Batch]) -> _Staged:
        fixes = [f for batch in batches for f in batch.fixes]
        pid = np.repeat(
            np.array([b.patrol_id for b in batches], dtype=np.int64),
            [len(b.fixes) for b in batches],
        )
        # A float is exact to the microsecond at today's epoch (< 2**53 µs).
        seconds = np.array([f.at.timestamp() for f in fixes], dtype=np.float64)
        return cls(pid, seconds, fixes)

    def kept(self, tracks: TrackSettings, box: tuple[float, ...]) -> tuple[np.ndarray, ...]:
        """Which points are in working hours (China time), and which of those in the city."""
        of_day = np.floor(self.seconds + CHINA_OFFSET_S) % DAY_S
        in_hours = (of_day >= _seconds(tracks.work_start)) & (of_day < _seconds(tracks.work_end))
        lon = np.array([f.lon for f in self.fixes], dtype=np.float64)
        lat = np.array([f.lat for f in self.fixes], dtype=np.float64)
        x0, x1, y0, y1 = box
        in_city = (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
        return in_hours, in_hours & in_city, lon, lat

    def late_days(
        self, keep: np.ndarray, now: dt.datetime, *, stored: set[int]
    ) -> dict[int, set[dt.date]]:
        """The China days before today of the kept points of the patrols that stored some:
        those days are re-rolled (a day is re-rolled even if only its duplicates came again
        with new points of today: the same figures, computed again)."""
        today = now.astimezone(CHINA).date()
        days = (np.floor(self.seconds + CHINA_OFFSET_S) // DAY_S).astype(np.int64)
        before = keep & (days < (today - EPOCH_DAY).days)
        late: dict[int, set[dt.date]] = {}
        for pid, day in set(zip(self.pid[before].tolist(), days[before].tolist(), strict=True)):
            if pid in stored:
                late.setdefault(pid, set()).add(EPOCH_DAY + dt.timedelta(days=day))
        return late


def _copy_binary(staged: _Staged, keep: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> bytes:
    """The kept points as one binary COPY stream (~80 bytes a point), each point once (the
    first of a point sent twice), in primary-key order (the index is written in order)."""
    kept = np.flatnonzero(keep)
    seqs = np.array([staged.fixes[i].seq for i in kept], dtype=np.int64)
    order = np.lexsort((kept, seqs, staged.pid[kept]))  # by patrol, seq, then upload order
    pid, seqs = staged.pid[kept][order], seqs[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (pid[1:] != pid[:-1]) | (seqs[1:] != seqs[:-1])
    index = kept[order][first]
    rows = np.empty(len(index), COPY_ROW)
    rows["fields"] = len(FIELDS)
    for name, kind in FIELDS:
        rows[f"{name}_len"] = np.dtype(kind).itemsize
    rows["pid"] = pid[first]
    rows["seq"] = seqs[first]
    fixes = staged.fixes
    rows["at"] = np.rint((staged.seconds[index] - PG_EPOCH) * 1e6)
    rows["lon"] = lon[index]
    rows["lat"] = lat[index]
    accuracy = [fixes[i].accuracy for i in index]
    rows["acc"] = [np.nan if a is None else a for a in accuracy]
    return COPY_HEADER + rows.tobytes() + COPY_TRAILER


def _refuse_missing(wanted: list[int], found: list[int]) -> None:
    """An upload naming a patrol that does not exist is refused whole."""
    missing = sorted(set(wanted) - set(found))
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
    ids = sorted({b.patrol_id for b in batches})
    found, had, *box = conn.execute(text(PREPARE), {"ids": ids}).one()
    _refuse_missing(ids, found)
    staged = _Staged.of(batches)
    in_hours, keep, lon, lat = staged.kept(tracks, WHOLE_EARTH if box[0] is None else tuple(box))
    result = {
        pid: Stored(int(k), int(h - k))
        for pid, h, k in zip(
            ids,
            np.bincount(np.searchsorted(ids, staged.pid), in_hours, len(ids)),
            np.bincount(np.searchsorted(ids, staged.pid), keep, len(ids)),
            strict=True,
        )
    }
    if not keep.any():
        return result
    conn.execute(text(STAGING))
    driver = conn.connection.driver_connection
    assert driver is not None  # an open connection inside the caller's transaction
    with (
        driver.cursor() as cursor,
        cursor.copy(
            "COPY track_staging (patrol_id, seq, at, lon, lat, acc) FROM STDIN (FORMAT BINARY)"
        ) as copy,
    ):
        copy.write(_copy_binary(staged, keep, lon, lat))
    if len(staged.pid) <= SMALL_UPLOAD:
        rows = conn.execute(text(SAFE_INSERT), {"had": had}).all()
    else:
        try:
            with conn.begin_nested():
                rows = conn.execute(text(FAST_INSERT if had else FIRST_INSERT), {"had": had}).all()
        except IntegrityError:  # the same points, stored meanwhile by another upload
            rows = conn.execute(text(SAFE_INSERT), {"had": had}).all()
    conn.execute(text("TRUNCATE track_staging"))
    for r in rows:
        was = result[r.patrol_id]
        result[r.patrol_id] = Stored(was.kept, was.outside_city, int(r.stored))
    late = staged.late_days(keep, now, stored={r.patrol_id for r in rows})
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
