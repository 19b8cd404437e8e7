"""Who a patrol belongs to and who may see it: the worker, and their supervisors' scopes.

A track says where a person was, so it is shown to the worker who walked it and to the staff
who supervise their grid — a county (区县), street or community office whose scope reaches the
worker's grid (roles in :data:`SUPERVISOR_ROLES`) — and to no one else: another field worker, a
planner or a department gets 403. The worker's name is masked (:mod:`gis.personal`) for a
viewer without personal-data permission.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Role
from gis.accounts.roles import ROLE_PERMISSIONS, Permission
from gis.errors import Forbidden, NotFound
from gis.personal import mask_name
from gis.scope import Scope

#: The roles that supervise grid workers (within their scope): those that may see the scores
#: (``view_scores``) — the administrator, the county, and the party/community office that
#: organises the grid workers of its area.
SUPERVISOR_ROLES = frozenset(
    role for role, allowed in ROLE_PERMISSIONS.items() if Permission.VIEW_SCORES in allowed
)
#: A point may come this far ahead of the server's clock (phones' clocks drift).
CLOCK_SLACK = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class Worker:
    """A field worker as the patrol rules need them: who, their grid, and the name shown."""

    id: int
    username: str
    name: str
    grid_id: int
    grid_code: str
    layer: str


def _worker_row(conn: Connection, where: str, params: dict[str, object]) -> Worker | None:
    row = conn.execute(
        text(
            "SELECT u.id, u.username, u.display_name, g.id AS grid_id, g.code AS grid_code, "
            "l.code AS layer FROM app_user u "
            "JOIN grid_layer l ON l.code = u.scope_layer "
            "JOIN grid g ON g.layer_id = l.id AND g.code = u.scope_code "
            f"WHERE u.role = 'field_worker' AND u.scope_level = 'grid' AND {where}"
        ),
        params,
    ).first()
    if row is None:
        return None
    return Worker(row.id, row.username, row.display_name, row.grid_id, row.grid_code, row.layer)


def own_worker(conn: Connection, *, access: Access) -> Worker:
    """The caller as a field worker (only a field worker patrols; others get 403)."""
    user = access.user
    if user is None or user.role != Role.FIELD_WORKER:
        raise Forbidden("只有网格员可以巡查和打卡 (only a field worker patrols and checks in)")
    worker = _worker_row(conn, "u.id = :id", {"id": user.id})
    if worker is None:
        raise NotFound(
            f"找不到您的网格 {user.scope} (your grid {user.scope} does not exist)",
            scope=str(user.scope),
        )
    return worker


def viewable_worker(conn: Connection, username: str | None, *, access: Access) -> Worker:
    """The worker whose patrols the caller asks for: themselves (``username`` None or their
    own), or one whose grid lies in a supervisor's scope; anyone else is refused with 403."""
    user = access.user
    if username is None or (user is not None and user.username == username):
        if user is not None and user.role == Role.FIELD_WORKER:
            return own_worker(conn, access=access)
        if username is None:
            raise Forbidden(
                "请指定网格员（?worker=用户名） (name a field worker: ?worker=USERNAME)"
            )
    if user is not None and user.role not in SUPERVISOR_ROLES:
        raise Forbidden(
            "巡查轨迹只对本人及其上级可见 (a patrol track is shown to the worker and their "
            "supervisors only)"
        )
    worker = _worker_row(conn, "u.username = :name", {"name": username})
    if worker is None:
        raise NotFound(f"没有网格员 {username!r} (no field worker {username!r})", worker=username)
    if not grid_reached(conn, worker.grid_id, access.scope):
        raise Forbidden(
            f"网格员 {username} 的网格不在您的权限范围内 (the grid of field worker {username} is "
            "outside your scope)",
            worker=username,
        )
    return worker


def grid_reached(conn: Connection, grid_id: int, scope: Scope) -> bool:
    reach = scope.grid_sql("g", one_row=True)
    return bool(
        conn.execute(
            text(f"SELECT ({reach.sql}) FROM grid g WHERE g.id = :grid_id"),
            {"grid_id": grid_id} | reach.params,
        ).scalar()
    )


def shown_name(worker: Worker, *, access: Access) -> str:
    """The worker's name, masked for a viewer who may not see personal data."""
    return worker.name if access.personal_data else (mask_name(worker.name) or "")
