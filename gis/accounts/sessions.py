"""Log-in sessions, server-side.

A log-in returns a random token (sent back as a cookie or a bearer header); the database keeps
only an HMAC of it under the secret key, so a copy of the database opens no session. Logging out,
deactivating a user or resetting a password ends sessions at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis import audit
from gis.accounts.passwords import _dummy_hash, _hasher, hash_password, verify_password
from gis.accounts.records import _USER_COLUMNS, _find, _user
from gis.accounts.roles import User

log = logging.getLogger(__name__)


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
    where = {"client_ip": client_ip}
    row = proven_user_row(conn, username, password, now=now, where=where)
    if row is None:
        return None
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


def proven_user_row(
    conn: Connection, username: str, password: str, *, now: dt.datetime, where: dict[str, Any]
) -> Any:
    """The ``app_user`` row these credentials prove, or ``None`` with the failure recorded.

    The one password check of a log-in and of a GIS client's Basic credentials: an unknown user
    name costs as much argon2 time as a wrong password, a deactivated user fails, an outdated
    hash is upgraded, and ``last_login_at`` is stamped.
    """
    row = _find(conn, username)
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
    return row


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
        # SKIP LOCKED: when another request of the same session is touching it (its lock lasts
        # until that request's transaction ends, an edit's apply included), that touch will do:
        # no request waits for another to record that the session is in use.
        conn.execute(
            text(
                "UPDATE user_session SET last_seen_at = :now WHERE id = ("
                "SELECT id FROM user_session WHERE id = :id FOR UPDATE SKIP LOCKED)"
            ),
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
