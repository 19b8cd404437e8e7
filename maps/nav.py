"""The pages a user can open, by what their role may do, and the one header every page shows.

The city map at ``/`` is the hub; every page's header links the others. A link is shown only
when the page would open for the user, so nobody is offered a page that answers 403. After
log-in each role lands on its own home page (:func:`home_path`).

The header (the ``site_header`` macro of ``templates/_header.html``, styled by
``static/gridmap/header.css``) is one row on a desk;
on a phone its links, the user and 退出 fold into a menu behind one button (no script: a
checkbox and CSS), so nothing runs off the side of a 375 px screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from gis.accounts import Permission, Role, User


@dataclass(frozen=True)
class PageLink:
    href: str  # relative, so the app also works behind a path prefix
    label: str
    label_en: str
    testid: str


_PAGES: tuple[tuple[PageLink, Permission | None, Role | None], ...] = (
    (PageLink("edit", "网格编辑", "Edit grids", "nav-edit"), Permission.EDIT_LAYERS, None),
    (PageLink("compare", "合并方案", "Scenarios", "nav-compare"), Permission.RUN_SCENARIOS, None),
    (
        PageLink("province", "区县比较", "Compare areas", "nav-province"),
        Permission.COMPARE_AREAS,
        None,
    ),
    (PageLink("incidents/map", "事件", "Incidents", "nav-incidents"), Permission.VIEW_MAP, None),
    (PageLink("party", "党建网格", "Party", "nav-party"), Permission.MANAGE_ASSIGNMENTS, None),
    (PageLink("needs/map", "需求清单", "Needs", "nav-needs"), Permission.DISPATCH_NEEDS, None),
    (PageLink("needs/map", "我的接单", "My orders", "nav-orders"), None, Role.TAKER),
    (
        PageLink("councils/map", "议事协商", "Councils", "nav-councils"),
        Permission.HOLD_COUNCILS,
        None,
    ),
    (
        PageLink("assessment/map", "考核排名", "Scores", "nav-assessment"),
        Permission.VIEW_SCORES,
        None,
    ),
    (PageLink("field", "我的网格", "My grid", "nav-field"), None, Role.FIELD_WORKER),
    (PageLink("admin", "用户与审计", "Users & audit", "nav-admin"), Permission.MANAGE_USERS, None),
)

#: Where each role starts its day: the page of its main task.
HOME: dict[Role, str] = {
    Role.ADMIN: "/",
    Role.PROVINCE: "/province",
    Role.PLANNER: "/edit",
    Role.COUNTY: "/compare",
    Role.DEPARTMENT: "/incidents/map",
    Role.PARTY: "/party",
    Role.FIELD_WORKER: "/field",
    Role.TAKER: "/needs/map",
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
class PageViewer:
    """Who a page is for: what its header shows (name, role, scope, the pages they may open), the
    CSRF token its forms and scripts send back, and the user, for what the route itself decides.

    The one viewer type of every page; :func:`api.page_auth.page_viewer` builds it per request.
    """

    name: str
    role: str  # e.g. "规划人员 Planner"
    scope: str  # e.g. "区县 临川区 (361002)"; may be empty
    csrf_token: str
    user: User
    pages: tuple[PageLink, ...] = ()
    session_id: int | None = None  # the session the request came with (a password change keeps it)

    @property
    def role_zh(self) -> str:
        """The role's Chinese name alone ("规划人员"), for where space is short."""
        return self.role.split(" ")[0]
