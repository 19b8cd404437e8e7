"""Who sees which incidents, and what of the reporter they see.

An incident is placed by its base unit (and so its community), so the user's :class:`Scope` applies
as it does to every governed row: an area scope sees the incidents of its communities, a field
worker the incidents in the units of their grid. On top of that, department staff see only the
incidents routed to their own department (吹哨报到 is one department answering one whistle).
"""

from __future__ import annotations

from typing import Any

from gis.access import Access
from gis.accounts import Permission, Role
from gis.errors import Forbidden
from gis.labels import USER_ROLES, chinese
from gis.personal import mask_name, mask_phone
from gis.scope import ALL, Scope, SqlFilter


def scope_sql(scope: Scope, alias: str = "i") -> SqlFilter:
    """Incidents (table alias ``alias``) inside ``scope``."""
    if scope.is_everything:
        return ALL
    if scope.level == "grid":
        units = scope.unit_sql("vu")
        return SqlFilter(
            f"EXISTS (SELECT 1 FROM base_unit vu WHERE vu.id = {alias}.base_unit_id "
            f"AND {units.sql})",
            units.params,
        )
    area = scope.filter_sql("vc.code")
    return SqlFilter(
        f"EXISTS (SELECT 1 FROM community vc WHERE vc.id = {alias}.community_id AND {area.sql})",
        area.params,
    )


def visible_sql(alias: str = "i", *, access: Access) -> SqlFilter:
    """Incidents ``access`` may see: those in its scope, and of their department if staff.

    Raises :class:`Forbidden` for a user whose role may not view the map.
    """
    access.require(Permission.VIEW_MAP)
    where = scope_sql(access.scope, alias)
    user = access.user
    if user is not None and user.role is Role.DEPARTMENT:
        where = where & SqlFilter(
            f"{alias}.department = :viewer_department", {"viewer_department": user.department}
        )
    return where


def require_own_department(department: str | None, code: str, *, access: Access) -> None:
    """Department staff act only on incidents routed to their department."""
    user = access.user
    if user is not None and user.role is Role.DEPARTMENT and user.department != department:
        raise Forbidden(
            f"事件 {code} 已派给{department or '（无部门）'}，不是 "
            f"{user.department} ("
            f"incident {code} is routed to {department or 'no department'}, not to "
            f"{user.department})",
            incident=code,
        )


def may_act(*permissions: Permission, access: Access) -> bool:
    """Whether ``access`` holds one of ``permissions`` (system access holds them all)."""
    return any(access.can(p) for p in permissions)


def require_any(what: str, *permissions: Permission, access: Access) -> None:
    if not may_act(*permissions, access=access):
        assert access.user is not None
        names = " or ".join(p.value for p in permissions)
        role = access.user.role.value
        raise Forbidden(
            f"{chinese(USER_ROLES, role)}无权执行此操作（{what}） "
            f"(a {role} may not {what} (needs {names}))",
            role=role,
        )


def mask_reporter(row: dict[str, Any], *, access: Access) -> dict[str, Any]:
    """The reporter's name and phone in full for those who call people back, else masked."""
    if not access.personal_data:
        row = dict(row)
        row["reporter_name"] = mask_name(row.get("reporter_name"))
        row["reporter_phone"] = mask_phone(row.get("reporter_phone"))
        email = row.get("reporter_email")
        if email:
            row["reporter_email"] = f"{email[:1]}***@{email.rpartition('@')[2]}"
    return row
