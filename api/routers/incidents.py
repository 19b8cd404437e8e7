"""Incidents (吹哨报到): report, list, map, transition, figures, hexagons, photos, the queue, and
the incident map page at ``/incidents/map``.

Who may do what (see :mod:`gis.incidents.workflow` for the moves): viewing needs VIEW_MAP and
answers within the user's scope (department staff: their department's incidents only); reporting
needs REPORT_INCIDENTS (field workers) or DISPATCH_INCIDENTS (the command centre, which also enters
hotline calls); the moves check their own permission in gis/.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field, StringConstraints

from api.auth import AccessDep, MapAccess, NowDep, require_permission
from api.deps import ConnDep, SettingsDep
from api.geo import GEO_RESPONSE, BBoxQuery, bbox_or_none
from api.schemas import PlainText, Prose
from api.schemas.incidents import (
    AdmissionListsOut,
    CategoryOut,
    FiguresOut,
    IncidentOut,
    MergeOut,
    PointsOut,
    PossibleDuplicateOut,
    QueueOut,
    ReportedOut,
    StoredPhotoOut,
    TransitionOut,
)
from gis.accounts import Permission
from gis.errors import Invalid
from gis.incidents.catalogue import admission_lists, categories
from gis.incidents.duplicates import MAX_SUGGESTIONS, possible_duplicates
from gis.incidents.figures import GROUPS, figures
from gis.incidents.hexagons import dumps, hexagons
from gis.incidents.merging import merge
from gis.incidents.photos import MAX_PHOTO_BYTES, add_photo, photo_file
from gis.incidents.queries import Filters, get_incident, list_incidents, points, queue
from gis.incidents.reporting import INPUT_CRS, REPORTER_KINDS, create_incident
from gis.incidents.workflow import ACTIONS, transition

router = APIRouter(tags=["incidents"])
Code = Annotated[str, Path(max_length=16, examples=["E0000001"])]
#: An incident code in a body: letters, digits, '-' or '_' (never a NUL PostgreSQL would refuse).
IncidentCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_-]{1,16}$")]
BEIJING = dt.timezone(dt.timedelta(hours=8))


def _zoned(value: dt.datetime | None) -> dt.datetime | None:
    """A date-time without a zone is Beijing time (the users' clock)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=BEIJING)


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


def incident_filters(
    category: Annotated[str | None, Query(description="categories, comma-separated")] = None,
    state: Annotated[
        str | None, Query(description="states, comma-separated", examples=["dispatched,signed"])
    ] = None,
    department: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[dt.datetime | None, Query(description="reported at or after")] = None,
    until: Annotated[dt.datetime | None, Query(description="reported before")] = None,
    bbox: BBoxQuery = None,
    grid: Annotated[str | None, Query(max_length=24, description="a unified grid's code")] = None,
    status: Annotated[Literal["open", "closed"] | None, Query()] = None,
    overdue: bool | None = None,
    escalated: bool | None = None,
) -> Filters:
    return Filters(
        categories=_split(category),
        states=_split(state),
        department=department or None,
        since=_zoned(since),
        until=_zoned(until),
        bbox=bbox_or_none(bbox),
        grid=grid or None,
        status=status,
        overdue=overdue,
        escalated=escalated,
    )


FiltersDep = Annotated[Filters, Depends(incident_filters)]


class IncidentIn(BaseModel):
    """A new incident: a point, a category and what is wrong."""

    lon: float = Field(ge=-180, le=180, examples=[116.3583])
    lat: float = Field(ge=-90, le=90, examples=[28.0139])
    crs: Literal["wgs84", "gcj02", "bd09"] = Field(
        "wgs84", description=f"coordinates of lon/lat: {', '.join(INPUT_CRS)}"
    )
    category: PlainText = Field(max_length=32, examples=["环境卫生"])
    description: Prose = Field("", max_length=4000)
    reporter_kind: Literal["resident", "grid_worker", "hotline"] = Field(
        "grid_worker", description=", ".join(REPORTER_KINDS)
    )
    reporter_name: PlainText | None = Field(None, max_length=32)
    reporter_phone: PlainText | None = Field(None, max_length=20)
    reporter_email: str | None = Field(
        None, max_length=254, description="told by email when the incident changes state"
    )


class MergeIn(BaseModel):
    """Duplicate reports to merge into this incident (the primary)."""

    duplicates: list[IncidentCode] = Field(min_length=1, max_length=50, examples=[["E0000002"]])
    note: Prose = Field("", max_length=2000)


class TransitionIn(BaseModel):
    """A move: dispatch, sign, reject, handle, feed_back or evaluate."""

    action: str = Field(examples=list(ACTIONS))
    note: str | None = Field(None, max_length=2000)
    department: str | None = Field(None, max_length=64, description="dispatch: to whom")
    satisfied: bool | None = Field(None, description="evaluate: is the reporter satisfied")


# ----------------------------------------------------------------------------- reference


VIEWING = [Depends(require_permission(Permission.VIEW_MAP))]


@router.get(
    "/incidents/categories",
    summary="Incident categories, departments and deadlines",
    dependencies=VIEWING,
)
def incident_categories(conn: ConnDep) -> list[CategoryOut]:
    return [CategoryOut.model_validate(c.to_dict()) for c in categories(conn)]


@router.get(
    "/incidents/admission-lists",
    summary="The four admission lists (四张清单)",
    dependencies=VIEWING,
)
def incident_admission_lists(conn: ConnDep) -> AdmissionListsOut:
    return AdmissionListsOut.model_validate({"lists": admission_lists(conn)}, from_attributes=True)


# ----------------------------------------------------------------------------- map and figures


@router.get(
    "/incidents",
    summary="Incidents as GeoJSON, filtered, newest first, paged",
    responses=GEO_RESPONSE,
    response_class=Response,
)
def incidents(
    conn: ConnDep,
    access: MapAccess,
    now: NowDep,
    filters: FiltersDep,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> Response:
    body = list_incidents(conn, filters, limit=limit, offset=offset, now=now, access=access)
    return Response(body, media_type="application/geo+json")


@router.get("/incidents/points", summary="Every matching incident as a compact row, for the map")
def incident_points(
    conn: ConnDep, access: MapAccess, now: NowDep, filters: FiltersDep
) -> PointsOut:
    return PointsOut.model_validate(
        points(conn, filters, now=now, access=access), from_attributes=True
    )


@router.get(
    "/incidents/hexagons",
    summary="Incidents per H3 hexagon (resolution by zoom)",
    responses=GEO_RESPONSE,
    response_class=Response,
)
def incident_hexagons(
    conn: ConnDep,
    access: MapAccess,
    now: NowDep,
    filters: FiltersDep,
    zoom: Annotated[float | None, Query(ge=0, le=22)] = None,
    resolution: Annotated[int | None, Query(ge=4, le=12)] = None,
) -> Response:
    doc = hexagons(conn, filters, resolution=resolution, zoom=zoom, now=now, access=access)
    return Response(dumps(doc), media_type="application/geo+json")


@router.get("/incidents/figures", summary="Counts, on-time rates, send-backs, satisfaction")
def incident_figures(
    conn: ConnDep,
    access: MapAccess,
    now: NowDep,
    filters: FiltersDep,
    by: Annotated[str, Query(description=", ".join(GROUPS))] = "grid",
) -> FiguresOut:
    return FiguresOut.model_validate(figures(conn, by, filters, now=now, access=access))


@router.get("/incidents/queue", summary="The incidents waiting at one stage of the loop")
def incident_queue(
    conn: ConnDep,
    access: MapAccess,
    now: NowDep,
    stage: Annotated[
        Literal["handle", "dispatch", "evaluate"],
        Query(description="handle: 待办 (by deadline); dispatch: 待派遣; evaluate: 待评价"),
    ] = "handle",
    department: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> QueueOut:
    waiting = queue(conn, stage=stage, department=department, limit=limit, now=now, access=access)
    return QueueOut.model_validate(waiting.to_dict())


@router.get(
    "/incidents/duplicates",
    summary="Open incidents of a category near a point: what a new report may repeat",
)
def incident_duplicates(
    conn: ConnDep,
    access: AccessDep,
    now: NowDep,
    lon: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)],
    lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)],
    category: Annotated[str, Query(max_length=32)],
    limit: Annotated[int, Query(ge=1, le=MAX_SUGGESTIONS)] = 5,
) -> list[PossibleDuplicateOut]:
    """Within the category's distance (default 50 m) and time window (default 72 h), nearest
    first; only incidents the caller may see. Ask before filing: the answer changes nothing."""
    found = possible_duplicates(
        conn, lon=lon, lat=lat, category=category, at=now, limit=limit, access=access
    )
    return [PossibleDuplicateOut.model_validate(asdict(d)) for d in found]


