"""Patrols on the phone (巡查): start and stop, track batches, GPX import, check-ins, absences,
and the figures from the tracks (time in one's own grid, distance, buildings passed).

Only a field worker patrols; the figures and tracks are shown to the worker and to supervisors
whose scope reaches the worker's grid (403 otherwise). The rules live in :mod:`gis.patrols`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query, UploadFile

from api.auth import AccessDep, NowDep
from api.deps import ConnDep, SettingsDep
from api.schemas.patrols import (
    AbsenceIn,
    AbsenceOut,
    AbsencesOut,
    BatchOut,
    CheckInIn,
    CheckInOut,
    CurrentPatrolOut,
    FiguresOut,
    GpxOut,
    PatrolOut,
    PointsIn,
    TrackOut,
)
from gis.chinatime import CHINA
from gis.errors import TooLarge
from gis.patrols import (
    Fix,
    Period,
    check_in,
    current_patrol,
    end_patrol,
    import_gpx,
    my_absences,
    patrol_track,
    report_absence,
    start_patrol,
    upload_points,
    worker_figures,
)

router = APIRouter(
    prefix="/field",
    tags=["patrols"],
    responses={404: {"description": "no such patrol, building, worker or grid"}},
)
PatrolId = Annotated[int, Path(ge=1, le=2**31 - 1)]
MAX_GPX_BYTES = 1_000_000


def _out(value: object) -> dict[str, object]:
    return {**value.__dict__}


@router.post("/patrols", summary="Start a patrol (an open one is answered again)")
def patrol_start(conn: ConnDep, access: AccessDep, now: NowDep) -> PatrolOut:
    return PatrolOut.model_validate(_out(start_patrol(conn, access=access, now=now)))


@router.get("/patrols/current", summary="The caller's open patrol, if any")
def patrol_current(conn: ConnDep, access: AccessDep) -> CurrentPatrolOut:
    found = current_patrol(conn, access=access)
    return CurrentPatrolOut(patrol=None if found is None else PatrolOut.model_validate(_out(found)))


@router.post("/patrols/{patrol_id}/end", summary="End one's patrol")
def patrol_end(conn: ConnDep, access: AccessDep, now: NowDep, patrol_id: PatrolId) -> PatrolOut:
    return PatrolOut.model_validate(_out(end_patrol(conn, patrol_id, access=access, now=now)))


@router.post("/patrols/{patrol_id}/points", summary="Add a batch of track points")
def patrol_points(
    conn: ConnDep,
    settings: SettingsDep,
    access: AccessDep,
    now: NowDep,
    patrol_id: PatrolId,
    body: PointsIn,
) -> BatchOut:
    """Points already sent (same ``seq``) are counted as duplicates, not added again; points
    outside working hours are not stored (counted in ``outside_hours``)."""
    fixes = [Fix(p.seq, p.at, p.lon, p.lat, p.accuracy) for p in body.points]
    result = upload_points(conn, patrol_id, fixes, access=access, now=now, tracks=settings.tracks)
    return BatchOut.model_validate(_out(result))


@router.get("/patrols/{patrol_id}/track", summary="A patrol's track (worker and supervisors)")
def patrol_track_route(conn: ConnDep, access: AccessDep, patrol_id: PatrolId) -> TrackOut:
    return TrackOut.model_validate(patrol_track(conn, patrol_id, access=access))


@router.post("/patrols/gpx", status_code=201, summary="Import a patrol from a GPX file")
def patrol_gpx(
    conn: ConnDep, settings: SettingsDep, access: AccessDep, now: NowDep, file: UploadFile
) -> GpxOut:
    """At most 1,000,000 bytes; same rules as the phone's batches; a file overlapping a patrol
    already recorded is 409."""
    data = file.file.read(MAX_GPX_BYTES + 1)
    if len(data) > MAX_GPX_BYTES:
        raise TooLarge(f"GPX 文件超过 {MAX_GPX_BYTES} 字节 (the GPX file is too large)")
    result = import_gpx(
        conn, data, access=access, now=now, tracks=settings.tracks, filename=file.filename or ""
    )
    return GpxOut(
        patrol=result.patrol,
        batch=BatchOut.model_validate(_out(result.batch)),
        started_at=result.started_at,
        ended_at=result.ended_at,
    )


@router.post("/check-ins", status_code=201, summary="Check in at a building or a point")
def check_in_route(conn: ConnDep, access: AccessDep, now: NowDep, body: CheckInIn) -> CheckInOut:
    found = check_in(
        conn,
        access=access,
        now=now,
        kind=body.kind,
        building=body.building,
        lon=body.lon,
        lat=body.lat,
        note=body.note,
    )
    return CheckInOut.model_validate(_out(found))


@router.post("/absences", status_code=201, summary="Report an absence (外出, 培训, 请假)")
def absence_report(conn: ConnDep, access: AccessDep, now: NowDep, body: AbsenceIn) -> AbsenceOut:
    found = report_absence(
        conn,
        access=access,
        now=now,
        kind=body.kind,
        reason=body.reason,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
    )
    return AbsenceOut.model_validate(_out(found))


@router.get("/absences", summary="One's reported absences, newest first")
def absence_list(conn: ConnDep, access: AccessDep) -> AbsencesOut:
    return AbsencesOut(
        absences=[AbsenceOut.model_validate(_out(a)) for a in my_absences(conn, access=access)]
    )


@router.get("/figures", summary="Time in grid, distance, buildings passed, check-ins")
def figures(
    conn: ConnDep,
    settings: SettingsDep,
    access: AccessDep,
    now: NowDep,
    period: Period = "day",
    on: Annotated[dt.date | None, Query(description="a day of the period; today")] = None,
    worker: Annotated[
        str | None,
        Query(pattern=r"^[A-Za-z0-9_.@-]{1,64}$", description="a worker's user name (supervisors)"),
    ] = None,
) -> FiguresOut:
    """A worker's figures per day of the day, ISO week or month holding ``on`` (China time).
    A field worker sees their own; a supervisor (county, community party office, admin) any
    worker whose grid lies in their scope; anyone else gets 403."""
    found = worker_figures(
        conn,
        access=access,
        tracks=settings.tracks,
        on=on or now.astimezone(CHINA).date(),
        period=period,
        worker=worker,
    )
    days = [{**_out(d), "share": d.share} for d in found.days]
    return FiguresOut.model_validate(
        {
            **_out(found),
            "days": days,
            "total": {**_out(found.total), "share": found.total.share},
            "meets_rule": found.meets_rule,
        }
    )
