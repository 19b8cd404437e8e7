"""The pages a user can open, by what their role may do, and the one header every page shows.

The city map at ``/`` is the hub; every page's header links the others. A link is shown only
when the page would open for the user, so nobody is offered a page that answers 403. After
log-in each role lands on its own home page (:func:`home_path`).

The header (:func:`site_header`, styled by ``static/gridmap/header.css``) is one row on a desk;
on a phone its links, the user and 退出 fold into a menu behind one button (no script: a
checkbox and CSS), so nothing runs off the side of a 375 px screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import escape

from gis.accounts import Permission, Role, User
from maps.assets import FAVICON, static_url


@dataclass(frozen=True)
class PageLink:
    href: str  # relative, so the app also works behind a path prefix
    label: str
    label_en: str
    testid: str


_PAGES: tuple[tuple[PageLink, Permission | None, Role | None], ...] = (
    (PageLink("edit", "网格编辑", "Edit grids", "nav-edit"), Permission.EDIT_LAYERS, None),
    (PageLink("compare", "合并方案", "Scenarios", "nav-compare"), Permission.RUN_SCENARIOS, None),
    (PageLink("incidents/map", "事件", "Incidents", "nav-incidents"), Permission.VIEW_MAP, None),
    (PageLink("party", "党建网格", "Party", "nav-party"), Permission.MANAGE_ASSIGNMENTS, None),
    (PageLink("field", "我的网格", "My grid", "nav-field"), None, Role.FIELD_WORKER),
    (PageLink("admin", "用户与审计", "Users & audit", "nav-admin"), Permission.MANAGE_USERS, None),
)

#: Where each role starts its day: the page of its main task.
HOME: dict[Role, str] = {
    Role.ADMIN: "/",
    Role.PLANNER: "/edit",
    Role.COUNTY: "/compare",
    Role.DEPARTMENT: "/incidents/map",
    Role.PARTY: "/party",
    Role.FIELD_WORKER: "/field",
}


def page_links(user: User) -> tuple[PageLink, ...]:
    return tuple(
        link
        for link, permission, role in _PAGES
        if (permission is None or user.can(permission)) and (role is None or user.role == role)
    )


def home_path(user: User) -> str:
    """The page a user lands on after log-in (when they did not ask for another)."""
    return HOME.get(user.role, "/")


@dataclass(frozen=True)
class HeaderUser:
    """Who is logged in, as the header shows them."""

    name: str
    role: str  # e.g. "规划人员 Planner"
    scope: str  # e.g. "区县 临川区 (361002)"; may be empty
    csrf_token: str
    pages: tuple[PageLink, ...] = ()


def _nav(user: HeaderUser, base: str, current: str | None) -> str:
    if not user.pages:
        return ""
    here = ' aria-current="page"'
    links = "".join(
        f'<a href="{escape(base + p.href)}" data-testid="{escape(p.testid)}"'
        f' title="{escape(p.label_en)}"{here if p.href == current else ""}>{escape(p.label)}</a>'
        for p in user.pages
    )
    return f'<nav class="gm-nav" aria-label="页面 Pages">{links}</nav>'


def _user(user: HeaderUser, base: str) -> str:
    role_zh = user.role.split(" ")[0]
    where = f" · {escape(user.scope)}" if user.scope else ""
    return f"""
        <div class="gm-user" data-testid="user-badge" title="{escape(user.role)}{where}">
          <div class="gm-user-text">
            <span class="gm-user-name">{escape(user.name)}</span>
            <span class="gm-user-role">{escape(role_zh)}{where}</span>
            <a class="gm-user-password" href="{escape(base)}password" data-testid="user-password"
               title="Change password">修改密码</a>
          </div>
          <form method="post" action="{escape(base)}logout" class="gm-logout">
            <input type="hidden" name="csrf_token" value="{escape(user.csrf_token)}">
            <button type="submit" data-testid="logout">退出
              <span class="gm-en">Log out</span></button>
          </form>
        </div>"""


def site_header(
    user: HeaderUser | None,
    *,
    title: str,
    title_en: str = "",
    current: str | None = None,
    base: str = "",
    tools: str = "",
    extra_class: str = "",
    title_testid: str = "page-title",
    subtitle: str | None = None,
    subtitle_testid: str = "page-subtitle",
) -> str:
    """The header of a page: brand (a link to the map), title, the page's own ``tools`` (trusted
    HTML), the links of :func:`page_links`, the user and 退出.

    ``current`` is the :class:`PageLink` href of this page; ``base`` is what leads from this
    page's folder back to the app's root (``"../"`` on ``/incidents/map``), so links stay relative.
    """
    en = f' <span class="gm-en">{escape(title_en)}</span>' if title_en else ""
    heading = (
        f'<h1 class="gm-head-title" data-testid="{escape(title_testid)}">{escape(title)}{en}</h1>'
    )
    if subtitle is not None:
        testid = escape(subtitle_testid)
        sub = f'<p class="gm-head-sub" data-testid="{testid}">{escape(subtitle)}</p>'
        heading = f'<div class="gm-head-titles">{heading}{sub}</div>'
    classes = " ".join(filter(None, ["gm-head", extra_class]))
    return f"""
    <header class="{classes}" role="banner">
      <a class="gm-head-home" href="{escape(base) or "./"}" data-testid="home"
         title="网格地图 City map">
        <img src="{static_url(FAVICON)}" alt="Gridmap" width="28" height="28">
        <span class="gm-head-brand">网格地图</span>
      </a>
      {heading}
      <input type="checkbox" id="gm-menu-toggle" class="gm-menu-toggle"
             aria-label="菜单 Menu" data-testid="menu-toggle">
      <label for="gm-menu-toggle" class="gm-menu-button" data-testid="menu">
        <span class="gm-menu-icon" aria-hidden="true"></span>菜单</label>
      <div class="gm-menu" data-testid="menu-panel">
        {tools}{_nav(user, base, current) if user else ""}{_user(user, base) if user else ""}
      </div>
    </header>"""
