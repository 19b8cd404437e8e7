"""The change-password page at ``/password``: a plain form like the log-in page, no script.

A user whose password an administrator reset is sent here right after log-in and can open
nothing else until they choose their own; everyone else reaches it from the header.
"""

from __future__ import annotations

from maps.assets import LOGIN_CSS
from maps.nav import PageViewer
from maps.shell import render

TITLE = "修改密码 Change password · Gridmap 网格地图"


def password_page_html(
    viewer: PageViewer,
    *,
    next_url: str = "/",
    error: str | None = None,
) -> str:
    """The form. A user whose password an administrator reset is told why they are here."""
    return render(
        "password.html",
        title=TITLE,
        viewer=viewer,
        css=[LOGIN_CSS],
        body_class="gm-login-page",
        username=viewer.user.username,
        next_url=next_url,
        forced=viewer.user.must_change_password,
        error=error,
    )
