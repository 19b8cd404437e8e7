"""The needs page at ``/needs/map`` (三张清单): open to every role that may view the map; the
dispatch and answer buttons follow the role, and ``/needs/…`` checks every move again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from api.deps import SettingsDep
from api.page_auth import page_response, page_viewer
from gis.accounts import Permission
from maps.nav import PageViewer
from maps.needs_page import needs_page_html

router = APIRouter(tags=["pages"], include_in_schema=False)
MapViewer = Annotated[PageViewer, Depends(page_viewer(Permission.VIEW_MAP))]


@router.get("/needs/map", response_class=HTMLResponse)
def needs_page(settings: SettingsDep, viewer: MapViewer) -> Response:
    html = needs_page_html(
        settings,
        viewer,
        can_dispatch=viewer.user.can(Permission.DISPATCH_NEEDS),
        can_take=viewer.user.can(Permission.TAKE_ORDERS),
    )
    return page_response(html, settings)
