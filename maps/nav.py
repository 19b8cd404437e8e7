"""The pages a user can open from the map, by what their role may do.

The city map at ``/`` is the hub; every other page links back to it. A link is shown only when
the page would open for the user, so nobody is offered a page that answers 403.
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
    (PageLink("incidents/map", "事件", "Incidents", "nav-incidents"), Permission.VIEW_MAP, None),
    (PageLink("party", "党建网格", "Party", "nav-party"), Permission.MANAGE_ASSIGNMENTS, None),
    (PageLink("field", "我的网格", "My grid", "nav-field"), None, Role.FIELD_WORKER),
)


def page_links(user: User) -> tuple[PageLink, ...]:
    return tuple(
        link
        for link, permission, role in _PAGES
        if (permission is None or user.can(permission)) and (role is None or user.role == role)
    )
