"""Accounts: users, their roles and scopes, passwords (argon2id) and log-in sessions.

A user has one **role** (what they may do) and one **scope** (where: a place in the admin
hierarchy, see :mod:`gis.scope`). Every gis/ query that returns governed data takes the user's
scope; every change checks the role's :class:`Permission` and records itself in the audit log.

========== ===================== ============================================================
role       scope levels          does
========== ===================== ============================================================
admin      city                  manages users, reads the audit log, may do everything
planner    city, district        edits the grid layers of their district (规划/组织部门)
county     district              compares and adopts merge scenarios of their county (县区)
department city, district, street handles the incidents routed to their department (吹哨报到)
party      district … community  manages party-member assignments in their area (党组织)
field_worker grid                sees their own grid only (网格员)
========== ===================== ============================================================

Sessions are server-side: a log-in returns a random token (sent back as a cookie or a bearer
header); the database keeps only an HMAC of it under the secret key, so a copy of the database
opens no session. Logging out, deactivating a user or resetting a password ends sessions at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, RowMapping, text

from gis import audit
from gis.audit import Actor
from gis.errors import Conflict, Forbidden, Invalid, NotFound
from gis.labels import USER_ROLES
from gis.scope import EVERYTHING, LEVEL_NAMES, Scope

log = logging.getLogger(__name__)


class Role(StrEnum):
    ADMIN = "admin"
    PLANNER = "planner"
    COUNTY = "county"
    DEPARTMENT = "department"
    PARTY = "party"
    FIELD_WORKER = "field_worker"


ROLE_LABELS: dict[Role, str] = {role: USER_ROLES[role.value] for role in Role}

#: The scope levels each role may be given.
ROLE_SCOPE_LEVELS: dict[Role, tuple[str, ...]] = {
    Role.ADMIN: ("city",),
    Role.PLANNER: ("city", "district"),
    Role.COUNTY: ("district",),
    Role.DEPARTMENT: ("city", "district", "street"),
    Role.PARTY: ("district", "street", "community"),
    Role.FIELD_WORKER: ("grid",),
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


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.PLANNER: frozenset({Permission.VIEW_MAP, Permission.EDIT_LAYERS}),
    Role.COUNTY: frozenset(
        {Permission.VIEW_MAP, Permission.RUN_SCENARIOS, Permission.DISPATCH_INCIDENTS}
    ),
    # A department calls the reporter back; the party office and the grid worker call members.
    Role.DEPARTMENT: frozenset(
        {Permission.VIEW_MAP, Permission.HANDLE_INCIDENTS, Permission.VIEW_PERSONAL_DATA}
    ),
    Role.PARTY: frozenset(
        {Permission.VIEW_MAP, Permission.MANAGE_ASSIGNMENTS, Permission.VIEW_PERSONAL_DATA}
    ),
    Role.FIELD_WORKER: frozenset(
        {Permission.VIEW_MAP, Permission.REPORT_INCIDENTS, Permission.VIEW_PERSONAL_DATA}
    ),
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

    def can(self, permission: Permission) -> bool:
        return self.active and permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        """Raise :class:`Forbidden` unless the user's role carries ``permission``."""
        if not self.can(permission):
            raise Forbidden(
                f"a {self.role.value} may not {permission.value.replace('_', ' ')}",
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
        }


