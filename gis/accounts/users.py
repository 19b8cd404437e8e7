"""Managing users: create, change role or scope, deactivate, passwords (all audited)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text

from gis import audit
from gis.accounts.passwords import check_password, hash_password, verify_password
from gis.accounts.records import _USER_COLUMNS, _check_username, _find, _user, get_user
from gis.accounts.roles import ROLE_SCOPE_LEVELS, Permission, Role, User
from gis.accounts.sessions import end_sessions
from gis.errors import Conflict, Forbidden, Invalid, NotFound
from gis.labels import USER_ROLES, chinese
from gis.scope import LEVEL_NAMES, Scope

if TYPE_CHECKING:
    from gis.access import Access

log = logging.getLogger(__name__)


def _manager_scope(*, access: Access) -> Scope:
    """The scope within which ``access`` manages users."""
    access.require(Permission.MANAGE_USERS)
    return access.scope


def list_users(conn: Connection, *, access: Access, include_inactive: bool = True) -> list[User]:
    """The users whose scope lies inside the actor's, by user name."""
    within = _manager_scope(access=access)
    condition = "starts_with(scope_code, :prefix)"
    if not include_inactive:
        condition += " AND active"
    rows = conn.execute(
        text(f"SELECT {_USER_COLUMNS} FROM app_user WHERE {condition} ORDER BY username"),
        {"prefix": within.code},
    ).mappings()
    return [_user(r) for r in rows]


def check_scope(conn: Connection, role: Role, scope: Scope, department: str | None) -> None:
    """A role may hold the scope, the place exists, and department staff name a department."""
    allowed = ROLE_SCOPE_LEVELS[role]
    if scope.level not in allowed:
        raise Invalid(
            f"{chinese(USER_ROLES, role.value)}的权限范围应为"
            f"{'或'.join(LEVEL_NAMES[level] for level in allowed)}级，"
            f"而不是{LEVEL_NAMES.get(scope.level, scope.level)}级 ("
            f"a {role.value} has a scope of level {' or '.join(allowed)}, not {scope.level})",
            role=role.value,
            scope=str(scope),
        )
    if role is Role.DEPARTMENT and not (department and department.strip()):
        raise Invalid(
            "部门工作人员须填写所属部门（例如 城管局） ("
            "department staff need a department (e.g. 城管局))",
            role=role.value,
        )
    if scope.level in ("province", "city"):
        found = conn.execute(
            text("SELECT 1 FROM district WHERE starts_with(code, :p) LIMIT 1"), {"p": scope.code}
        ).first()
        if scope.code and not found:
            raise NotFound(
                f"{LEVEL_NAMES[scope.level]}代码 {scope.code!r} 下没有区县 ("
                f"no district under {scope.level} code {scope.code!r})",
                scope=str(scope),
            )
    elif scope.level == "grid":
        row = conn.execute(
            text(
                "SELECT c.code, g.community_count FROM grid g "
                "JOIN grid_layer l ON l.id = g.layer_id "
                "LEFT JOIN community c ON c.id = g.community_id "
                "WHERE l.code = :layer AND g.code = :code"
            ),
            {"layer": scope.layer, "code": scope.code},
        ).first()
        if row is None:
            raise NotFound(
                f"图层 {scope.layer!r} 中没有网格 {scope.code!r} ("
                f"layer {scope.layer!r} has no grid {scope.code!r})",
                scope=str(scope),
            )
        if row[0] != scope.area_code or row[1] > 1:
            raise Invalid(
                f"图层 {scope.layer!r} 的网格 {scope.code} 不在社区 "
                f"{scope.area_code} 内：网格员的网格必须位于同一社区 ("
                f"grid {scope.code} of layer {scope.layer!r} is not inside community "
                f"{scope.area_code}: a field worker's grid must lie in one community)",
                scope=str(scope),
            )
    else:
        found = conn.execute(
            text(f"SELECT 1 FROM {scope.level} WHERE code = :c"), {"c": scope.code}
        ).first()
        if not found:
            raise NotFound(
                f"没有代码为 {scope.code!r} 的{LEVEL_NAMES.get(scope.level, scope.level)} ("
                f"no {scope.level} with code {scope.code!r})",
                scope=str(scope),
            )


