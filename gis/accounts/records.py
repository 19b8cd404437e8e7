"""User rows: names, the columns read, and a row made into a :class:`User`."""

from __future__ import annotations

import re

from sqlalchemy import Connection, RowMapping, text

from gis.accounts.roles import Role, User
from gis.errors import Invalid, NotFound
from gis.scope import Scope

USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
USERNAME_RULE = "2–64 characters: lower-case letters, digits, '.', '_' or '-', not first"
_USER_COLUMNS = (
    "id, username, display_name, role, scope_level, scope_code, scope_layer, department, "
    "active, created_at, last_login_at, must_change_password"
)


def normalize_username(username: str) -> str:
    return username.strip().lower()


def _check_username(username: str) -> str:
    name = normalize_username(username)
    if not USERNAME_RE.fullmatch(name):
        raise Invalid(
            f"用户名 {username!r} 不符合规则：{USERNAME_RULE} ("
            f"user name {username!r} is not valid: {USERNAME_RULE})",
            username=username,
        )
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
        must_change_password=row["must_change_password"],
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
        raise NotFound(
            f"没有名为 {username!r} 的用户 (no user named {username!r})", username=username
        )
    return _user(row)
