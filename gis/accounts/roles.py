"""Roles, permissions and the :class:`User` the rest of Gridmap sees.

========== ===================== ============================================================
role       scope levels          does
========== ===================== ============================================================
admin      city                  manages users, reads the audit log, may do everything
province   province, city        reads everything in its province (or city) and compares its
                                 cities, counties and streets; edits nothing (省级/市级指挥中心)
planner    city, district        edits the grid layers of their district (规划/组织部门)
county     district              compares and adopts merge scenarios of their county (县区)
department city, district, street handles the incidents routed to their department (吹哨报到)
party      district … community  manages party-member assignments in their area (党组织)
field_worker grid                sees their own grid only (网格员)
taker      district … community  takes the needs dispatched to the unit, member or team they
                                 act for (接单方: 结对单位, 报到党员, 志愿服务队)
========== ===================== ============================================================
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gis.errors import Forbidden
from gis.labels import USER_ROLES, chinese
from gis.scope import Scope


class Role(StrEnum):
    ADMIN = "admin"
    PROVINCE = "province"
    PLANNER = "planner"
    COUNTY = "county"
    DEPARTMENT = "department"
    PARTY = "party"
    FIELD_WORKER = "field_worker"
    TAKER = "taker"


ROLE_LABELS: dict[Role, str] = {role: USER_ROLES[role.value] for role in Role}

#: The scope levels each role may be given.
ROLE_SCOPE_LEVELS: dict[Role, tuple[str, ...]] = {
    Role.ADMIN: ("city",),
    Role.PROVINCE: ("province", "city"),
    Role.PLANNER: ("city", "district"),
    Role.COUNTY: ("district",),
    Role.DEPARTMENT: ("city", "district", "street"),
    Role.PARTY: ("district", "street", "community"),
    Role.FIELD_WORKER: ("grid",),
    Role.TAKER: ("district", "street", "community"),
}


class Permission(StrEnum):
    """What a role may do; each change in gis/ checks one (always within the user's scope)."""

    VIEW_MAP = "view_map"  # areas, layers, grids, units
    EDIT_LAYERS = "edit_layers"  # redraw and rename grids
    RUN_SCENARIOS = "run_scenarios"  # run, compare and adopt merge scenarios
    HANDLE_INCIDENTS = "handle_incidents"  # sign for, handle and feed back incidents
    REPORT_INCIDENTS = "report_incidents"  # report an incident where one works
    # Dispatch incidents to departments and evaluate them (the street/county command centre).
    DISPATCH_INCIDENTS = "dispatch_incidents"
    MANAGE_ASSIGNMENTS = "manage_assignments"  # party-member assignments
    IMPORT_DATA = "import_data"  # load city packages and layers
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    # Names and phone numbers of residents and members in full (see gis.personal); else masked.
    VIEW_PERSONAL_DATA = "view_personal_data"
    # 三张清单: record a need (群众点单, on a resident's behalf), dispatch it (社区派单), take it.
    REPORT_NEEDS = "report_needs"
    DISPATCH_NEEDS = "dispatch_needs"
    TAKE_ORDERS = "take_orders"
    # 议事协商: raise a council topic, record its four steps, escalate an incident to it.
    HOLD_COUNCILS = "hold_councils"
    # 考核: see the field workers' scores and tracks in one's scope (the supervisors).
    VIEW_SCORES = "view_scores"
    # Roll-ups: compare the cities, counties and streets of one's scope (balance, grids per
    # worker, incidents and party members per grid) on /province.
    COMPARE_AREAS = "compare_areas"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    # The provincial (or city) office reads and compares; it edits, dispatches and calls no one.
    Role.PROVINCE: frozenset({Permission.VIEW_MAP, Permission.COMPARE_AREAS}),
    Role.PLANNER: frozenset({Permission.VIEW_MAP, Permission.EDIT_LAYERS}),
    # A county compares its streets and communities as the province compares counties.
    Role.COUNTY: frozenset(
        {
            Permission.VIEW_MAP,
            Permission.RUN_SCENARIOS,
            Permission.DISPATCH_INCIDENTS,
            Permission.VIEW_SCORES,
            Permission.COMPARE_AREAS,
        }
    ),
    # A department calls the reporter back; the party office and the grid worker call members.
    Role.DEPARTMENT: frozenset(
        {Permission.VIEW_MAP, Permission.HANDLE_INCIDENTS, Permission.VIEW_PERSONAL_DATA}
    ),
    # The community party committee dispatches needs (社区派单) and calls the residents back.
    Role.PARTY: frozenset(
        {
            Permission.VIEW_MAP,
            Permission.MANAGE_ASSIGNMENTS,
            Permission.VIEW_PERSONAL_DATA,
            Permission.REPORT_NEEDS,
            Permission.DISPATCH_NEEDS,
            Permission.HOLD_COUNCILS,
            Permission.VIEW_SCORES,
        }
    ),
    Role.FIELD_WORKER: frozenset(
        {
            Permission.VIEW_MAP,
            Permission.REPORT_INCIDENTS,
            Permission.VIEW_PERSONAL_DATA,
            Permission.REPORT_NEEDS,
        }
    ),
    # A taker sees the map and the orders given to them; a resident's name and phone only on
    # the orders they accepted (they must call them), see gis.needs.
    Role.TAKER: frozenset({Permission.VIEW_MAP, Permission.TAKE_ORDERS}),
}


@dataclass(frozen=True)
class User:
    """A user as the rest of Gridmap sees them (never with the password hash)."""

    id: int
    username: str
    display_name: str
    role: Role
    scope: Scope
    department: str | None
    active: bool
    created_at: dt.datetime | None = None
    last_login_at: dt.datetime | None = None
    # An administrator reset the password: the user must choose their own before anything else.
    must_change_password: bool = False

    def can(self, permission: Permission) -> bool:
        return self.active and permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        """Raise :class:`Forbidden` unless the user's role carries ``permission``."""
        if not self.can(permission):
            raise Forbidden(
                f"{chinese(USER_ROLES, self.role.value)}无权执行此操作（{permission.value}"
                "） ("
                f"a {self.role.value} may not {permission.value.replace('_', ' ')})",
                role=self.role.value,
                permission=permission.value,
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role.value,
            "role_label": ROLE_LABELS[self.role],
            "scope": {
                "level": self.scope.level,
                "code": self.scope.code,
                "layer": self.scope.layer,
                "text": str(self.scope),
                "label": self.scope.label,
            },
            "department": self.department,
            "active": self.active,
            "permissions": sorted(p.value for p in ROLE_PERMISSIONS[self.role])
            if self.active
            else [],
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "last_login_at": self.last_login_at.isoformat() if self.last_login_at else None,
            "must_change_password": self.must_change_password,
        }
