"""The administrator's page: ``GET /admin`` (users and the audit log) and ``POST /admin/users``
(the form that creates a user; the form carries the CSRF token).

A refused form shows the page again with the reason and the values typed, and changes nothing.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import Connection

from api.deps import ConnDep, SettingsDep
from api.page_auth import page_response, page_viewer
from api.schemas import UserCreate
from gis import audit
from gis.access import Access
from gis.accounts import Permission, create_user, list_users
from gis.errors import GridmapError
from gis.infra.settings import Settings
from gis.scope import Scope
from maps.admin_page import AdminView, admin_page_html
from maps.nav import PageViewer

router = APIRouter(tags=["pages"], include_in_schema=False)
AdminViewer = Annotated[PageViewer, Depends(page_viewer(Permission.MANAGE_USERS))]
AUDIT_ROWS = 30


def _page(
    conn: Connection,
    settings: Settings,
    viewer: PageViewer,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    view = AdminView(
        viewer=viewer,
        users=list_users(conn, access=Access.of(viewer.user)),
        audit=audit.list_entries(conn, audit.AuditQuery(), limit=AUDIT_ROWS)["items"],
        form=form or {},
        error=error,
        notice=notice,
    )
    return page_response(admin_page_html(view), settings, status)


@router.get("/admin", response_class=HTMLResponse)
def admin_page(
    conn: ConnDep, settings: SettingsDep, viewer: AdminViewer, created: str | None = None
) -> Response:
    """Users in my scope, a form to create one, the newest audit entries (administrators)."""
    notice = f"已创建用户 {created} Created user {created}" if created else None
    return _page(conn, settings, viewer, notice=notice)


@router.post("/admin/users", response_class=HTMLResponse)
def admin_create_user(
    conn: ConnDep,
    settings: SettingsDep,
    viewer: AdminViewer,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    role: Annotated[str, Form(max_length=32)],
    scope: Annotated[str, Form(max_length=100)],
    display_name: Annotated[str, Form(max_length=64)] = "",
    department: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Create the user (audited as ``user.create``), then show the page with it listed."""
    typed = {
        "username": username,
        "display_name": display_name,
        "role": role,
        "scope": scope,
        "department": department,
    }
    try:
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
            access=Access.of(viewer.user),
        )
    except ValidationError as error:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        return _page(
            conn, settings, viewer, form=typed, status=422,
            error=f"请检查填写内容 Please check the form: {reasons}",
        )  # fmt: skip
    except GridmapError as error:  # every check runs before anything is written
        return _page(
            conn, settings, viewer, form=typed, status=error.status,
            error=f"未创建 Not created: {error.message}",
        )  # fmt: skip
    return RedirectResponse(f"../admin?created={quote(body.username)}", status_code=303)