# ----------------------------------------------------------------------------- passwords

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
# argon2id with argon2-cffi's defaults: RFC 9106's low-memory profile (t=3, 64 MiB, p=4).
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def check_password(password: str, username: str) -> None:
    """Refuse passwords that are too short, too long or contain the user name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise Invalid(f"a password has at most {MAX_PASSWORD_LENGTH} characters")
    if username and username.lower() in password.lower():
        raise Invalid("a password must not contain the user name")


# ----------------------------------------------------------------------------- users

USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
USERNAME_RULE = "2–64 characters: lower-case letters, digits, '.', '_' or '-', not first"
_USER_COLUMNS = (
    "id, username, display_name, role, scope_level, scope_code, scope_layer, department, "
    "active, created_at, last_login_at"
)


def normalize_username(username: str) -> str:
    return username.strip().lower()


def _check_username(username: str) -> str:
    name = normalize_username(username)
    if not USERNAME_RE.fullmatch(name):
        raise Invalid(f"user name {username!r} is not valid: {USERNAME_RULE}", username=username)
    return name


def _user(row: RowMapping) -> User:
    level = row["scope_level"]
    scope = Scope(level, row["scope_code"], row["scope_layer"])
    return User(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        role=Role(row["role"]),
        scope=scope,
        department=row["department"],
        active=row["active"],
        created_at=row["created_at"],
        last_login_at=row["last_login_at"],
    )


def _find(conn: Connection, username: str) -> RowMapping | None:
    name = normalize_username(username)
    if not USERNAME_RE.fullmatch(name):
        return None  # no such user can exist; nor can a NUL byte reach the database
    return (
        conn.execute(
            text(f"SELECT {_USER_COLUMNS}, password_hash FROM app_user WHERE username = :u"),
            {"u": name},
        )
        .mappings()
        .first()
    )


def get_user(conn: Connection, username: str) -> User:
    row = _find(conn, username)
    if row is None:
        raise NotFound(f"no user named {username!r}", username=username)
    return _user(row)


def authorize(actor: Actor, permission: Permission) -> Scope:
    """Check that ``actor`` may do ``permission``, and return the scope they may do it in.

    A :class:`User` needs the permission in their role and acts within their scope; any other
    actor (a ``system:…`` name: the CLI, a loader, a script) acts everywhere. Every gis/ function
    that changes something starts with this.
    """
    if isinstance(actor, User):
        actor.require(permission)
        return actor.scope
    return EVERYTHING


def _manager_scope(actor: Actor) -> Scope:
    """The scope within which ``actor`` manages users."""
    return authorize(actor, Permission.MANAGE_USERS)


def list_users(conn: Connection, actor: Actor, *, include_inactive: bool = True) -> list[User]:
    """The users whose scope lies inside the actor's, by user name."""
    within = _manager_scope(actor)
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
            f"a {role.value} has a scope of level {' or '.join(allowed)}, not {scope.level}",
            role=role.value,
            scope=str(scope),
        )
    if role is Role.DEPARTMENT and not (department and department.strip()):
        raise Invalid("department staff need a department (e.g. 城管局)", role=role.value)
    if scope.level == "city":
        found = conn.execute(
            text("SELECT 1 FROM district WHERE starts_with(code, :p) LIMIT 1"), {"p": scope.code}
        ).first()
        if scope.code and not found:
            raise NotFound(f"no district under city code {scope.code!r}", scope=str(scope))
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
            raise NotFound(f"layer {scope.layer!r} has no grid {scope.code!r}", scope=str(scope))
        if row[0] != scope.area_code or row[1] > 1:
            raise Invalid(
                f"grid {scope.code} of layer {scope.layer!r} is not inside community "
                f"{scope.area_code}: a field worker's grid must lie in one community",
                scope=str(scope),
            )
    else:
        found = conn.execute(
            text(f"SELECT 1 FROM {scope.level} WHERE code = :c"), {"c": scope.code}
        ).first()
        if not found:
            raise NotFound(f"no {scope.level} with code {scope.code!r}", scope=str(scope))


def describe_scope(conn: Connection, scope: Scope) -> str:
    """The scope with its place name, e.g. ``区县 临川区 (361002)``."""
    if scope.is_everything:
        return "全市 Whole city"
    if scope.level in ("district", "street", "community"):
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
    actor: Actor,
    *,
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
    within = _manager_scope(actor)
    role = Role(role)
    name = _check_username(username)
    check_password(password, name)
    check_scope(conn, role, scope, department)
    if not within.contains(scope):
        raise Forbidden(
            f"scope {scope} is outside your own ({within}): you may only create users inside it",
            scope=str(scope),
        )
    if _find(conn, name) is not None:
        raise Conflict(f"a user named {name!r} exists already", username=name)
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
    audit.record(conn, actor, "user.create", "user", name, None, _snapshot(user))
    log.info("user %s created (%s, %s)", name, role.value, scope)
    return user


