"""The 考核 page at ``/assessment/map``: for the roles that may see the scores (``view_scores``:
admin, county, party office); ``/assessment/…`` checks the scope of every answer again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from api.deps import SettingsDep
from api.page_auth import page_response, page_viewer
from gis.accounts import Permission
from maps.assessment_page import assessment_page_html
from maps.nav import PageViewer

router = APIRouter(tags=["pages"], include_in_schema=False)
ScoresViewer = Annotated[PageViewer, Depends(page_viewer(Permission.VIEW_SCORES))]


@router.get("/assessment/map", response_class=HTMLResponse)
def assessment_page(settings: SettingsDep, viewer: ScoresViewer) -> Response:
    return page_response(assessment_page_html(settings, viewer), settings)
