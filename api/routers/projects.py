"""项目清单 over HTTP: projects that a paired unit funds or runs, the needs they group, their
progress. Making projects and adding needs — ``dispatch_needs`` (the community's party staff, in
scope); reading follows the scope. The rules live in :mod:`gis.needs.projects`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from api.auth import MapAccess, NowDep, permitted
from api.deps import ConnDep
from api.schemas.projects import ProjectBody, ProjectNeedsBody, ProjectOut, ProjectsOut
from gis.access import Access
from gis.accounts import Permission
from gis.needs.projects import add_needs, create_project, get_project, list_projects

router = APIRouter(
    prefix="/projects",
    tags=["needs"],
    responses={404: {"description": "no such project, need, unit or community"}},
)
ProjectCode = Annotated[str, Path(pattern=r"^[0-9A-Za-z_-]{1,24}$")]
Dispatcher = Annotated[Access, Depends(permitted(Permission.DISPATCH_NEEDS))]


@router.post("", status_code=201, summary="Make a project a paired unit funds or runs")
def project_create(conn: ConnDep, access: Dispatcher, now: NowDep, body: ProjectBody) -> ProjectOut:
    """A unit not paired with the community → 422; a code taken → 409."""
    made = create_project(
        conn, body.code, body.name, body.unit, body.community, body.role,
        description=body.description, access=access, now=now,
    )  # fmt: skip
    return ProjectOut.model_validate(made)


@router.get("", summary="Projects in the caller's scope, with their progress")
def project_list(
    conn: ConnDep,
    access: MapAccess,
    community: Annotated[str | None, Query(pattern=r"^[0-9]{1,12}$")] = None,
) -> ProjectsOut:
    return ProjectsOut.model_validate(
        {"items": list_projects(conn, access=access, community=community)}
    )


@router.get("/{code}", summary="One project: its needs and progress")
def project_one(conn: ConnDep, access: MapAccess, code: ProjectCode) -> ProjectOut:
    return ProjectOut.model_validate(get_project(conn, code, access=access))


@router.post("/{code}/needs", summary="Add needs of the project's community")
def project_add_needs(
    conn: ConnDep, access: Dispatcher, now: NowDep, code: ProjectCode, body: ProjectNeedsBody
) -> ProjectOut:
    """A need of another community → 422; one in another project → 409; all or none."""
    return ProjectOut.model_validate(add_needs(conn, code, body.needs, access=access, now=now))
