"""A user name and password checked for one request, without opening a session.

GIS clients (QGIS's authentication configurations, OWSLib, ArcGIS) send HTTP Basic credentials
with every request instead of logging in once. :func:`check_credentials` is the password check
of :func:`~gis.accounts.sessions.authenticate` — the same argon2 verification, the same cost for
an unknown user name, the same audit rows (``auth.login`` with ``via: basic``, or
``auth.login_failed`` with the reason) — but it opens no session row. The caller applies the
log-in throttle around it and commits even when the answer is ``None``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection

from gis import audit
from gis.accounts.records import _find, _user
from gis.accounts.roles import User
from gis.accounts.sessions import proven_user_row


def password_hash_of(conn: Connection, username: str) -> tuple[User, str] | None:
    """The user and their current password hash (to tell whether a remembered check still
    holds: a changed password or a deactivated user invalidates it)."""
    row = _find(conn, username)
    if row is None or not row["active"]:
        return None
    return _user(row), str(row["password_hash"])


def check_credentials(
    conn: Connection,
    username: str,
    password: str,
    *,
    now: dt.datetime,
    client_ip: str | None = None,
) -> User | None:
    """The active user these credentials prove, or ``None`` (recorded either way)."""
    where = {"client_ip": client_ip, "via": "basic"}
    row = proven_user_row(conn, username, password, now=now, where=where)
    if row is None:
        return None
    user = _user(row)
    audit.record(conn, user, "auth.login", "user", user.username, None, where)
    return user