# ----------------------------------------------------------------------------- one incident


@router.post("/incidents", status_code=201, summary="Report an incident at a point")
def report_incident(conn: ConnDep, access: AccessDep, now: NowDep, body: IncidentIn) -> ReportedOut:
    """The grid, unit, community and building are found in PostGIS; a category on the negative
    list is dispatched to its department at once (``routing_note`` says why)."""
    return ReportedOut.model_validate(
        create_incident(
            conn,
            lon=body.lon,
            lat=body.lat,
            crs=body.crs,
            category=body.category,
            description=body.description,
            reporter_kind=body.reporter_kind,
            reporter_name=body.reporter_name,
            reporter_phone=body.reporter_phone,
            reporter_email=body.reporter_email,
            now=now,
            access=access,
        )
    )


@router.get("/incidents/{code}", summary="One incident with its history and photos")
def incident(conn: ConnDep, access: MapAccess, now: NowDep, code: Code) -> IncidentOut:
    item = get_incident(conn, code, now=now, access=access)
    for photo in item["photos"]:
        photo["url"] = f"/incidents/{code}/photos/{photo['id']}"
    return IncidentOut.model_validate(item)


@router.post(
    "/incidents/{code}/transitions",
    summary="Move an incident: dispatch, sign, reject, handle, feed_back, evaluate",
    responses={409: {"description": "not allowed from the current state (names the allowed)"}},
)
def incident_transition(
    conn: ConnDep, access: AccessDep, now: NowDep, code: Code, body: TransitionIn
) -> TransitionOut:
    return TransitionOut.model_validate(
        transition(
            conn,
            code,
            body.action,
            note=body.note,
            department=body.department,
            satisfied=body.satisfied,
            now=now,
            access=access,
        )
    )