def describe_scope(conn: Connection, scope: Scope) -> str:
    """The scope with its place name, e.g. ``区县 临川区 (361002)``."""
    if scope.is_everything:
        return "全市 Whole city"
    if scope.level == "city" and len(scope.code) == 4:
        name = conn.execute(
            text("SELECT name FROM city WHERE code = :c"), {"c": scope.code}
        ).scalar()
    elif scope.level in ("district", "street", "community"):
        name = conn.execute(
            text(f"SELECT name FROM {scope.level} WHERE code = :c"), {"c": scope.code}
        ).scalar()
    elif scope.level == "grid":
        name = conn.execute(
            text(
                "SELECT g.name FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
                "WHERE l.code = :layer AND g.code = :code"
            ),
            {"layer": scope.layer, "code": scope.code},
        ).scalar()
    else:
        name = None
    return f"{LEVEL_NAMES[scope.level]} {name} ({scope.code})" if name else scope.label


def _snapshot(user: User) -> dict[str, Any]:
    """What the audit log keeps of a user (never the password hash)."""
    return {
        "role": user.role.value,
        "scope": str(user.scope),
        "department": user.department,
        "display_name": user.display_name,
        "active": user.active,
    }


def create_user(
    conn: Connection,
    *,
    access: Access,
    username: str,
    password: str,
    role: Role | str,
    scope: Scope,
    department: str | None = None,
    display_name: str = "",
) -> User:
    """Create a user (audited as ``user.create``).

    An administrator may only create users inside their own scope; the CLI creates any.
    """
    within = _manager_scope(access=access)
    role = Role(role)
    name = _check_username(username)
    check_password(password, name)
    check_scope(conn, role, scope, department)
    if not within.contains(scope):
        raise Forbidden(
            f"权限范围 {scope} 超出您自己的范围（{within}）：只能在该"
            "范围内创建用户 ("
            f"scope {scope} is outside your own ({within}): you may only create users inside it)",
            scope=str(scope),
        )
    if _find(conn, name) is not None:
        raise Conflict(
            f"用户名 {name!r} 已存在 (a user named {name!r} exists already)", username=name
        )
    row = (
        conn.execute(
            text(
                "INSERT INTO app_user (username, display_name, password_hash, role, "
                "scope_level, scope_code, scope_layer, department) "
                "VALUES (:username, :display_name, :hash, :role, :level, :code, :layer, :dept) "
                f"RETURNING {_USER_COLUMNS}"
            ),
            {
                "username": name,
                "display_name": display_name.strip()[:64],
                "hash": hash_password(password),
                "role": role.value,
                "level": scope.level,
                "code": scope.code,
                "layer": scope.layer,
                "dept": department.strip() if department else None,
            },
        )
        .mappings()
        .one()
    )
    user = _user(row)
    audit.record(conn, access.actor, "user.create", "user", name, None, _snapshot(user))
    log.info("user %s created (%s, %s)", name, role.value, scope)
    return user


_UNSET: Any = object()


def update_user(
    conn: Connection,
    username: str,
    *,
    access: Access,
    role: Role | str | None = None,
    scope: Scope | None = None,
    department: str | None = _UNSET,
    display_name: str | None = None,
    active: bool | None = None,
    now: dt.datetime | None = None,
) -> User:
    """Change a user's role, scope, department, name or active flag (audited).

    Records ``user.update`` with the fields that changed before and after, and
    ``user.deactivate`` / ``user.reactivate`` for the active flag. Deactivating ends the user's
    sessions at once. Administrators cannot change their own role, scope or active flag (another
    administrator must), so nobody raises their own rights and an installation always keeps an
    active administrator.
    """
    within = _manager_scope(access=access)
    before = get_user(conn, username)
    if not within.contains(before.scope):
        raise Forbidden(
            f"用户 {before.username!r} 不在您的权限范围（{within}）内 "
            "("
            f"user {before.username!r} is outside your scope ({within}))",
            username=username,
        )
    new_role = Role(role) if role is not None else before.role
    new_scope = scope if scope is not None else before.scope
    new_department = before.department if department is _UNSET else (department or None)
    new_name = before.display_name if display_name is None else display_name.strip()[:64]
    new_active = before.active if active is None else active
    _check_change(conn, before, new_role, new_scope, new_department, new_active, within, access)
    row = (
        conn.execute(
            text(
                "UPDATE app_user SET role = :role, scope_level = :level, scope_code = :code, "
                "scope_layer = :layer, department = :dept, display_name = :name, "
                "active = :active, updated_at = now() WHERE id = :id "
                f"RETURNING {_USER_COLUMNS}"
            ),
            {
                "role": new_role.value,
                "level": new_scope.level,
                "code": new_scope.code,
                "layer": new_scope.layer,
                "dept": new_department,
                "name": new_name,
                "active": new_active,
                "id": before.id,
            },
        )
        .mappings()
        .one()
    )
    after = _user(row)
    _record_update(conn, before, after, access=access, now=now)
    return after


