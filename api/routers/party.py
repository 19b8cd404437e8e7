"""Party members' grid roles: assignments (coverage, suggestions and the field worker's grid
are in :mod:`api.routers.party_coverage`, included here).

Reads need ``view_map`` and answer within the user's scope; changes need
``manage_assignments``. Names and phone numbers are in full only for roles that need them
(``view_personal_data``), masked for everyone else; each answer says which
(``personal_data: full | masked``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field, StringConstraints

from api.auth import MapAccess, permitted, require_permission
from api.deps import ConnDep, SettingsDep
from api.downloads import download
from api.geo import GEO_RESPONSE, BBoxQuery, CrsQuery, bbox_or_none, geojson
from api.routers.party_coverage import router as coverage_router
from api.routers.party_params import (
    MAX_OFFSET,
    LimitQuery,
    OffsetQuery,
    OnQuery,
)
from api.schemas.party import (
    ArchivedAssignmentOut,
    AssignmentOut,
    AssignmentPageOut,
)
from gis.access import Access
from gis.accounts import Permission, User
from gis.errors import Invalid
from gis.party import (
    AssignmentQuery,
    PartyRole,
    Target,
    archived_assignments,
    assign,
    assignments_geojson,
    end_assignment,
    export_assignments,
    get_assignment,
    list_assignments,
    send_cadres,
)

router = APIRouter(prefix="/party", tags=["party"])

Viewer = Annotated[User, Depends(require_permission(Permission.VIEW_MAP))]
ManagerAccess = Annotated[Access, Depends(permitted(Permission.MANAGE_ASSIGNMENTS))]

Code = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_-]{1,64}$")]
TargetText = Annotated[
    str,
    StringConstraints(pattern=r"^(grid|building|entrance):[0-9A-Za-z_/-]{1,140}$"),
    Field(
        description="grid:LAYER/CODE (or grid:CODE, a unified grid), building:CODE or "
        "entrance:BUILDING/NUMBER",
        examples=["building:361002001001U001B001"],
    ),
]
AssignmentId = Annotated[int, Path(ge=1, le=MAX_OFFSET)]


def assignment_query(
    role: Annotated[PartyRole | None, Query(description="网格长 grid_leader …")] = None,
    organisation: Annotated[
        str | None, Query(pattern=r"^[0-9A-Za-z_-]{1,16}$", description="organisation code")
    ] = None,
    layer: Annotated[
        str | None, Query(pattern=r"^[a-z0-9_-]{1,64}$", description="grid targets of a layer")
    ] = None,
    target: Annotated[TargetText | None, Query()] = None,
    member: Annotated[
        str | None, Query(pattern=r"^[0-9A-Za-z_-]{1,16}$", description="member code")
    ] = None,
    on: OnQuery = None,
    history: Annotated[
        bool, Query(description="ended and future assignments too (a target's history)")
    ] = False,
) -> AssignmentQuery:
    return AssignmentQuery(
        role=role,
        organisation=organisation,
        layer=layer,
        target=Target.parse(target) if target else None,
        member=member,
        on=on,
        history=history,
    )


QueryDep = Annotated[AssignmentQuery, Depends(assignment_query)]


class AssignIn(BaseModel):
    """Give a member a role over a target for a period."""

    member: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_-]{1,16}$")] = Field(
        examples=["M000123"]
    )
    role: PartyRole
    target: TargetText
    starts_on: dt.date
    ends_on: dt.date | None = Field(None, description="last day; empty: open-ended")
    replace: bool = Field(
        False,
        description="hand over: end the current holder's open assignment the day before",
    )


class EndIn(BaseModel):
    ends_on: dt.date = Field(description="the last day served")


class CadresIn(BaseModel):
    """An organisation sends some of its members down to a grid (下沉干部)."""

    grid: TargetText = Field(examples=["grid:unified/361002001001001"])
    members: list[Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_-]{1,16}$")]] = Field(
        min_length=1, max_length=500
    )
    starts_on: dt.date
    ends_on: dt.date | None = None


# ----------------------------------------------------------------------------- assignments


@router.get("/assignments", summary="Assignments in my scope (who leads what)")
def assignments(
    conn: ConnDep,
    access: MapAccess,
    query: QueryDep,
    limit: LimitQuery = 500,
    offset: OffsetQuery = 0,
) -> AssignmentPageOut:
    """Current assignments (or, with ``history``, every one, ended or not), newest first;
    filter by role, organisation, layer, target or member."""
    return AssignmentPageOut.model_validate(
        list_assignments(conn, query, limit=limit, offset=offset, access=access)
    )


@router.get(
    "/assignments.geojson",
    summary="Who leads what, where: assignments on the map",
    responses=GEO_RESPONSE,
    response_class=Response,
)
def assignments_map(
    conn: ConnDep,
    access: MapAccess,
    query: QueryDep,
    bbox: BBoxQuery = None,
    limit: LimitQuery = 5000,
    offset: OffsetQuery = 0,
    crs: CrsQuery = "wgs84",
) -> Response:
    """One point per assignment, on its building or grid; filter by role and organisation."""
    body = assignments_geojson(
        conn,
        query,
        bbox=bbox_or_none(bbox),
        limit=limit,
        offset=offset,
        access=access,
    )
    return geojson(body, crs)


@router.get(
    "/assignments/export",
    summary="Export assignments as CSV or XLSX",
    response_class=Response,
    responses={
        200: {
            "content": {
                "text/csv": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            },
            "description": "the file; X-Gridmap-Fields and X-Gridmap-Personal-Data say what it "
            "carries",
        }
    },
)
def export(
    conn: ConnDep,
    access: MapAccess,
    query: QueryDep,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "xlsx",
) -> Response:
    """The assignments the filters select. The file says which fields it holds and whether
    names and phones are in full or masked (an XLSX on its 说明 About sheet; both in the
    headers and the file name). Recorded as ``assignment.export``."""
    out = export_assignments(conn, format, query, access=access)
    return download(out)


@router.get(
    "/archive/{layer}/{grid}",
    summary="Assignments of a grid that was deleted (merged away, re-imported)",
)
def archived(
    conn: ConnDep, access: MapAccess, layer: str, grid: str
) -> list[ArchivedAssignmentOut]:
    return [
        ArchivedAssignmentOut.model_validate(r)
        for r in archived_assignments(conn, layer, grid, access=access)
    ]


@router.get("/assignments/{assignment_id}", summary="One assignment")
def one_assignment(conn: ConnDep, access: MapAccess, assignment_id: AssignmentId) -> AssignmentOut:
    return AssignmentOut.model_validate(get_assignment(conn, assignment_id, access=access))


NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such member, target, assignment or organisation"}
}


@router.post("/assignments", status_code=201, summary="Give a member a role", responses=NOT_FOUND)
def create_assignment(
    conn: ConnDep, access: ManagerAccess, settings: SettingsDep, body: AssignIn
) -> AssignmentOut:
    """Grid leader (网格长) or cadre (下沉干部) over a grid, building leader (楼栋长) over a
    building, unit leader (单元长) over an entrance unit. A target has one leader at a time:
    an overlapping period is 409 naming the current holder, unless ``replace`` hands over.
    A member leads at most GRIDMAP_PARTY_MAX_BUILDINGS buildings (409 beyond)."""
    return AssignmentOut.model_validate(
        assign(
            conn,
            member=body.member,
            role=body.role,
            target=Target.parse(body.target),
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            max_buildings=settings.party_max_buildings,
            replace=body.replace,
            access=access,
        )
    )


@router.post(
    "/assignments/{assignment_id}/end",
    summary="End an assignment (history is kept)",
    responses=NOT_FOUND,
)
def end(
    conn: ConnDep, access: ManagerAccess, assignment_id: AssignmentId, body: EndIn
) -> AssignmentOut:
    return AssignmentOut.model_validate(
        end_assignment(conn, assignment_id, body.ends_on, access=access)
    )


@router.post(
    "/organisations/{organisation}/cadres",
    status_code=201,
    summary="An organisation sends cadres down to a grid",
    responses=NOT_FOUND,
)
def cadres(
    conn: ConnDep,
    access: ManagerAccess,
    settings: SettingsDep,
    organisation: Annotated[str, Path(pattern=r"^[0-9A-Za-z_-]{1,16}$")],
    body: CadresIn,
) -> list[AssignmentOut]:
    """Every member named must belong to the organisation; all are assigned or none."""
    grid = Target.parse(body.grid)
    if grid.kind != "grid":
        raise Invalid(
            "下沉干部只能下沉到网格（grid:图层/代码） ("
            "cadres are sent down to a grid (grid:LAYER/CODE))"
        )
    return [
        AssignmentOut.model_validate(r)
        for r in send_cadres(
            conn,
            organisation=organisation,
            grid=grid,
            members=body.members,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            max_buildings=settings.party_max_buildings,
            access=access,
        )
    ]


# Coverage, suggestions and the field view (read-only views of the same assignments), after the
# assignment routes as before: included last, the paths keep their order in the document.
router.include_router(coverage_router)
