"""The councils page at ``/councils/map`` (议事协商): open to every role that may view the map;
the step form follows the role, and ``/councils/…`` checks every step again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from api.deps import SettingsDep
from api.page_auth import page_response, page_viewer
from gis.accounts import Permission
from maps.councils_page import councils_page_html
from maps.nav import PageViewer

router = APIRouter(tags=["pages"], include_in_schema=False)
MapViewer = Annotated[PageViewer, Depends(page_viewer(Permission.VIEW_MAP))]


@router.get("/councils/map", response_class=HTMLResponse)
def councils_page(settings: SettingsDep, viewer: MapViewer) -> Response:
    html = councils_page_html(settings, viewer, can_hold=viewer.user.can(Permission.HOLD_COUNCILS))
    return page_response(html, settings)