@router.post(
    "/incidents/{code}/merge",
    summary="Merge duplicate reports into this incident (dispatchers)",
    responses={409: {"description": "a chain, an already merged or a closed incident"}},
)
def incident_merge(
    conn: ConnDep, access: AccessDep, now: NowDep, code: Code, body: MergeIn
) -> MergeOut:
    """The duplicates take this incident's state and follow it from now on; their reporters
    are told. Refused, nothing changed: itself, another category, a merged primary (no chains),
    a closed one, or one outside the caller's scope."""
    done = merge(conn, code, body.duplicates, note=body.note, now=now, access=access)
    return MergeOut.model_validate(asdict(done))


@router.post("/incidents/{code}/photos", status_code=201, summary="Add a photo (JPEG/PNG/WebP)")
def incident_photo(
    conn: ConnDep,
    settings: SettingsDep,
    access: AccessDep,
    now: NowDep,
    code: Code,
    file: UploadFile,
) -> StoredPhotoOut:
    """At most 1,000,000 bytes; the type is judged by the file's content, not its name."""
    data = file.file.read(MAX_PHOTO_BYTES + 1)
    return StoredPhotoOut.model_validate(
        add_photo(conn, code, data, data_dir=settings.data_dir, now=now, access=access),
        from_attributes=True,
    )


@router.get(
    "/incidents/{code}/photos/{photo_id}",
    summary="One photo's file",
    response_class=Response,
    responses={
        200: {
            "content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}},
            "description": "the photo as uploaded",
        }
    },
)
def incident_photo_file(
    conn: ConnDep, settings: SettingsDep, access: MapAccess, code: Code, photo_id: int
) -> Response:
    if photo_id < 1:
        raise Invalid("照片编号从 1 开始 (photo ids start at 1)")
    path, media_type = photo_file(conn, code, photo_id, data_dir=settings.data_dir, access=access)
    return FileResponse(path, media_type=media_type)
