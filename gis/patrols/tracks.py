"""Patrols and their tracks: start, stop, and points uploaded in batches from a phone.

The phone numbers every point it records (``seq``) and keeps it until the server has answered;
a batch sent again after a lost connection finds its numbers taken and adds nothing
(``ON CONFLICT DO NOTHING`` on ``UNIQUE (patrol_id, seq)``). What is refused:

- a point outside working hours (China time, ``GRIDMAP_TRACK_WORK_START``–``…_END``): not
  stored, only counted in the answer — no track outside working hours is kept;
- a patrol that is not the caller's (403) or is ended (409);
- a longitude/latitude out of range, an accuracy below 0 or over the limit, a time in the
  future: 422 naming the point and the field, and nothing of the batch is stored.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis.access import Access
from gis.audit import record
from gis.errors import Forbidden, IllegalTransition, Invalid, NotFound
from gis.infra.settings import TrackSettings
from gis.patrols.common import CLOCK_SLACK, Worker, own_worker, viewable_worker
from gis.patrols.ingest import Batch, ingest

MAX_BATCH = 2000


@dataclass(frozen=True)
class Fix:
    """One position as the phone (or a GPX file) gives it."""

    seq: int
    at: dt.datetime
    lon: float
    lat: float
    accuracy: float | None = None


@dataclass(frozen=True)
class PatrolInfo:
    id: int
    state: str
    source: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    points: int
    resumed: bool = False


@dataclass(frozen=True)
class BatchResult:
    """What became of a batch: stored, already there (sent before), refused as off hours or
    as outside the city."""

    patrol: int
    received: int
    stored: int
    duplicates: int
    outside_hours: int
    outside_city: int = 0  # in working hours, but beyond the city (~1 km around it)


def check_fixes(fixes: Sequence[Fix], *, now: dt.datetime, tracks: TrackSettings) -> None:
    """Refuse the whole batch (422 naming the point and field) if one point is impossible."""
    if len(fixes) > MAX_BATCH:
        raise Invalid(
            f"一批最多 {MAX_BATCH} 个点，收到 {len(fixes)} 个 (at most {MAX_BATCH} points a batch)",
            field="points",
        )
    for i, fix in enumerate(fixes):
        where = f"points[{i}]"
        if not (math.isfinite(fix.lon) and -180 <= fix.lon <= 180):
            raise Invalid(f"{where}.lon 经度无效：{fix.lon} (longitude out of range)", field=where)
        if not (math.isfinite(fix.lat) and -90 <= fix.lat <= 90):
            raise Invalid(f"{where}.lat 纬度无效：{fix.lat} (latitude out of range)", field=where)
        if fix.accuracy is not None and not (0 <= fix.accuracy <= tracks.max_accuracy):
            raise Invalid(
                f"{where}.accuracy 精度应在 0–{tracks.max_accuracy:g} 米之间，而不是 "
                f"{fix.accuracy} (accuracy must be 0–{tracks.max_accuracy:g} m)",
                field=f"{where}.accuracy",
            )
        if fix.at.tzinfo is None:
            raise Invalid(f"{where}.at 时间须带时区 (the time needs its offset)", field=where)
        if fix.at > now + CLOCK_SLACK:
            raise Invalid(
                f"{where}.at 时间在未来：{fix.at.isoformat()} (a time in the future)",
                field=f"{where}.at",
            )
        if fix.seq < 0:
            raise Invalid(f"{where}.seq 序号不能为负 (seq must be ≥ 0)", field=f"{where}.seq")


def _info(conn: Connection, patrol_id: int, *, resumed: bool = False) -> PatrolInfo:
    row = conn.execute(
        text(
            "SELECT p.id, p.state, p.source, p.started_at, p.ended_at, "
            "(SELECT count(*) FROM track_point t WHERE t.patrol_id = p.id) AS points "
            "FROM patrol p WHERE p.id = :id"
        ),
        {"id": patrol_id},
    ).one()
    return PatrolInfo(
        row.id, row.state, row.source, row.started_at, row.ended_at, row.points, resumed
    )


def current_patrol(conn: Connection, *, access: Access) -> PatrolInfo | None:
    """The caller's open patrol, if any (a phone that reloaded picks it up again)."""
    worker = own_worker(conn, access=access)
    found = conn.execute(
        text("SELECT id FROM patrol WHERE user_id = :u AND state = 'open' ORDER BY id DESC"),
        {"u": worker.id},
    ).scalar()
    return None if found is None else _info(conn, int(found))


