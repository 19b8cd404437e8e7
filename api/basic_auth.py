"""Who is asking, for the OGC API: a session (cookie or bearer) or HTTP Basic credentials.

QGIS 3.22 sends no custom header from a layer URI, but it does send HTTP Basic credentials from
an authentication configuration (authcfg); OWSLib and ArcGIS do the same. So the ``/ogc`` routes
accept, besides the usual session, a Gridmap user name and password in an ``Authorization:
Basic`` header, checked like a log-in (:func:`gis.accounts.credentials.check_credentials`):
the same throttle of failed log-ins per user name and address, the same audit rows, and a user
whose password an administrator reset is refused until they change it. No credentials at all is
401 with ``WWW-Authenticate: Basic realm="Gridmap"``, which makes clients ask for them.

A client sends the credentials with every request (QGIS pages through a layer in many), and an
argon2 check costs tens of milliseconds by design. So a success is remembered for a few minutes
under a keyed digest of the user name and password (never the password), and only while the
user's password hash is unchanged and the user active: a changed password, a reset or a
deactivation ends it at once. Failures are never remembered, so each one is counted.

Failed checks must be recorded even though the request fails: the check runs in its own
transaction (:func:`login_transaction`), committed before the 401 is raised.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection
from starlette.exceptions import HTTPException

from api.auth import NowDep, OptionalAuth, PolicyDep, client_ip
from api.deps import engine_of
from gis.access import Access
from gis.accounts import Permission, SessionPolicy, User
from gis.accounts.credentials import check_credentials, password_hash_of
from gis.accounts.throttle import LoginThrottle
from gis.errors import Forbidden

REALM = 'Basic realm="Gridmap", charset="UTF-8"'
#: How long a verified user name + password is remembered (see the module doc).
REMEMBER_SECONDS = 300.0
REMEMBER_MAX = 4096

Transaction = Callable[[], AbstractContextManager[Connection]]


def login_transaction(request: Request) -> Transaction:
    """A transaction of its own for the credential check (tests replace it with a savepoint)."""
    return engine_of(request).begin


class _Remembered:
    """Verified credentials: digest → (password hash at the time, monotonic expiry)."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            found = self._seen.get(key)
            if found is None or found[1] < time.monotonic():
                self._seen.pop(key, None)
                return None
            return found[0]

    def put(self, key: str, password_hash: str) -> None:
        with self._lock:
            if len(self._seen) >= REMEMBER_MAX:
                self._seen.clear()
            self._seen[key] = (password_hash, time.monotonic() + REMEMBER_SECONDS)


def _remembered(request: Request) -> _Remembered:
    state = request.app.state
    if not hasattr(state, "basic_remembered"):
        state.basic_remembered = _Remembered()
    remembered: _Remembered = state.basic_remembered
    return remembered


def challenge(detail: str) -> HTTPException:
    """401 that makes GIS clients (and browsers) ask for a user name and password."""
    return HTTPException(401, detail, headers={"WWW-Authenticate": REALM})


def _credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise challenge("Basic credentials are not base64 of 'user:password' (UTF-8)") from exc
    username, colon, password = decoded.partition(":")
    if not colon or not username or len(password) > 1024 or "\x00" in decoded:
        raise challenge("Basic credentials must be 'user:password'")
    return username, password


def _verify(
    request: Request,
    policy: SessionPolicy,
    transaction: Transaction,
    now: NowDep,
    username: str,
    password: str,
) -> User:
    key = hmac.new(
        policy.secret.encode(), f"{username}\x00{password}".encode(), hashlib.sha256
    ).hexdigest()
    remembered = _remembered(request)
    throttle: LoginThrottle = request.app.state.login_throttle
    ip = client_ip(request)
    wait: int | None = None
    user: User | None = None
    with transaction() as conn:  # committed before anything is raised: failures count
        current = password_hash_of(conn, username)
        if current is not None and remembered.get(key) == current[1]:
            return current[0]
        wait = throttle.retry_after(conn, username, ip, now=now)
        if wait is None:
            user = check_credentials(conn, username, password, now=now, client_ip=ip)
            if user is None:
                throttle.failed(conn, username, ip, now=now)
            else:
                throttle.succeeded(conn, username, ip)
                if current is not None:
                    remembered.put(key, current[1])
    if wait is not None:
        raise HTTPException(
            429,
            f"登录失败次数过多 (too many failed log-ins: try again in {wait} s)",
            headers={"Retry-After": str(wait)},
        )
    if user is None:
        raise challenge("用户名或密码错误 (wrong user name or password)")
    return user


def ogc_user(
    request: Request,
    auth: OptionalAuth,
    policy: PolicyDep,
    now: NowDep,
    transaction: Annotated[Transaction, Depends(login_transaction)],
) -> User:
    """The user of an OGC request: by session, else by Basic credentials, else 401."""
    credentials = _credentials(request) if auth is None else None
    if auth is not None:
        user = auth.user
    elif credentials is not None:
        user = _verify(request, policy, transaction, now, *credentials)
    else:
        raise challenge(
            "请登录 (log in: send a Gridmap user name and password with HTTP Basic, or a "
            "session from POST /auth/login)"
        )
    if user.must_change_password:
        raise Forbidden(
            "请先修改密码 (an administrator reset your password: choose your own on the /password "
            "page first)",
            must_change_password=True,
        )
    user.require(Permission.VIEW_MAP)
    return user


async def ogc_access(user: Annotated[User, Depends(ogc_user)]) -> Access:
    return Access.of(user)


OgcAccess = Annotated[Access, Depends(ogc_access)]
