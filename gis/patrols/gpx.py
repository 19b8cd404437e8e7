"""GPX import: a patrol recorded by another app (a sports tracker, a vendor's grid app).

Parsed with gpxpy (pure Python, no dependencies, maintained since 2011, reads GPX 1.0 and 1.1
including extensions). Every track segment's points are taken in time order; the same rules
as a phone's upload apply (no point outside working hours is stored, a time in the future or
a coordinate out of range is refused naming the point), and the patrol counts against the
worker's own grid. A file whose time span overlaps a patrol already recorded is refused (409):
an import sent twice is never counted twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import gpxpy
import gpxpy.gpx
from sqlalchemy import Connection, text

from gis.access import Access
from gis.audit import record
from gis.errors import Conflict, InvalidFile
from gis.infra.settings import TrackSettings
from gis.patrols.common import own_worker
from gis.patrols.tracks import BatchResult, Fix, check_fixes, store_fixes

MAX_GPX_POINTS = 50_000


@dataclass(frozen=True)
class GpxResult:
    patrol: int
    batch: BatchResult
    started_at: dt.datetime
    ended_at: dt.datetime


def _aware(at: dt.datetime) -> dt.datetime:
    """A GPX time without a zone is UTC (the GPX schema says so)."""
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def read_gpx(data: bytes) -> list[Fix]:
    """The timed points of a GPX file, in time order (a file without times is refused)."""
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise InvalidFile("GPX 文件不能含有 DOCTYPE/ENTITY (a GPX file may not declare entities)")
    try:
        parsed = gpxpy.parse(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, gpxpy.gpx.GPXException, ValueError) as error:
        raise InvalidFile(f"无法读取 GPX 文件：{error} (not a readable GPX file)") from None
    found = [
        point for track in parsed.tracks for segment in track.segments for point in segment.points
    ]
    if not found:
        raise InvalidFile("GPX 文件中没有轨迹点 (the GPX file holds no track points)")
    if len(found) > MAX_GPX_POINTS:
        raise InvalidFile(f"GPX 轨迹点过多（最多 {MAX_GPX_POINTS}） (too many points)")
    untimed = sum(1 for point in found if point.time is None)
    if untimed:
        raise InvalidFile(
            f"GPX 中有 {untimed} 个点没有时间 ({untimed} points have no time)", field="time"
        )
    timed = sorted(
        (_aware(point.time), point.longitude, point.latitude)
        for point in found
        if point.time is not None
    )
    return [Fix(seq=i, at=at, lon=lon, lat=lat) for i, (at, lon, lat) in enumerate(timed)]


def import_gpx(
    conn: Connection,
    data: bytes,
    *,
    access: Access,
    now: dt.datetime,
    tracks: TrackSettings,
    filename: str = "",
) -> GpxResult:
    """Store a GPX file as an ended patrol of the caller (see the module doc for the rules)."""
    worker = own_worker(conn, access=access)
    fixes = read_gpx(data)
    for chunk in range(0, len(fixes), 2000):
        check_fixes(fixes[chunk : chunk + 2000], now=now, tracks=tracks)
    first, last = fixes[0].at, fixes[-1].at
    overlap = conn.execute(
        text(
            "SELECT p.id FROM patrol p WHERE p.user_id = :u AND EXISTS (SELECT 1 FROM "
            "track_point t WHERE t.patrol_id = p.id AND t.at BETWEEN :first AND :last) LIMIT 1"
        ),
        {"u": worker.id, "first": first, "last": last},
    ).scalar()
    if overlap is not None:
        raise Conflict(
            f"这段时间已有巡查轨迹（巡查 {overlap}），不重复导入 (the file overlaps patrol "
            f"{overlap}, already recorded)",
            patrol=overlap,
        )
    patrol_id = conn.execute(
        text(
            "INSERT INTO patrol (user_id, grid_id, state, source, started_at, ended_at) "
            "VALUES (:u, :g, 'ended', 'gpx', :first, :last) RETURNING id"
        ),
        {"u": worker.id, "g": worker.grid_id, "first": first, "last": last},
    ).scalar_one()
    batch = store_fixes(conn, patrol_id, fixes, tracks, now=now)
    record(
        conn,
        access.actor,
        "patrol.import_gpx",
        "patrol",
        patrol_id,
        after={
            "file": filename[:128],
            "points": batch.stored,
            "outside_hours": batch.outside_hours,
        },
    )
    return GpxResult(patrol_id, batch, first, last)
