"""Pages of the scenarios feature: ``/compare`` (方案比选) and a scenario's printable report."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import OptionalAuth, PolicyDep
from api.deps import ConnDep, SettingsDep
from api.routers.pages import page_response
from api.security import csrf_token
from gis.access import Access
from gis.accounts import ROLE_LABELS, Permission, describe_scope
from gis.scenarios.report import report_data
from maps.compare_page import PageUser, compare_page_html
from maps.nav import page_links
from maps.scenario_report import report_html

router = APIRouter(tags=["pages"], include_in_schema=False)


def _login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?next=" + quote(target), status_code=303)


@router.get("/compare", response_class=HTMLResponse)
def compare_page(
    request: Request, conn: ConnDep, settings: SettingsDep, policy: PolicyDep, auth: OptionalAuth
) -> Response:
    """Run, compare, cross-walk and adopt scenarios (county staff and administrators)."""
    if auth is None:
        return _login(request)
    user = auth.user
    user.require(Permission.RUN_SCENARIOS)
    selected = [
        request.query_params[k] for k in ("a", "b", "c", "d", "e") if request.query_params.get(k)
    ]
    page = compare_page_html(
        PageUser(
            name=user.display_name or user.username,
            scope=describe_scope(conn, user.scope),
            scope_code=user.scope.code,
            csrf_token=csrf_token(policy.secret, auth.token),
            role=ROLE_LABELS[user.role],
            pages=page_links(user),
        ),
        {"band": [settings.band_low, settings.band_high], "selected": selected},
    )
    return page_response(page, settings)


@router.get("/scenarios/{scenario_id}/report", response_class=HTMLResponse)
def report_page(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    auth: OptionalAuth,
    scenario_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> Response:
    """One printable page: map, metrics against today's unified layer, histogram, figures."""
    if auth is None:
        return _login(request)
    return page_response(
        report_html(report_data(conn, scenario_id, settings, access=Access.of(auth.user))), settings
    )
