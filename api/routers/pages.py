"""HTML pages: the city map at ``/`` (for a logged-in user) and the log-in page at ``/login``.

Who may see a page, and where the others go, is :func:`api.page_auth.page_viewer`.

Pages carry their own Content-Security-Policy: scripts only from the app, or inline with the
nonce of that response.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import (
    NowDep,
    OptionalAuth,
    PolicyDep,
    attempt_login,
    clear_session_cookie,
    set_session_cookie,
)
from api.deps import ConnDep, SettingsDep
from api.page_auth import page_response, page_viewer
from gis.accounts import DEMO_PASSWORD, User, demo_logins, logout
from gis.infra.settings import Settings
from maps.city_map import city_map_html
from maps.login_page import DemoLogin, login_page_html
from maps.nav import PageViewer, home_path

router = APIRouter(tags=["pages"], include_in_schema=False)
ViewerDep = Annotated[PageViewer, Depends(page_viewer())]


def safe_next(target: str | None) -> str:
    """Where to go after log-in: a path of this site only (no open redirect); ``/`` also for
    "nowhere in particular" (see :func:`landing`)."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
        or any(ord(ch) < 32 for ch in target)
        or target.startswith(("/login", "/logout"))
    ):
        return "/"
    return target


def landing(target: str, user: User) -> str:
    """After log-in: the page asked for, or — when nothing but the map was asked for — the
    role's home (a field worker's own grid on the phone, a planner's editor…)."""
    return home_path(user) if target == "/" else target


@router.get("/", response_class=HTMLResponse)
def city_map(settings: SettingsDep, viewer: ViewerDep) -> Response:
    """The city map: grids of every layer, coloured by workload, over district and community
    lines — within the user's scope. Without a session: to the log-in page."""
    return page_response(city_map_html(settings, viewer), settings)


def _login_page(
    settings: Settings,
    conn: ConnDep,
    *,
    status: int = 200,
    **kwargs: str | None,
) -> HTMLResponse:
    demo = [DemoLogin(*row) for row in demo_logins(conn)] if settings.demo else []
    html = login_page_html(
        demo_logins=demo,
        demo_password=DEMO_PASSWORD if demo else None,
        **kwargs,  # type: ignore[arg-type]
    )
    return page_response(html, settings, status)


@router.get("/login", response_class=HTMLResponse)
def login_page(
    conn: ConnDep, settings: SettingsDep, auth: OptionalAuth, next: str = "/"
) -> Response:
    """The log-in form (a logged-in user goes straight on)."""
    if auth is not None:
        return RedirectResponse(landing(safe_next(next), auth.user), status_code=303)
    return _login_page(settings, conn, next_url=safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    policy: PolicyDep,
    now: NowDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the form; on success set the session cookie and go on to ``next``."""
    attempt = attempt_login(request, conn, policy, now, username, password)
    target = safe_next(next)
    if attempt.session is None:
        if attempt.retry_after is not None:
            error = (
                f"登录失败次数过多，请 {attempt.retry_after} 秒后再试。"
                f" Too many failed log-ins: try again in {attempt.retry_after} s."
            )
            page = _login_page(
                settings, conn, status=429, next_url=target, username=username, error=error
            )
            page.headers["Retry-After"] = str(attempt.retry_after)
            return page
        error = "用户名或密码错误。 Wrong user name or password."
        return _login_page(
            settings, conn, status=401, next_url=target, username=username, error=error
        )
    user = attempt.session.user
    if user.must_change_password:  # an administrator reset it: their own first, then on
        answer = RedirectResponse("password?next=" + quote(target), status_code=303)
    else:
        answer = RedirectResponse(landing(target, user), status_code=303)
    set_session_cookie(answer, request, attempt.session, now)
    return answer


@router.post("/logout")
def logout_form(conn: ConnDep, policy: PolicyDep, now: NowDep, auth: OptionalAuth) -> Response:
    """End the session (the form carries the CSRF token) and show the log-in page."""
    if auth is not None:
        logout(conn, auth.token, policy=policy, now=now)
    answer = RedirectResponse("login", status_code=303)
    clear_session_cookie(answer)
    return answer
