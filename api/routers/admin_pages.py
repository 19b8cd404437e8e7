"""The administrator's page: ``GET /admin`` (users and the audit log) and ``POST /admin/users``
(the form that creates a user; the form carries the CSRF token).

A refused form shows the page again with the reason and the values typed, and changes nothing.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import escape
from pydantic import ValidationError
from sqlalchemy import Connection

from api.auth import Auth, OptionalAuth, PolicyDep
from api.deps import ConnDep, SettingsDep
from api.routers.pages import page_response
from api.schemas import UserCreate
from api.security import csrf_token
from gis import audit
from gis.access import Access
from gis.accounts import ROLE_LABELS, Permission, create_user, describe_scope, list_users
from gis.errors import GridmapError
from gis.infra.settings import Settings
from gis.scope import Scope
from maps.admin_page import AdminView, admin_page_html
from maps.nav import HeaderUser, page_links

router = APIRouter(tags=["pages"], include_in_schema=False)
AUDIT_ROWS = 30


def _page(
    conn: Connection,
    settings: Settings,
    secret: str,
    auth: Auth,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    user = auth.user
    header = HeaderUser(
        user.display_name or user.username,
        ROLE_LABELS[user.role],
        describe_scope(conn, user.scope),
        csrf_token(secret, auth.token),
        page_links(user),
    )
    view = AdminView(
        header=header,
        users=list_users(conn, access=Access.of(user)),
        audit=audit.list_entries(conn, audit.AuditQuery(), limit=AUDIT_ROWS)["items"],
        form=form or {},
        error=error,
        notice=notice,
    )
    return page_response(admin_page_html(view), settings, status)


def _refusal(error: GridmapError, settings: Settings) -> HTMLResponse:
    page = f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{error.status}</title>
</head><body style="font-family:system-ui,sans-serif;padding:16px">
<h1 style="font-size:18px">无权访问 Not allowed</h1>
<p data-testid="refusal">{escape(error.message)}</p>
<p><a href="./">返回地图 Back to the map</a></p></body></html>"""
    return page_response(page, settings, error.status)


@router.get("/admin", response_class=HTMLResponse)
def admin_page(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    policy: PolicyDep,
    auth: OptionalAuth,
    created: str | None = None,
) -> Response:
    """Users in my scope, a form to create one, the newest audit entries (administrators)."""
    if auth is None:
        return RedirectResponse("login?next=" + quote(request.url.path), status_code=303)
    try:
        auth.user.require(Permission.MANAGE_USERS)
    except GridmapError as error:
        return _refusal(error, settings)
    notice = f"已创建用户 {created} Created user {created}" if created else None
    return _page(conn, settings, policy.secret, auth, notice=notice)


@router.post("/admin/users", response_class=HTMLResponse)
def admin_create_user(
    conn: ConnDep,
    settings: SettingsDep,
    policy: PolicyDep,
    auth: OptionalAuth,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    role: Annotated[str, Form(max_length=32)],
    scope: Annotated[str, Form(max_length=100)],
    display_name: Annotated[str, Form(max_length=64)] = "",
    department: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Create the user (audited as ``user.create``), then show the page with it listed."""
    if auth is None:
        return RedirectResponse("../login?next=/admin", status_code=303)
    typed = {
        "username": username,
        "display_name": display_name,
        "role": role,
        "scope": scope,
        "department": department,
    }
    try:
        auth.user.require(Permission.MANAGE_USERS)
        body = UserCreate(
            username=username,
            password=password,
            role=role,  # type: ignore[arg-type]  # validated into a Role here
            scope=scope,
            department=department or None,
            display_name=display_name,
        )
        create_user(
            conn,
            username=body.username,
            password=body.password,
            role=body.role,
            scope=Scope.parse(body.scope),
            department=body.department,
            display_name=body.display_name,
            access=Access.of(auth.user),
        )
    except ValidationError as error:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        return _page(
            conn, settings, policy.secret, auth, form=typed, status=422,
            error=f"请检查填写内容 Please check the form: {reasons}",
        )  # fmt: skip
    except GridmapError as error:  # every check runs before anything is written
        return _page(
            conn, settings, policy.secret, auth, form=typed, status=error.status,
            error=f"未创建 Not created: {error.message}",
        )  # fmt: skip
    return RedirectResponse(f"../admin?created={quote(body.username)}", status_code=303)
