"""The service-points page at ``/facilities/map``: open to every role that may view the map;
``/facilities/…`` keeps to the caller's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from api.deps import SettingsDep
from api.page_auth import page_response, page_viewer
from gis.accounts import Permission
from maps.facilities_page import facilities_page_html
from maps.nav import PageViewer

router = APIRouter(tags=["pages"], include_in_schema=False)
MapViewer = Annotated[PageViewer, Depends(page_viewer(Permission.VIEW_MAP))]


@router.get("/facilities/map", response_class=HTMLResponse)
def facilities_page(settings: SettingsDep, viewer: MapViewer) -> Response:
    return page_response(facilities_page_html(settings, viewer), settings)
