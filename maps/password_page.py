"""The change-password page at ``/password``: a plain form like the log-in page, no script.

A user whose password an administrator reset is sent here right after log-in and can open
nothing else until they choose their own; everyone else reaches it from the header.
"""

from __future__ import annotations

from markupsafe import escape

from maps.login_page import card_page

TITLE = "修改密码 Change password · Gridmap 网格地图"


def password_page_html(
    *,
    username: str,
    csrf_token: str,
    next_url: str = "/",
    forced: bool = False,
    error: str | None = None,
) -> str:
    """The form. ``forced``: an administrator reset the password, so say why the user is here."""
    message = ""
    if error:
        message = (
            f'<p class="gm-login-error" role="alert" data-testid="password-error">'
            f"{escape(error)}</p>"
        )
    elif forced:
        message = (
            '<p class="gm-login-notice" role="status" data-testid="password-forced">'
            "管理员重置了您的密码：请先设置自己的新密码，再继续使用。"
            '<br><span class="gm-en">An administrator reset your password: choose your own '
            "before you go on.</span></p>"
        )
    back = (
        ""
        if forced
        else f'<p class="gm-login-note"><a href="{escape(next_url)}" data-testid="password-back">'
        '返回 <span class="gm-en">Back</span></a></p>'
    )
    body = f"""
  <form class="gm-login-card" method="post" action="password" autocomplete="on">
    <h2>修改密码 <span class="gm-en">Change password</span></h2>
    {message}
    <input type="text" name="username" value="{escape(username)}" autocomplete="username"
           hidden readonly>
    <label for="old_password">当前密码 <span class="gm-en">Current password</span></label>
    <input id="old_password" name="old_password" type="password"
           autocomplete="current-password" required maxlength="256" autofocus>
    <label for="new_password">新密码 <span class="gm-en">New password</span></label>
    <input id="new_password" name="new_password" type="password" autocomplete="new-password"
           required minlength="10" maxlength="256">
    <label for="repeat_password">再次输入新密码
      <span class="gm-en">New password again</span></label>
    <input id="repeat_password" name="repeat_password" type="password"
           autocomplete="new-password" required minlength="10" maxlength="256">
    <p class="gm-login-note">至少 10 个字符，不要用常见词、键盘序列或与用户名相近的密码。
      <span class="gm-en">At least 10 characters; no common words, keyboard runs or your
      user name.</span></p>
    <input type="hidden" name="csrf_token" value="{escape(csrf_token)}">
    <input type="hidden" name="next" value="{escape(next_url)}">
    <button type="submit" data-testid="password-submit">保存新密码 <span>Save</span></button>
  </form>
  {back}"""
    return card_page(TITLE, escape(username), body)