def _check_change(
    conn: Connection,
    before: User,
    new_role: Role,
    new_scope: Scope,
    new_department: str | None,
    new_active: bool,
    within: Scope,
    access: Access,
) -> None:
    """Nobody changes their own role, scope or active flag; a new role or scope must be valid
    and inside the manager's own scope (``within``)."""
    is_self = access.user is not None and access.user.username == before.username
    if is_self and (
        new_role != before.role or new_scope != before.scope or new_active != before.active
    ):
        raise Forbidden(
            "不能修改自己的角色、权限范围或启用状态：请联系其他管理员"
            " ("
            "you cannot change your own role, scope or active flag: ask another administrator)",
            username=before.username,
        )
    if new_role != before.role or new_scope != before.scope or new_department != before.department:
        check_scope(conn, new_role, new_scope, new_department)
        if not within.contains(new_scope):
            raise Forbidden(
                f"权限范围 {new_scope} 超出您自己的范围（{within}） ("
                f"scope {new_scope} is outside your own ({within}))"
            )


def _record_update(
    conn: Connection, before: User, after: User, *, access: Access, now: dt.datetime | None
) -> None:
    """Audit the fields that changed (``user.update``) and the active flag (``user.deactivate``
    / ``user.reactivate``); a deactivated user's sessions end at once."""
    old, new = _snapshot(before), _snapshot(after)
    changed = [k for k in old if k != "active" and old[k] != new[k]]
    if changed:
        audit.record(
            conn,
            access.actor,
            "user.update",
            "user",
            after.username,
            {k: old[k] for k in changed},
            {k: new[k] for k in changed},
        )
    if after.active != before.active:
        action = "user.reactivate" if after.active else "user.deactivate"
        audit.record(
            conn,
            access.actor,
            action,
            "user",
            after.username,
            {"active": before.active},
            {"active": after.active},
        )
        if not after.active:
            end_sessions(conn, after.id, now=now)


def reset_password(
    conn: Connection,
    username: str,
    password: str,
    *,
    access: Access,
    now: dt.datetime | None = None,
) -> None:
    """An administrator (or the CLI) sets another user's password; their sessions end.

    Set by an administrator (a :class:`User`), the password is one the administrator knows: the
    user must change it at their next log-in (``must_change_password``). The CLI's reset (a
    console operator, e.g. recovering the first administrator) does not force that. Nobody resets
    their own password here: that is :func:`change_password`, which asks for the current one, so
    that a stolen session does not become a stolen account. Audited as ``user.password_reset``.
    """
    within = _manager_scope(access=access)
    user = get_user(conn, username)
    if not within.contains(user.scope):
        raise Forbidden(
            f"用户 {user.username!r} 不在您的权限范围（{within}）内 ("
            f"user {user.username!r} is outside your scope ({within}))"
        )
    if access.user is not None and access.user.username == user.username:
        raise Forbidden(
            "修改自己的密码需要当前密码：请用 POST /auth/password (your own password changes "
            "only with the current one: POST /auth/password)",
            username=user.username,
        )
    force = access.user is not None
    _set_password(conn, user, password, must_change=force)
    end_sessions(conn, user.id, now=now)
    audit.record(
        conn,
        access.actor,
        "user.password_reset",
        "user",
        user.username,
        None,
        {"must_change_password": force},
    )


def change_password(
    conn: Connection,
    user: User,
    old_password: str,
    new_password: str,
    *,
    keep_session: int | None = None,
    now: dt.datetime | None = None,
) -> None:
    """A user changes their own password; their other sessions end (audited)."""
    row = _find(conn, user.username)
    if row is None or not verify_password(row["password_hash"], old_password):
        raise Forbidden("当前密码不对 (the current password is wrong)")
    if old_password == new_password:
        raise Invalid("新密码不能与当前密码相同 (the new password must differ from the old one)")
    _set_password(conn, user, new_password, must_change=False)
    end_sessions(conn, user.id, now=now, keep=keep_session)
    audit.record(conn, user, "user.password_change", "user", user.username)


def _set_password(conn: Connection, user: User, password: str, *, must_change: bool) -> None:
    check_password(password, user.username, user_inputs=(user.display_name,))
    conn.execute(
        text(
            "UPDATE app_user SET password_hash = :h, must_change_password = :must, "
            "updated_at = now() WHERE id = :id"
        ),
        {"h": hash_password(password), "must": must_change, "id": user.id},
    )
