"""The grid editor's page, ``/edit`` (planners and administrators); its data come from the
editing API in :mod:`api.routers.editor`. Others get the 403 page saying why not."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from api.deps import SettingsDep
from api.page_auth import Refusal, page_response, page_viewer
from gis.accounts import Permission
from maps.edit_page import edit_page_html
from maps.nav import PageViewer

router = APIRouter(tags=["pages"], include_in_schema=False)

NOT_AN_EDITOR = Refusal(
    heading="无编辑权限",
    heading_en="Not allowed to edit",
    message="{role}（{scope}）不能编辑网格。",
    message_en="Only planners and administrators redraw grids.",
    testid="forbidden",
)
EditorViewer = Annotated[
    PageViewer, Depends(page_viewer(Permission.EDIT_LAYERS, refusal=NOT_AN_EDITOR))
]


@router.get("/edit", response_class=HTMLResponse)
def edit_page(settings: SettingsDep, viewer: EditorViewer) -> Response:
    """The editor page."""
    return page_response(edit_page_html(settings, viewer), settings)
