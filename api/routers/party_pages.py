"""The party pages: ``/field`` (a field worker's own grid, phone-sized) and ``/party`` (the
organisation department's coverage and assignments, desktop).

A page is only a face: its data comes from ``/party/…`` with the same scope checks. The field
page refuses, with 403, a grid the user's scope does not reach, before any data is sent.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import escape

from api.auth import OptionalAuth, PolicyDep
from api.deps import ConnDep, SettingsDep
from api.routers.pages import page_response
from api.security import csrf_token
from gis.accounts import ROLE_LABELS, Permission
from gis.errors import GridmapError
from gis.infra.settings import Settings
from gis.party.field import reachable_grid
from gis.scope import DEFAULT_GRID_LAYER
from maps.field_page import FieldViewer, field_page_html
from maps.nav import page_links
from maps.party_page import PartyViewer, party_page_html

router = APIRouter(tags=["pages"], include_in_schema=False)


def _refusal(error: GridmapError, settings: Settings) -> HTMLResponse:
    """A plain page saying why (403 for another grid, 404 for no such grid)."""
    page = f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{error.status}</title>
</head><body style="font-family:system-ui,sans-serif;padding:16px">
<h1 style="font-size:18px">{escape(error.title)}</h1>
<p data-testid="refusal">{escape(error.message)}</p>
<p><a href="./">返回地图 Back to the map</a></p></body></html>"""
    return page_response(page, settings, error.status)


GridQuery = Annotated[str | None, Query(pattern=r"^[0-9]{12}[0-9A-Za-z]{1,12}$")]
LayerQuery = Annotated[str | None, Query(pattern=r"^[a-z0-9_-]{1,64}$")]


@router.get("/field", response_class=HTMLResponse)
def field_page(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    policy: PolicyDep,
    auth: OptionalAuth,
    grid: GridQuery = None,
    layer: LayerQuery = None,
) -> Response:
    """A field worker's grid (their own; another is 403); others name a grid in scope."""
    if auth is None:
        return RedirectResponse("login?next=" + quote(request.url.path), status_code=303)
    user = auth.user
    scope = user.scope
    if grid is None and scope.level == "grid":
        grid, layer = scope.code, layer or scope.layer
    layer = layer or DEFAULT_GRID_LAYER
    try:
        user.require(Permission.VIEW_MAP)
        if grid is not None:
            reachable_grid(conn, layer, grid, scope)
    except GridmapError as error:
        return _refusal(error, settings)
    viewer = FieldViewer(
        name=user.display_name or user.username,
        role=ROLE_LABELS[user.role],
        csrf_token=csrf_token(policy.secret, auth.token),
        grid=grid,
        layer=layer,
        pages=page_links(user),
    )
    return page_response(field_page_html(settings, viewer), settings)


@router.get("/party", response_class=HTMLResponse)
def party_page(
    request: Request,
    settings: SettingsDep,
    policy: PolicyDep,
    auth: OptionalAuth,
) -> Response:
    """Coverage and assignments for the organisation department (and anyone who may view the
    map, read-only and masked as their role requires)."""
    if auth is None:
        return RedirectResponse("login?next=" + quote(request.url.path), status_code=303)
    user = auth.user
    try:
        user.require(Permission.VIEW_MAP)
    except GridmapError as error:
        return _refusal(error, settings)
    viewer = PartyViewer(
        name=user.display_name or user.username,
        role=ROLE_LABELS[user.role],
        csrf_token=csrf_token(policy.secret, auth.token),
        can_assign=user.can(Permission.MANAGE_ASSIGNMENTS),
        max_buildings=settings.party_max_buildings,
        pages=page_links(user),
    )
    return page_response(party_page_html(viewer), settings)