def start_patrol(conn: Connection, *, access: Access, now: dt.datetime) -> PatrolInfo:
    """Start a patrol; one already open is answered again (``resumed``), not doubled."""
    open_one = current_patrol(conn, access=access)
    if open_one is not None:
        return PatrolInfo(**{**open_one.__dict__, "resumed": True})
    worker = own_worker(conn, access=access)
    patrol_id = conn.execute(
        text(
            "INSERT INTO patrol (user_id, grid_id, state, source, started_at) "
            "VALUES (:u, :g, 'open', 'phone', :now) RETURNING id"
        ),
        {"u": worker.id, "g": worker.grid_id, "now": now},
    ).scalar_one()
    record(conn, access.actor, "patrol.start", "patrol", patrol_id)
    return _info(conn, patrol_id)


def _own_patrol(conn: Connection, patrol_id: int, worker: Worker) -> str:
    row = conn.execute(
        text("SELECT user_id, state FROM patrol WHERE id = :id"), {"id": patrol_id}
    ).first()
    if row is None:
        raise NotFound(f"没有巡查 {patrol_id} (no patrol {patrol_id})", patrol=patrol_id)
    if row.user_id != worker.id:
        raise Forbidden(f"巡查 {patrol_id} 不是您的 (patrol {patrol_id} is not yours)")
    return str(row.state)


def end_patrol(conn: Connection, patrol_id: int, *, access: Access, now: dt.datetime) -> PatrolInfo:
    """End one's open patrol (ending it again is answered as it is)."""
    worker = own_worker(conn, access=access)
    if _own_patrol(conn, patrol_id, worker) == "open":
        conn.execute(
            text("UPDATE patrol SET state = 'ended', ended_at = :now WHERE id = :id"),
            {"id": patrol_id, "now": now},
        )
        record(conn, access.actor, "patrol.end", "patrol", patrol_id)
    return _info(conn, patrol_id)


def store_fixes(
    conn: Connection,
    patrol_id: int,
    fixes: Sequence[Fix],
    tracks: TrackSettings,
    *,
    now: dt.datetime,
) -> BatchResult:
    """Insert the points inside working hours; those already there are counted, not added
    (through the bulk path, :mod:`gis.patrols.ingest`). Points of a day already rolled up
    re-roll the worker's day (:mod:`gis.patrols.rollup`)."""
    done = ingest(conn, [Batch(patrol_id, fixes)], tracks, now=now)[patrol_id]
    return BatchResult(
        patrol=patrol_id,
        received=len(fixes),
        stored=done.stored,
        duplicates=done.kept - done.stored,
        outside_hours=len(fixes) - done.kept - done.outside_city,
        outside_city=done.outside_city,
    )


def upload_points(
    conn: Connection,
    patrol_id: int,
    fixes: Sequence[Fix],
    *,
    access: Access,
    now: dt.datetime,
    tracks: TrackSettings,
) -> BatchResult:
    """Add a batch of the caller's open patrol (see the module doc for what is refused)."""
    worker = own_worker(conn, access=access)
    if _own_patrol(conn, patrol_id, worker) != "open":
        raise IllegalTransition(
            f"巡查 {patrol_id} 已结束，不能再上传轨迹 (patrol {patrol_id} has ended)",
            patrol=patrol_id,
        )
    check_fixes(fixes, now=now, tracks=tracks)
    return store_fixes(conn, patrol_id, fixes, tracks, now=now)


def patrol_track(conn: Connection, patrol_id: int, *, access: Access) -> dict[str, object]:
    """A patrol's track as a GeoJSON line (for the worker and their supervisors only)."""
    row = conn.execute(
        text(
            "SELECT p.id, u.username FROM patrol p JOIN app_user u ON u.id = p.user_id "
            "WHERE p.id = :id"
        ),
        {"id": patrol_id},
    ).first()
    if row is None:
        raise NotFound(f"没有巡查 {patrol_id} (no patrol {patrol_id})", patrol=patrol_id)
    viewable_worker(conn, row.username, access=access)
    found = conn.execute(
        text(
            "SELECT count(*) AS points, ST_AsGeoJSON(ST_MakeLine(geom ORDER BY at), 6) AS line, "
            "min(at) AS first_at, max(at) AS last_at FROM track_point WHERE patrol_id = :id"
        ),
        {"id": patrol_id},
    ).one()
    return {
        "type": "Feature",
        "id": patrol_id,
        "geometry": json.loads(found.line) if found.line else None,
        "properties": {
            "patrol": patrol_id,
            "points": found.points,
            "first_at": found.first_at,
            "last_at": found.last_at,
        },
    }
