"""The change-password page: ``GET /password`` shows the form, ``POST /password`` changes it.

The JSON route (``POST /auth/password``) does the same for scripts; both call
:func:`gis.accounts.change_password`, which checks the current password and the new one's
strength, ends the user's other sessions and writes the audit row.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import NowDep, OptionalAuth, PolicyDep
from api.deps import ConnDep, SettingsDep
from api.routers.pages import landing, page_response, safe_next
from api.security import csrf_token
from gis.accounts import change_password
from gis.errors import GridmapError
from maps.password_page import password_page_html

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/password", response_class=HTMLResponse)
def password_page(
    request: Request, settings: SettingsDep, policy: PolicyDep, auth: OptionalAuth, next: str = "/"
) -> Response:
    """The form (without a session: log in first, then come back here)."""
    if auth is None:
        return RedirectResponse("login?next=" + quote(request.url.path), status_code=303)
    html = password_page_html(
        username=auth.user.username,
        csrf_token=csrf_token(policy.secret, auth.token),
        next_url=safe_next(next),
        forced=auth.user.must_change_password,
    )
    return page_response(html, settings)


@router.post("/password", response_class=HTMLResponse)
def password_form(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    policy: PolicyDep,
    now: NowDep,
    auth: OptionalAuth,
    old_password: Annotated[str, Form(max_length=256)],
    new_password: Annotated[str, Form(max_length=256)],
    repeat_password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Change the password; on success go on to ``next`` (or the role's home page)."""
    if auth is None:
        return RedirectResponse("login?next=" + quote(request.url.path), status_code=303)
    target = safe_next(next)
    error: str | None = None
    status = 200
    if new_password != repeat_password:
        error, status = "两次输入的新密码不一致。 The two new passwords differ.", 422
    else:
        try:
            change_password(
                conn, auth.user, old_password, new_password, keep_session=auth.session_id, now=now
            )
        except GridmapError as exc:
            error, status = str(exc), exc.status
    if error is None:  # the landing page follows the role, which the change leaves as it was
        return RedirectResponse(landing(target, auth.user), status_code=303)
    html = password_page_html(
        username=auth.user.username,
        csrf_token=csrf_token(policy.secret, auth.token),
        next_url=target,
        forced=auth.user.must_change_password,
        error=error,
    )
    return page_response(html, settings, status)
