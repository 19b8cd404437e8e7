"""The administrator's page at ``/admin`` (用户与审计): the users in scope, a form that creates
one, and the latest entries of the audit log.

Plain HTML forms, no script: the page works wherever a browser does. The data come from
:mod:`gis.accounts` and :mod:`gis.audit` through ``api/routers/admin_pages.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import escape

from gis.accounts import ROLE_LABELS, Role, User
from gis.chinatime import china_time
from maps.assets import FAVICON, HEADER_CSS, static_url
from maps.nav import HeaderUser, site_header

ADMIN_CSS = "gridmap/admin.css"
TITLE = "用户与审计 Users & audit · Gridmap"


@dataclass(frozen=True)
class AdminView:
    """What the page shows: the users, the newest audit rows, and the last form's outcome."""

    header: HeaderUser
    users: Sequence[User]
    audit: Sequence[Mapping[str, Any]]
    form: Mapping[str, str]  # the values to show again after a refusal
    error: str | None = None
    notice: str | None = None


def _users(users: Sequence[User]) -> str:
    rows = "".join(
        f'<tr data-testid="user-{escape(u.username)}"><td><code>{escape(u.username)}</code></td>'
        f"<td>{escape(u.display_name)}</td><td>{escape(ROLE_LABELS[u.role])}</td>"
        f"<td>{escape(u.scope.label)}</td><td>{escape(u.department or '')}</td>"
        f"<td>{'启用' if u.active else '<span class=ad-off>停用 inactive</span>'}</td>"
        f"<td>{escape(china_time(u.last_login_at, empty='–'))}</td></tr>"
        for u in users
    )
    return f"""<table class="ad-table" data-testid="users"><thead><tr>
      <th>用户名 <span class="en">User</span></th><th>姓名 <span class="en">Name</span></th>
      <th>角色 <span class="en">Role</span></th><th>范围 <span class="en">Scope</span></th>
      <th>部门 <span class="en">Dept.</span></th><th>状态</th>
      <th>最近登录 <span class="en">Last log-in</span></th></tr></thead>
      <tbody>{rows}</tbody></table>"""


def _form(view: AdminView) -> str:
    values = view.form
    roles = "".join(
        f'<option value="{r.value}"{" selected" if values.get("role") == r.value else ""}>'
        f"{escape(ROLE_LABELS[r])}</option>"
        for r in Role
    )

    def field(name: str, label: str, en: str, kind: str = "text", extra: str = "") -> str:
        value = "" if kind == "password" else escape(values.get(name, ""))
        return (
            f'<label>{label} <span class="en">{en}</span><input name="{name}" type="{kind}"'
            f' value="{value}" data-testid="new-{name}"{extra}></label>'
        )

    message = ""
    if view.error:
        text = escape(view.error)
        message = f'<p class="ad-error" role="alert" data-testid="form-error">{text}</p>'
    return f"""<form class="ad-form" method="post" action="admin/users" data-testid="create-user">
      {message}
      <input type="hidden" name="csrf_token" value="{escape(view.header.csrf_token)}">
      {field("username", "用户名", "User name", extra=' required autocomplete="off"')}
      {field("display_name", "姓名", "Name")}
      {field("password", "初始密码", "Password", "password", " required")}
      <label>角色 <span class="en">Role</span>
        <select name="role" data-testid="new-role">{roles}</select></label>
      {field("scope", "范围", "Scope", extra=' required placeholder="district:361002"')}
      {field("department", "部门", "Department (department staff)")}
      <button type="submit" data-testid="create-submit">新建用户
        <span class="en">Create</span></button>
    </form>"""


def _audit(rows: Sequence[Mapping[str, Any]]) -> str:
    body = "".join(
        f'<tr data-testid="audit-row"><td>{escape(china_time(r["at"], empty="–"))}</td>'
        f"<td>{escape(r['actor'])}</td><td><code>{escape(r['action'])}</code></td>"
        f"<td>{escape(r['entity'] or '')} {escape(r['entity_id'] or '')}</td></tr>"
        for r in rows
    )
    return f"""<table class="ad-table" data-testid="audit"><thead><tr>
      <th>时间 <span class="en">Time (China)</span></th>
      <th>操作人 <span class="en">Actor</span></th>
      <th>操作 <span class="en">Action</span></th><th>对象 <span class="en">Entity</span></th>
      </tr></thead><tbody>{body}</tbody></table>"""


def admin_page_html(view: AdminView) -> str:
    notice = (
        f'<p class="ad-notice" role="status" data-testid="notice">{escape(view.notice)}</p>'
        if view.notice
        else ""
    )
    header = site_header(view.header, title="用户与审计", title_en="Users & audit", current="admin")
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(TITLE)}</title>
<link rel="icon" type="image/svg+xml" href="{static_url(FAVICON)}">
<link rel="stylesheet" href="{static_url(HEADER_CSS)}">
<link rel="stylesheet" href="{static_url(ADMIN_CSS)}">
</head>
<body class="ad-page">
{header}
<main class="ad-main">
  {notice}
  <section class="ad-card"><h2>新建用户 <span class="en">New user</span></h2>{_form(view)}</section>
  <section class="ad-card ad-wide"><h2>用户 <span class="en">Users</span>
    <small>{len(view.users)}</small></h2><div class="ad-scroll">{_users(view.users)}</div></section>
  <section class="ad-card ad-wide"><h2>审计日志 <span class="en">Audit log</span>
    <a href="audit.csv" data-testid="audit-csv">导出 CSV</a></h2>
    <div class="ad-scroll">{_audit(view.audit)}</div></section>
</main>
</body>
</html>
"""
