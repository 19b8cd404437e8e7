"""The log-in page at ``/login``: a plain HTML form, no script, every asset from the app."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from maps.assets import LOGIN_CSS
from maps.shell import render

TITLE = "登录 Log in · Gridmap 网格地图"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    scope: str


def login_page_html(
    *,
    next_url: str = "/",
    username: str = "",
    error: str | None = None,
    notice: str | None = None,
    demo_logins: Sequence[DemoLogin] = (),
    demo_password: str | None = None,
) -> str:
    """The page. ``error`` says why the last try failed; ``demo_logins`` only in demo mode."""
    return render(
        "login.html",
        title=TITLE,
        css=[LOGIN_CSS],
        body_class="gm-login-page",
        next_url=next_url,
        username=username,
        error=error,
        notice=notice,
        demo_logins=demo_logins,
        demo_password=demo_password,
    )
