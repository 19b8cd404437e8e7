"""Who sees which incidents, and what of the reporter they see.

An incident is placed by its base unit (and so its community), so the user's :class:`Scope` applies
as it does to every governed row: an area scope sees the incidents of its communities, a field
worker the incidents in the units of their grid. On top of that, department staff see only the
incidents routed to their own department (吹哨报到 is one department answering one whistle).
"""

from __future__ import annotations

from typing import Any

from gis.accounts import Permission, Role, User
from gis.audit import Actor
from gis.errors import Forbidden
from gis.personal import mask_name, mask_phone, sees_personal_data
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


def visible_sql(viewer: Actor, alias: str = "i") -> SqlFilter:
    """Incidents ``viewer`` may see: those in their scope, and of their department if staff.

    Raises :class:`Forbidden` for a user whose role may not view the map.
    """
    if not isinstance(viewer, User):
        return ALL
    viewer.require(Permission.VIEW_MAP)
    where = scope_sql(viewer.scope, alias)
    if viewer.role is Role.DEPARTMENT:
        where = where & SqlFilter(
            f"{alias}.department = :viewer_department", {"viewer_department": viewer.department}
        )
    return where


def require_own_department(actor: Actor, department: str | None, code: str) -> None:
    """Department staff act only on incidents routed to their department."""
    if isinstance(actor, User) and actor.role is Role.DEPARTMENT and actor.department != department:
        raise Forbidden(
            f"incident {code} is routed to {department or 'no department'}, not to "
            f"{actor.department}",
            incident=code,
        )


def may_act(actor: Actor, *permissions: Permission) -> bool:
    """Whether ``actor`` holds one of ``permissions`` (a system actor holds them all)."""
    return not isinstance(actor, User) or any(actor.can(p) for p in permissions)


def require_any(actor: Actor, what: str, *permissions: Permission) -> None:
    if not may_act(actor, *permissions):
        assert isinstance(actor, User)
        names = " or ".join(p.value for p in permissions)
        raise Forbidden(
            f"a {actor.role.value} may not {what} (needs {names})", role=actor.role.value
        )


def mask_reporter(row: dict[str, Any], viewer: Actor) -> dict[str, Any]:
    """The reporter's name and phone in full for those who call people back, else masked."""
    if isinstance(viewer, User) and not sees_personal_data(viewer):
        row = dict(row)
        row["reporter_name"] = mask_name(row.get("reporter_name"))
        row["reporter_phone"] = mask_phone(row.get("reporter_phone"))
    return row
