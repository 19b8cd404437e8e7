"""The one page dependency: who is looking at an HTML page, or why they are sent elsewhere.

Every page route asks for ``viewer: Annotated[PageViewer, Depends(page_viewer(...))]``. Without
a session the browser goes to the log-in page (and comes back after it); a user whose password
an administrator reset goes to ``/password`` first; a role without the page's permission gets
the one HTML 403 page, in Chinese first and with the header, so they can go on elsewhere. The
redirects are relative (``login``, ``../login``), so the app also works behind a path prefix.

The refusals are exceptions, answered in one place (:func:`install`), so a route only ever
returns its page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import OptionalAuth, PolicyDep
from api.deps import ConnDep
from api.security import add_nonce, csrf_token, new_nonce, page_csp
from gis.accounts import ROLE_LABELS, Permission, Role, describe_scope
from gis.errors import GridmapError
from gis.infra.settings import Settings
from maps.nav import PageViewer, page_links
from maps.refusal_page import refusal_page_html


def page_response(html: str, settings: Settings, status: int = 200) -> HTMLResponse:
    """An HTML answer with a fresh CSP nonce on its scripts.

    ``no-cache`` makes browsers revalidate the page, so after an upgrade they follow its new
    hash-tagged asset URLs instead of running last release's script from their cache.
    """
    nonce = new_nonce()
    return HTMLResponse(
        add_nonce(html, nonce),
        status_code=status,
        headers={"Cache-Control": "no-cache", "Content-Security-Policy": page_csp(nonce, settings)},
    )


def root_base(request: Request) -> str:
    """What leads from this page's folder back to the app's root: ``""`` on ``/edit``,
    ``"../"`` on ``/incidents/map``, ``"../../"`` on ``/scenarios/7/report``."""
    return "../" * (request.url.path.count("/") - 1)


@dataclass(frozen=True)
class Refusal:
    """What the 403 page says: a heading and why, Chinese first. ``message`` may name the
    viewer's ``{role}`` and ``{scope}``; without one, the role's own refusal is shown."""

    heading: str = "无权访问"
    heading_en: str = "Not allowed"
    message: str | None = None
    message_en: str = ""
    testid: str = "refusal"


class PageRedirect(Exception):
    """Send the browser elsewhere (303) instead of the page."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class PageRefused(Exception):
    """Answer the refusal page (403, or 404 for a grid that is not there) instead of the page."""

    def __init__(
        self, viewer: PageViewer, refusal: Refusal, message: str, status: int = 403
    ) -> None:
        super().__init__(message)
        self.viewer, self.refusal, self.message, self.status = viewer, refusal, message, status


def refusal_page(request: Request, exc: PageRefused) -> HTMLResponse:
    """The one refusal page, with this response's nonce and policy."""
    said = exc.refusal
    html = refusal_page_html(
        exc.viewer,
        heading=said.heading,
        heading_en=said.heading_en,
        message=exc.message,
        message_en=said.message_en,
        testid=said.testid,
        base=root_base(request),
    )
    return page_response(html, request.app.state.settings, exc.status)


def _next(request: Request) -> str:
    """Where to come back to after log-in: this page with its query; for a form (POST) the page
    it was sent from (``/admin/users`` → ``/admin``)."""
    if request.method != "GET":
        return request.url.path.rsplit("/", 1)[0] or request.url.path
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def page_viewer(
    permission: Permission | None = None,
    role: Role | None = None,
    *,
    refusal: Refusal | None = None,
    password_page: bool = False,
) -> Callable[..., PageViewer]:
    """The dependency of a page that needs ``permission`` (and, if given, ``role``).

    ``password_page``: the change-password page itself, which a user whose password was reset
    must reach.
    """
    said = refusal or Refusal()

    def viewer(
        request: Request, conn: ConnDep, policy: PolicyDep, auth: OptionalAuth
    ) -> PageViewer:
        base = root_base(request)
        if auth is None:
            raise PageRedirect(f"{base}login?next={quote(_next(request))}")
        user = auth.user
        if user.must_change_password and not password_page:
            raise PageRedirect(f"{base}password")
        found = PageViewer(
            name=user.display_name or user.username,
            role=ROLE_LABELS[user.role],
            scope=describe_scope(conn, user.scope),
            csrf_token=csrf_token(policy.secret, auth.token),
            user=user,
            pages=page_links(user),
            session_id=auth.session_id,
        )
        if (permission is not None and not user.can(permission)) or (
            role is not None and user.role != role
        ):
            raise PageRefused(found, said, _why(found, said, permission))
        return found

    return viewer


def _why(viewer: PageViewer, refusal: Refusal, permission: Permission | None) -> str:
    if refusal.message is not None:
        return refusal.message.format(role=viewer.role, scope=viewer.scope)
    try:
        if permission is not None:
            viewer.user.require(permission)
    except GridmapError as error:  # the role's own Forbidden message, Chinese first
        return error.message
    return f"{viewer.role_zh}不能打开此页面。 This page is not for your role."


def install(app: FastAPI) -> None:
    """Answer :class:`PageRedirect` and :class:`PageRefused` wherever a page raises them."""

    @app.exception_handler(PageRedirect)
    async def redirect(_request: Request, exc: PageRedirect) -> Response:
        return RedirectResponse(exc.location, status_code=303)

    @app.exception_handler(PageRefused)
    async def refused(request: Request, exc: PageRefused) -> Response:
        return refusal_page(request, exc)
