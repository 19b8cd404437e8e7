"""Pages of the scenarios feature: ``/compare`` (方案比选) and a scenario's printable report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import NowDep
from api.deps import ConnDep, SettingsDep
from api.page_auth import PageRefused, Refusal, page_response, page_viewer
from gis.access import Access
from gis.accounts import Permission
from gis.errors import GridmapError
from gis.scenarios.report import report_data
from gis.scenarios.sharing import open_share
from maps.compare_page import compare_page_html
from maps.nav import PageViewer
from maps.scenario_report import report_html

router = APIRouter(tags=["pages"], include_in_schema=False)
ScenarioViewer = Annotated[PageViewer, Depends(page_viewer(Permission.RUN_SCENARIOS))]
ReportViewer = Annotated[PageViewer, Depends(page_viewer())]


@router.get("/compare", response_class=HTMLResponse)
def compare_page(request: Request, settings: SettingsDep, viewer: ScenarioViewer) -> Response:
    """Run, compare, cross-walk and adopt scenarios (county staff and administrators)."""
    selected = [
        request.query_params[k] for k in ("a", "b", "c", "d", "e") if request.query_params.get(k)
    ]
    config = {"band": [settings.band_low, settings.band_high], "selected": selected}
    return page_response(compare_page_html(viewer, config), settings)


@router.get("/scenarios/{scenario_id}/report", response_class=HTMLResponse)
def report_page(
    conn: ConnDep,
    settings: SettingsDep,
    viewer: ReportViewer,
    scenario_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> Response:
    """One printable page: map, metrics against today's unified layer, histogram, figures (the
    scenario's scope decides, in report_data)."""
    data = report_data(conn, scenario_id, settings, access=Access.of(viewer.user))
    return page_response(report_html(data), settings)


@router.get("/shared/scenarios/{token}", response_class=HTMLResponse)
def shared_report_page(
    conn: ConnDep,
    settings: SettingsDep,
    viewer: ReportViewer,
    now: NowDep,
    token: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{20,64}$")],
) -> Response:
    """A scenario's report through a read-only link: any logged-in colleague whose scope holds
    the scenario's area (an unknown, expired or revoked link: 404)."""
    try:
        scenario_id, reader = open_share(conn, token, access=Access.of(viewer.user), now=now)
    except GridmapError as error:  # the refusal page, as for any page: 403 scope, 404 link
        said = Refusal(*error.title.split(" ", 1))
        raise PageRefused(viewer, said, error.message, error.status) from None
    return page_response(
        report_html(report_data(conn, scenario_id, settings, access=reader)), settings
    )
