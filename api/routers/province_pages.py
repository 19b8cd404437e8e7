"""The provincial office's page at ``/province``: for roles that may compare areas (the
provincial office, a county, the administrator); ``/rollups`` keeps to the caller's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from api.deps import SettingsDep
from api.page_auth import page_response, page_viewer
from gis.accounts import Permission
from maps.nav import PageViewer
from maps.province_page import province_page_html

router = APIRouter(tags=["pages"], include_in_schema=False)
Comparer = Annotated[PageViewer, Depends(page_viewer(Permission.COMPARE_AREAS))]


@router.get("/province", response_class=HTMLResponse)
def province_page(settings: SettingsDep, viewer: Comparer) -> Response:
    return page_response(province_page_html(settings, viewer), settings)
