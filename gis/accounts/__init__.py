"""Accounts: users, their roles and scopes, passwords (argon2id), log-in sessions and throttle.

A user has one **role** (what they may do) and one **scope** (where: a place in the admin
hierarchy, see :mod:`gis.scope`). Every gis/ query that returns governed data takes the user's
scope; every change checks the role's :class:`Permission` and records itself in the audit log.

The package, by seam: :mod:`~gis.accounts.roles` (roles, permissions, :class:`User`),
:mod:`~gis.accounts.passwords` (hashing, strength), :mod:`~gis.accounts.records` (user rows),
:mod:`~gis.accounts.users` (managing users), :mod:`~gis.accounts.sessions` (log-in sessions),
:mod:`~gis.accounts.throttle` (failed log-ins, shared by every server process),
:mod:`~gis.accounts.demo` (the demo logins).
"""

from gis.accounts.demo import (
    DEMO_DISTRICT,
    DEMO_PASSWORD,
    DEMO_USERS,
    demo_logins,
    demo_scopes,
    ensure_demo_users,
)
from gis.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    check_password,
    hash_password,
    verify_password,
)
from gis.accounts.records import USERNAME_RE, USERNAME_RULE, get_user, normalize_username
from gis.accounts.roles import (
    ROLE_LABELS,
    ROLE_PERMISSIONS,
    ROLE_SCOPE_LEVELS,
    Permission,
    Role,
    User,
)
from gis.accounts.sessions import (
    SESSION_RETENTION,
    TOUCH_EVERY,
    LoginSession,
    SessionPolicy,
    authenticate,
    end_sessions,
    logout,
    open_session,
    resolve_session,
    utcnow,
)
from gis.accounts.users import (
    change_password,
    check_scope,
    create_user,
    describe_scope,
    list_users,
    reset_password,
    update_user,
)

__all__ = [
    "DEMO_DISTRICT",
    "DEMO_PASSWORD",
    "DEMO_USERS",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "ROLE_LABELS",
    "ROLE_PERMISSIONS",
    "ROLE_SCOPE_LEVELS",
    "SESSION_RETENTION",
    "TOUCH_EVERY",
    "USERNAME_RE",
    "USERNAME_RULE",
    "LoginSession",
    "Permission",
    "Role",
    "SessionPolicy",
    "User",
    "authenticate",
    "change_password",
    "check_password",
    "check_scope",
    "create_user",
    "demo_logins",
    "demo_scopes",
    "describe_scope",
    "end_sessions",
    "ensure_demo_users",
    "get_user",
    "hash_password",
    "list_users",
    "logout",
    "normalize_username",
    "open_session",
    "reset_password",
    "resolve_session",
    "update_user",
    "utcnow",
    "verify_password",
]
