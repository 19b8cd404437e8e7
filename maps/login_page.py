"""The log-in page at ``/login``: a plain HTML form, no script, every asset from the app."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import escape

from maps.assets import FAVICON, LOGIN_CSS, static_url

TITLE = "登录 Log in · Gridmap 网格地图"
TAGLINE = '社区网格化管理 <span class="gm-en">Grid-based community governance</span>'


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
    message = ""
    if error:
        message = (
            f'<p class="gm-login-error" role="alert" data-testid="login-error">{escape(error)}</p>'
        )
    elif notice:
        message = f'<p class="gm-login-notice" role="status">{escape(notice)}</p>'
    demo = ""
    if demo_logins:
        rows = "".join(
            f"<tr><td><code>{escape(d.username)}</code></td>"
            f"<td>{escape(d.role.split(' ')[0])}</td><td>{escape(d.scope)}</td></tr>"
            for d in demo_logins
        )
        password = (
            f'<p>密码 <span class="gm-en">Password</span> <code>{escape(demo_password)}</code></p>'
            if demo_password
            else ""
        )
        demo = f"""
  <section class="gm-login-demo" aria-label="Demo logins">
    <h2>演示账号 <span class="gm-en">Demo logins</span></h2>
    <table><tbody>{rows}</tbody></table>
    {password}
  </section>"""
    form = f"""
  <form class="gm-login-card" method="post" action="login" autocomplete="on">
    <h2>登录 <span class="gm-en">Log in</span></h2>
    {message}
    <label for="username">用户名 <span class="gm-en">User name</span></label>
    <input id="username" name="username" type="text" autocomplete="username"
           autocapitalize="none" spellcheck="false" required maxlength="64"
           value="{escape(username)}"{"" if username else " autofocus"}>
    <label for="password">密码 <span class="gm-en">Password</span></label>
    <input id="password" name="password" type="password" autocomplete="current-password"
           required maxlength="256"{" autofocus" if username else ""}>
    <input type="hidden" name="next" value="{escape(next_url)}">
    <button type="submit" data-testid="login-submit">登录 <span>Log in</span></button>
  </form>{demo}
  <p class="gm-login-note">仅限授权人员使用，所有操作均有记录。<br>
    <span class="gm-en">Authorised staff only. Every action is recorded.</span></p>"""
    return card_page(TITLE, TAGLINE, form)


def card_page(title: str, tagline: str, body: str) -> str:
    """The shell of the small card pages (log-in, change password): brand, ``tagline`` (trusted
    HTML) and ``body`` (trusted HTML), no script, every asset from the app."""
    favicon = static_url(FAVICON)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{escape(title)}</title>
  <link rel="icon" type="image/svg+xml" href="{favicon}">
  <link rel="stylesheet" href="{static_url(LOGIN_CSS)}">
</head>
<body class="gm-login-page">
<main class="gm-login">
  <header class="gm-login-brand">
    <img src="{favicon}" alt="" width="48" height="48">
    <div>
      <h1>Gridmap <span>网格地图</span></h1>
      <p>{tagline}</p>
    </div>
  </header>{body}
</main>
</body>
</html>
"""
