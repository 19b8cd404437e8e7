"""The party pages: ``/field`` (a field worker's own grid, phone-sized) and ``/party`` (the
organisation department's coverage and assignments, desktop).

A page is only a face: its data comes from ``/party/…`` with the same scope checks. The field
page refuses, with 403, a grid the user's scope does not reach, before any data is sent.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response

from api.deps import ConnDep, SettingsDep
from api.page_auth import PageRefused, Refusal, page_response, page_viewer
from gis.accounts import Permission
from gis.errors import GridmapError
from gis.party.field import reachable_grid
from gis.scope import DEFAULT_GRID_LAYER
from maps.field_page import field_page_html
from maps.nav import PageViewer
from maps.party_page import party_page_html

router = APIRouter(tags=["pages"], include_in_schema=False)
MapViewer = Annotated[PageViewer, Depends(page_viewer(Permission.VIEW_MAP))]

GridQuery = Annotated[str | None, Query(pattern=r"^[0-9]{12}[0-9A-Za-z]{1,12}$")]
LayerQuery = Annotated[str | None, Query(pattern=r"^[a-z0-9_-]{1,64}$")]


@router.get("/field", response_class=HTMLResponse)
def field_page(
    conn: ConnDep,
    settings: SettingsDep,
    viewer: MapViewer,
    grid: GridQuery = None,
    layer: LayerQuery = None,
) -> Response:
    """A field worker's grid (their own; another is 403); others name a grid in scope."""
    scope = viewer.user.scope
    if grid is None and scope.level == "grid":
        grid, layer = scope.code, layer or scope.layer
    layer = layer or DEFAULT_GRID_LAYER
    if grid is not None:
        try:
            reachable_grid(conn, layer, grid, scope)
        except GridmapError as error:  # 403 for another grid, 404 for no such grid
            said = Refusal(*error.title.split(" ", 1))
            raise PageRefused(viewer, said, error.message, error.status) from None
    html = field_page_html(settings, viewer, grid=grid, layer=layer)
    return page_response(html, settings)


@router.get("/party", response_class=HTMLResponse)
def party_page(settings: SettingsDep, viewer: MapViewer) -> Response:
    """Coverage and assignments for the organisation department (and anyone who may view the
    map, read-only and masked as their role requires)."""
    html = party_page_html(
        viewer,
        can_assign=viewer.user.can(Permission.MANAGE_ASSIGNMENTS),
        max_buildings=settings.party_max_buildings,
    )
    return page_response(html, settings)
