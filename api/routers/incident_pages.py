"""The incident map's page, ``/incidents/map``: points, clusters, heat, hexagons, figures and
the queue; its data come from :mod:`api.routers.incidents`. What the page offers to do follows
the user's permissions (the API checks them again)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from api.deps import ConnDep, SettingsDep
from api.page_auth import page_response, page_viewer
from gis.accounts import Permission, User
from gis.incidents.catalogue import categories
from maps.incidents_page import incidents_page_html
from maps.nav import PageViewer

router = APIRouter(tags=["pages"], include_in_schema=False)
MapViewer = Annotated[PageViewer, Depends(page_viewer(Permission.VIEW_MAP))]


def abilities(user: User) -> dict[str, bool]:
    """Which of the incident moves the page offers this user."""
    return {
        "report": user.can(Permission.REPORT_INCIDENTS) or user.can(Permission.DISPATCH_INCIDENTS),
        "dispatch": user.can(Permission.DISPATCH_INCIDENTS),
        "handle": user.can(Permission.HANDLE_INCIDENTS),
        "evaluate": user.can(Permission.DISPATCH_INCIDENTS)
        or user.can(Permission.REPORT_INCIDENTS),
        # An incident the loop cannot close becomes a need or a council topic (议事协商).
        "toNeed": user.can(Permission.DISPATCH_NEEDS),
        "toCouncil": user.can(Permission.HOLD_COUNCILS),
    }


@router.get("/incidents/map", response_class=HTMLResponse)
def incident_map_page(conn: ConnDep, settings: SettingsDep, viewer: MapViewer) -> Response:
    """The incident map."""
    html = incidents_page_html(
        settings,
        viewer,
        categories=[c.to_dict() for c in categories(conn)],
        abilities=abilities(viewer.user),
        department=viewer.user.department,
    )
    return page_response(html, settings)
