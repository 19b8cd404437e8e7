"""The change-password page: ``GET /password`` shows the form, ``POST /password`` changes it.

The JSON route (``POST /auth/password``) does the same for scripts; both call
:func:`gis.accounts.change_password`, which checks the current password and the new one's
strength, ends the user's other sessions and writes the audit row.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import NowDep
from api.deps import ConnDep, SettingsDep
from api.page_auth import page_response, page_viewer
from api.routers.pages import landing, safe_next
from gis.accounts import change_password
from gis.errors import GridmapError
from maps.nav import PageViewer
from maps.password_page import password_page_html

router = APIRouter(tags=["pages"], include_in_schema=False)
#: The one page a user whose password was reset may open (without a session: log in first).
PasswordViewer = Annotated[PageViewer, Depends(page_viewer(password_page=True))]


@router.get("/password", response_class=HTMLResponse)
def password_page(settings: SettingsDep, viewer: PasswordViewer, next: str = "/") -> Response:
    """The form."""
    return page_response(password_page_html(viewer, next_url=safe_next(next)), settings)


@router.post("/password", response_class=HTMLResponse)
def password_form(
    conn: ConnDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PasswordViewer,
    old_password: Annotated[str, Form(max_length=256)],
    new_password: Annotated[str, Form(max_length=256)],
    repeat_password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Change the password; on success go on to ``next`` (or the role's home page)."""
    target = safe_next(next)
    error: str | None = None
    status = 200
    if new_password != repeat_password:
        error, status = "两次输入的新密码不一致。 The two new passwords differ.", 422
    else:
        try:
            change_password(
                conn, viewer.user, old_password, new_password, keep_session=viewer.session_id,
                now=now,
            )  # fmt: skip
        except GridmapError as exc:
            error, status = str(exc), exc.status
    if error is None:  # the landing page follows the role, which the change leaves as it was
        return RedirectResponse(landing(target, viewer.user), status_code=303)
    html = password_page_html(viewer, next_url=target, error=error)
    return page_response(html, settings, status)