_UNSET: Any = object()


def update_user(
    conn: Connection,
    actor: Actor,
    username: str,
    *,
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
    within = _manager_scope(actor)
    before = get_user(conn, username)
    if not within.contains(before.scope):
        raise Forbidden(
            f"user {before.username!r} is outside your scope ({within})", username=username
        )
    new_role = Role(role) if role is not None else before.role
    new_scope = scope if scope is not None else before.scope
    new_department = before.department if department is _UNSET else (department or None)
    new_name = before.display_name if display_name is None else display_name.strip()[:64]
    new_active = before.active if active is None else active
    is_self = isinstance(actor, User) and actor.username == before.username
    if is_self and (
        new_role != before.role or new_scope != before.scope or new_active != before.active
    ):
        raise Forbidden(
            "you cannot change your own role, scope or active flag: ask another administrator",
            username=before.username,
        )
    if new_role != before.role or new_scope != before.scope or new_department != before.department:
        check_scope(conn, new_role, new_scope, new_department)
        if not within.contains(new_scope):
            raise Forbidden(f"scope {new_scope} is outside your own ({within})")
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
    old, new = _snapshot(before), _snapshot(after)
    changed = [k for k in old if k != "active" and old[k] != new[k]]
    if changed:
        audit.record(
            conn,
            actor,
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
            actor,
            action,
            "user",
            after.username,
            {"active": before.active},
            {"active": after.active},
        )
        if not after.active:
            end_sessions(conn, after.id, now=now)
    return after


def reset_password(
    conn: Connection, actor: Actor, username: str, password: str, *, now: dt.datetime | None = None
) -> None:
    """An administrator (or the CLI) sets a user's password; their sessions end."""
    within = _manager_scope(actor)
    user = get_user(conn, username)
    if not within.contains(user.scope):
        raise Forbidden(f"user {user.username!r} is outside your scope ({within})")
    _set_password(conn, user, password)
    end_sessions(conn, user.id, now=now)
    audit.record(conn, actor, "user.password_reset", "user", user.username)


def change_password(
    conn: Connection,
    user: User,
    old_password: str,
    new_password: str,
    *,
    keep_session: int | None = None,
    now: dt.datetime | None = None,
) -> None:
    """A user changes their own password; their other sessions end."""
    row = _find(conn, user.username)
    if row is None or not verify_password(row["password_hash"], old_password):
        raise Forbidden("the current password is wrong")
    _set_password(conn, user, new_password)
    end_sessions(conn, user.id, now=now, keep=keep_session)
    audit.record(conn, user, "user.password_change", "user", user.username)


def _set_password(conn: Connection, user: User, password: str) -> None:
    check_password(password, user.username)
    conn.execute(
        text("UPDATE app_user SET password_hash = :h, updated_at = now() WHERE id = :id"),
        {"h": hash_password(password), "id": user.id},
    )


# ----------------------------------------------------------------------------- sessions


@dataclass(frozen=True)
class SessionPolicy:
    """How sessions are keyed and how long they last."""

    secret: str
    lifetime: dt.timedelta = dt.timedelta(hours=8)
    idle: dt.timedelta = dt.timedelta(hours=2)

    def digest(self, token: str) -> str:
        """The keyed digest stored in place of a token."""
        return hmac.new(self.secret.encode(), token.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class LoginSession:
    """An open session: the token goes to the client, once; ``id`` is safe to log."""

    id: int
    token: str
    user: User
    expires_at: dt.datetime


#: How long an ended session's row is kept.
SESSION_RETENTION = dt.timedelta(days=30)
#: last_seen_at is written at most this often, not on every request.
TOUCH_EVERY = dt.timedelta(minutes=1)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def authenticate(
    conn: Connection,
    username: str,
    password: str,
    *,
    policy: SessionPolicy,
    now: dt.datetime | None = None,
    client_ip: str | None = None,
    user_agent: str | None = None,
) -> LoginSession | None:
    """Check a user name and password and open a session; ``None`` when they are wrong.

    Both outcomes are recorded (``auth.login`` / ``auth.login_failed`` with the reason), so the
    caller must commit even when the answer is ``None``. An unknown user name costs as much time
    as a wrong password, and every failure looks the same to the caller.
    """
    now = now or utcnow()
    row = _find(conn, username)
    where = {"client_ip": client_ip}
    if row is None:
        verify_password(_dummy_hash(), password)
        _failed(conn, username, "unknown user", where)
        return None
    if not verify_password(row["password_hash"], password):
        _failed(conn, row["username"], "wrong password", where)
        return None
    if not row["active"]:
        _failed(conn, row["username"], "deactivated", where)
        return None
    if _hasher.check_needs_rehash(row["password_hash"]):
        conn.execute(
            text("UPDATE app_user SET password_hash = :h WHERE id = :id"),
            {"h": hash_password(password), "id": row["id"]},
        )
    conn.execute(
        text("UPDATE app_user SET last_login_at = :now WHERE id = :id"),
        {"now": now, "id": row["id"]},
    )
    user = _user(row)
    session = open_session(
        conn, user, policy=policy, now=now, client_ip=client_ip, user_agent=user_agent
    )
    audit.record(
        conn,
        user,
        "auth.login",
        "user",
        user.username,
        None,
        {"session": session.id, "expires_at": session.expires_at.isoformat()} | where,
    )
    return session


def _failed(conn: Connection, username: str, reason: str, where: dict[str, Any]) -> None:
    name = audit.actor_name(username)
    log.warning("failed log-in for %r from %s: %s", name, where.get("client_ip"), reason)
    audit.record(conn, name, "auth.login_failed", "user", name, None, {"reason": reason} | where)


def open_session(
    conn: Connection,
    user: User,
    *,
    policy: SessionPolicy,
    now: dt.datetime | None = None,
    client_ip: str | None = None,
    user_agent: str | None = None,
) -> LoginSession:
    """Open a session for ``user`` without a password (used by :func:`authenticate` and tests)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    expires = now + policy.lifetime
    # Ended sessions are kept a while for investigations, then dropped (the audit log stays).
    conn.execute(
        text("DELETE FROM user_session WHERE user_id = :uid AND expires_at < :old"),
        {"uid": user.id, "old": now - SESSION_RETENTION},
    )
    session_id = conn.execute(
        text(
            "INSERT INTO user_session (token_digest, user_id, created_at, expires_at, "
            "last_seen_at, client_ip, user_agent) "
            "VALUES (:digest, :user_id, :now, :expires, :now, :ip, :agent) RETURNING id"
        ),
        {
            "digest": policy.digest(token),
            "user_id": user.id,
            "now": now,
            "expires": expires,
            "ip": (client_ip or None) and client_ip[:64],
            "agent": (user_agent or None) and user_agent[:256],
        },
    ).scalar_one()
    return LoginSession(int(session_id), token, user, expires)


def resolve_session(
    conn: Connection, token: str, *, policy: SessionPolicy, now: dt.datetime | None = None
) -> tuple[User, int] | None:
    """The user and session id a token stands for; ``None`` if unknown, ended, or expired."""
    if not token or len(token) > 128:
        return None
    now = now or utcnow()
    row = (
        conn.execute(
            text(
                f"SELECT s.id AS session_id, s.last_seen_at, s.expires_at, "
                f"{', '.join('u.' + c.strip() for c in _USER_COLUMNS.split(','))} "
                "FROM user_session s JOIN app_user u ON u.id = s.user_id "
                "WHERE s.token_digest = :digest AND s.revoked_at IS NULL"
            ),
            {"digest": policy.digest(token)},
        )
        .mappings()
        .first()
    )
    if row is None or not row["active"]:
        return None
    if now >= row["expires_at"] or now - row["last_seen_at"] >= policy.idle:
        return None
    if now - row["last_seen_at"] >= TOUCH_EVERY:
        conn.execute(
            text("UPDATE user_session SET last_seen_at = :now WHERE id = :id"),
            {"now": now, "id": row["session_id"]},
        )
    return _user(row), int(row["session_id"])


def logout(
    conn: Connection, token: str, *, policy: SessionPolicy, now: dt.datetime | None = None
) -> User | None:
    """End the session of ``token`` (audited as ``auth.logout``); ``None`` if it had ended."""
    now = now or utcnow()
    found = resolve_session(conn, token, policy=policy, now=now)
    if found is None:
        return None
    user, session_id = found
    conn.execute(
        text("UPDATE user_session SET revoked_at = :now WHERE id = :id"),
        {"now": now, "id": session_id},
    )
    audit.record(conn, user, "auth.logout", "user", user.username, None, {"session": session_id})
    return user


def end_sessions(
    conn: Connection, user_id: int, *, now: dt.datetime | None = None, keep: int | None = None
) -> int:
    """End every open session of a user (but ``keep``); returns how many."""
    result = conn.execute(
        text(
            "UPDATE user_session SET revoked_at = :now WHERE user_id = :uid "
            "AND revoked_at IS NULL AND id IS DISTINCT FROM CAST(:keep AS bigint)"
        ),
        {"now": now or utcnow(), "uid": user_id, "keep": keep},
    )
    return int(result.rowcount)


# ----------------------------------------------------------------------------- demo logins

#: The password of every demo login (demo mode only; see ``gridmap user demo``).
DEMO_PASSWORD = "gridmap-demo"
#: The sample city's district the demo users work in: 临川区.
DEMO_DISTRICT = "361002"
#: One user per role: (user name, role, display name, scope level, department).
DEMO_USERS: tuple[tuple[str, Role, str, str, str | None], ...] = (
    ("admin", Role.ADMIN, "演示管理员", "city", None),
    ("planner", Role.PLANNER, "临川区规划员", "district", None),
    ("county", Role.COUNTY, "临川区县区专员", "district", None),
    ("department", Role.DEPARTMENT, "街道城管专员", "street", "城管局"),
    ("party", Role.PARTY, "社区党委专员", "community", None),
    ("worker", Role.FIELD_WORKER, "网格员", "grid", None),
)


def demo_scopes(conn: Connection, district: str = DEMO_DISTRICT) -> dict[str, Scope]:
    """Scopes in the sample city: the district, its first street, that street's first
    community and that community's first unified grid."""
    row = conn.execute(
        text(
            "SELECT s.code, c.code, g.code FROM street s "
            "JOIN community c ON c.street_id = s.id "
            "JOIN grid g ON g.community_id = c.id AND g.community_count = 1 "
            "JOIN grid_layer l ON l.id = g.layer_id AND l.code = 'unified' "
            "WHERE starts_with(s.code, :d) ORDER BY s.code, c.code, g.code LIMIT 1"
        ),
        {"d": district},
    ).first()
    if row is None:
        raise NotFound(
            f"district {district} with a unified grid layer is not loaded: "
            "run `gridmap load-sample` first",
            district=district,
        )
    street, community, grid = row
    return {
        "city": EVERYTHING,
        "district": Scope.district(district),
        "street": Scope.street(street),
        "community": Scope.community(community),
        "grid": Scope.grid(grid),
    }


def ensure_demo_users(conn: Connection, actor: Actor) -> list[tuple[User, bool]]:
    """Create the demo users that are missing (idempotent); returns (user, created) per role.

    Existing users of those names are left as they are.
    """
    scopes = demo_scopes(conn)
    result = []
    for username, role, display_name, level, department in DEMO_USERS:
        row = _find(conn, username)
        if row is not None:
            result.append((_user(row), False))
            continue
        user = create_user(
            conn,
            actor,
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            scope=scopes[level],
            department=department,
            display_name=display_name,
        )
        result.append((user, True))
    return result


def demo_logins(conn: Connection) -> list[tuple[str, str, str]]:
    """(user name, role, scope) of the active demo users, for the log-in page in demo mode."""
    names = [u[0] for u in DEMO_USERS]
    rows = conn.execute(
        text(f"SELECT {_USER_COLUMNS} FROM app_user WHERE active AND username = ANY(:names)"),
        {"names": names},
    ).mappings()
    users = {r["username"]: _user(r) for r in rows}
    return [
        (name, ROLE_LABELS[users[name].role], describe_scope(conn, users[name].scope))
        for name in names
        if name in users
    ]
