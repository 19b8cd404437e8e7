"""议事协商 over HTTP: topics raised (from a need, in a community, or from an incident the
吹哨报到 loop cannot close), their four steps recorded in order, venues, figures and exports.

Permissions: raising topics, recording steps, adding venues — ``hold_councils`` (the
community's party committee, in its scope); escalating an incident to a need —
``dispatch_needs``, to a council — ``hold_councils``. Reading follows the scope (``view_map``).
The rules live in :mod:`gis.councils`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from api.auth import MapAccess, NowDep, permitted
from api.deps import ConnDep
from api.downloads import download
from api.schemas.councils import (
    CouncilBody,
    CouncilFigureTableOut,
    CouncilOut,
    CouncilsOut,
    EscalateBody,
    EscalatedOut,
    StepBody,
    VenueBody,
    VenueOut,
    VenuesOut,
)
from gis.access import Access
from gis.accounts import Permission
from gis.councils import (
    CouncilIn,
    StepIn,
    Task,
    add_venue,
    escalate_to_council,
    escalate_to_need,
    get_council,
    list_councils,
    list_venues,
    raise_council,
    record_step,
)
from gis.councils.figures import councils_by_area, export_councils
from gis.errors import Invalid
from gis.needs.figures import Level, Period

router = APIRouter(
    prefix="/councils",
    tags=["councils"],
    responses={404: {"description": "no such council, venue, need, incident or community"}},
)
CouncilCode = Annotated[str, Path(pattern=r"^[0-9A-Za-z_-]{1,24}$")]
IncidentCode = Annotated[str, Path(pattern=r"^[0-9A-Za-z_-]{1,16}$")]
Holder = Annotated[Access, Depends(permitted(Permission.HOLD_COUNCILS))]
By = Annotated[Level, Query()]


@router.post("", status_code=201, summary="Raise a council topic and invite the five parties")
def council_create(conn: ConnDep, access: Holder, now: NowDep, body: CouncilBody) -> CouncilOut:
    """From a need or in a community; a venue of another community → 422."""
    topic = CouncilIn(**body.model_dump())
    return CouncilOut.model_validate(raise_council(conn, topic, access=access, now=now))


@router.get("", summary="Councils the caller may read, newest first")
def council_list(
    conn: ConnDep,
    access: MapAccess,
    status: Annotated[str | None, Query(max_length=12)] = None,
    community: Annotated[str | None, Query(pattern=r"^[0-9]{1,12}$")] = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> CouncilsOut:
    found = list_councils(conn, access=access, status=status, community=community, limit=limit)
    return CouncilsOut.model_validate({"items": found})


@router.get("/venues", summary="Council venues (居民之家, 议事厅, 议事坪) in the caller's scope")
def venue_list(
    conn: ConnDep,
    access: MapAccess,
    community: Annotated[str | None, Query(pattern=r"^[0-9]{1,12}$")] = None,
) -> VenuesOut:
    return VenuesOut.model_validate(
        {"items": list_venues(conn, access=access, community=community)}
    )


@router.post("/venues", status_code=201, summary="Add a venue inside a community")
def venue_create(conn: ConnDep, access: Holder, body: VenueBody) -> VenueOut:
    made = add_venue(
        conn, body.code, body.name, body.kind, body.community, body.lon, body.lat, access=access
    )
    return VenueOut.model_validate(made)


@router.get("/figures", summary="Councils raised, held and settled per area")
def council_figures(
    conn: ConnDep,
    access: MapAccess,
    now: NowDep,
    by: By = "grid",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> CouncilFigureTableOut:
    period = Period.asked(start, end, now)
    areas = councils_by_area(conn, by, period, access=access)
    return CouncilFigureTableOut.model_validate(
        {"by": by, "start": period.start, "end": period.end, "areas": areas}
    )


@router.get(
    "/figures/export", summary="The council figures as CSV or XLSX", response_class=Response
)
def council_figures_export(
    conn: ConnDep,
    access: MapAccess,
    now: NowDep,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "xlsx",  # noqa: A002
    by: By = "community",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Response:
    period = Period.asked(start, end, now)
    return download(export_councils(conn, by, period, format, access=access))


@router.post(
    "/escalate/{incident}", status_code=201, summary="Escalate an incident to a need or a council"
)
def incident_escalate(
    conn: ConnDep, access: MapAccess, now: NowDep, incident: IncidentCode, body: EscalateBody
) -> EscalatedOut:
    """Only an incident its loop cannot close (sent back, overdue, escalated) → else 409."""
    if body.to == "need":
        if body.kind is None or body.due_on is None:
            raise Invalid("转为需求须填写类别与期限 (a need needs its kind and due_on)")
        need = escalate_to_need(
            conn, incident, kind=body.kind, due_on=body.due_on, hours=body.hours,
            title=body.title, requester_name=body.requester_name,
            requester_phone=body.requester_phone, access=access, now=now,
        )  # fmt: skip
        return EscalatedOut(incident=incident, kind="need", code=need.code)
    if body.to == "council":
        council = escalate_to_council(
            conn, incident, title=body.title, venue=body.venue, access=access, now=now
        )
        return EscalatedOut(incident=incident, kind="council", code=council.code)
    raise Invalid(f"to 须为 need 或 council，而不是 {body.to!r} (to is need or council)")


@router.get("/{code}", summary="One council: parties, steps, decision, who does what")
def council_one(conn: ConnDep, access: MapAccess, code: CouncilCode) -> CouncilOut:
    return CouncilOut.model_validate(get_council(conn, code, access=access))


@router.post("/{code}/steps", summary="Record the next of the four steps")
def council_step(
    conn: ConnDep, access: Holder, now: NowDep, code: CouncilCode, body: StepBody
) -> CouncilOut:
    """A step out of order → 409 naming it and the one allowed next; nothing changed."""
    step = StepIn(
        step=body.step, held_on=body.held_on, minutes=body.minutes, decision=body.decision,
        attended=list(body.attended), rating=body.rating,
        tasks=[Task(t.role, t.task, t.due_on) for t in body.tasks],
    )  # fmt: skip
    return CouncilOut.model_validate(record_step(conn, code, step, access=access, now=now))
