"""Who is asking: log-in and log-out, the ``CurrentUser`` dependency, roles and scopes.

A client logs in with ``POST /auth/login`` (JSON) or the ``/login`` page (a form) and gets a
session token, both as an HttpOnly ``gridmap_session`` cookie (SameSite=Lax; Secure over https)
and in the JSON answer, for scripts that send ``Authorization: Bearer <token>``. Sessions live
in the database (see :mod:`gis.accounts`), so logging out or deactivating a user ends them at
once. Unsafe requests by cookie need the CSRF token (see :mod:`api.security`).

Routes declare who may call them with dependencies::

    def route(access: AccessDep): ...                # any logged-in user, as an Access
    def route(access: MapAccess): ...                # … who may view the map
    def route(access: Annotated[Access, Depends(permitted(Permission.EDIT_LAYERS))]): ...
    def route(admin: AdminUser): ...                 # administrators (AdminAccess: as an Access)

Every gis/ call that reads or writes scoped data is given the request's ``access``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, Security
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection

from api.deps import ConnDep
from api.problems import problem
from api.schemas import LoginIn, LoginOut, MeOut, PasswordChange, UserOut
from api.security import SESSION_COOKIE, csrf_token
from gis.access import Access
from gis.accounts import (
    LoginSession,
    Permission,
    Role,
    SessionPolicy,
    User,
    authenticate,
    change_password,
    describe_scope,
    logout,
    resolve_session,
)
from gis.accounts.throttle import LoginThrottle
from gis.errors import Forbidden, Unauthorized

log = logging.getLogger(__name__)

cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE,
    scheme_name="session",
    description="the session cookie set by POST /auth/login or the /login page",
    auto_error=False,
)
bearer_scheme = HTTPBearer(
    scheme_name="bearer",
    description="the token answered by POST /auth/login",
    auto_error=False,
)


async def get_policy(request: Request) -> SessionPolicy:
    policy: SessionPolicy = request.app.state.policy
    return policy


async def get_now(request: Request) -> dt.datetime:
    """The current time (from ``app.state.clock``: tests move it instead of sleeping)."""
    now: dt.datetime = request.app.state.clock()
    return now


PolicyDep = Annotated[SessionPolicy, Depends(get_policy)]
NowDep = Annotated[dt.datetime, Depends(get_now)]


def client_ip(request: Request) -> str:
    """The client's address: the TCP peer, or what a trusted proxy says it forwarded for
    (``GRIDMAP_TRUSTED_PROXIES``; see :func:`api.app.create_app`). Headers of anyone else are
    ignored, so a client cannot choose the address its failed log-ins are counted against."""
    return request.client.host if request.client else "unknown"


@dataclass(frozen=True)
class Auth:
    """A resolved session: the user, and how the request proved it."""

    user: User
    session_id: int
    token: str
    via: str  # 'cookie' | 'bearer'


def optional_auth(
    conn: ConnDep,
    policy: PolicyDep,
    now: NowDep,
    cookie: Annotated[str | None, Security(cookie_scheme)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> Auth | None:
    """The session of the request, if any (a bearer header wins over the cookie)."""
    token, via = (bearer.credentials, "bearer") if bearer else (cookie, "cookie")
    if not token:
        return None
    found = resolve_session(conn, token, policy=policy, now=now)
    if found is None:
        return None
    user, session_id = found
    return Auth(user, session_id, token, via)


OptionalAuth = Annotated[Auth | None, Depends(optional_auth)]


async def current_auth(auth: OptionalAuth) -> Auth:
    if auth is None:
        raise Unauthorized(
            "请先登录：POST /auth/login 或打开 /login 页面（会话可能"
            "已过期） ("
            "log in first: POST /auth/login, or the /login page (the session may have expired))"
        )
    return auth


AuthDep = Annotated[Auth, Depends(current_auth)]


async def current_user(auth: AuthDep) -> User:
    """The logged-in user. One whose password an administrator reset may only see who they are
    (``/auth/me``), change the password and log out: everything else is 403 until they do."""
    if auth.user.must_change_password:
        raise Forbidden(
            "请先修改密码：管理员重置了您的密码 (an administrator reset your password: change it "
            "first with POST /auth/password, giving the one you were told)",
            must_change_password=True,
        )
    return auth.user


CurrentUser = Annotated[User, Depends(current_user)]


def require(*roles: Role) -> Callable[[User], Awaitable[User]]:
    """A dependency that lets only these roles through (others: 403)."""
    allowed = frozenset(roles)

    async def dependency(user: CurrentUser) -> User:
        if user.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise Forbidden(
                f"只有 {names} 可以执行此操作；您的角色是 "
                f"{user.role.value} ("
                f"only {names} may do this; you are {user.role.value})",
                role=user.role.value,
            )
        return user

    return dependency


def require_permission(permission: Permission) -> Callable[[User], Awaitable[User]]:
    """A dependency that lets only roles carrying ``permission`` through (others: 403)."""

    async def dependency(user: CurrentUser) -> User:
        user.require(permission)
        return user

    return dependency


AdminUser = Annotated[User, Depends(require(Role.ADMIN))]


async def current_access(user: CurrentUser) -> Access:
    """The request's :class:`~gis.access.Access`: what every scoped gis/ call is given."""
    return Access.of(user)


async def map_access(
    user: Annotated[User, Depends(require_permission(Permission.VIEW_MAP))],
) -> Access:
    """Access of a user whose role may read the map (every role today; 403 otherwise)."""
    return Access.of(user)


AccessDep = Annotated[Access, Depends(current_access)]
MapAccess = Annotated[Access, Depends(map_access)]


def permitted(permission: Permission) -> Callable[[User], Awaitable[Access]]:
    """A dependency: the request's :class:`~gis.access.Access`, for roles carrying
    ``permission`` (others: the same 403 as :func:`require_permission`)."""

    check = require_permission(permission)

    # A default, not an Annotated[...] hint: with postponed annotations FastAPI could not
    # resolve a hint naming the closure's ``check``.
    async def dependency(user: User = Depends(check)) -> Access:
        return Access.of(user)

    return dependency


async def admin_access(admin: AdminUser) -> Access:
    """The access of an administrator (others: the same 403 as :data:`AdminUser`)."""
    return Access.of(admin)


AdminAccess = Annotated[Access, Depends(admin_access)]


# ----------------------------------------------------------------------------- log-in


@dataclass(frozen=True)
class LoginAttempt:
    session: LoginSession | None
    retry_after: int | None = None


def attempt_login(
    request: Request,
    conn: Connection,
    policy: SessionPolicy,
    now: dt.datetime,
    username: str,
    password: str,
) -> LoginAttempt:
    """Rate limit, then check the password (recorded either way; the caller commits)."""
    throttle: LoginThrottle = request.app.state.login_throttle
    ip = client_ip(request)
    wait = throttle.retry_after(conn, username, ip, now=now)
    if wait is not None:
        log.warning("log-in of %r from %s throttled for %d s", username[:64], ip, wait)
        return LoginAttempt(None, wait)
    session = authenticate(
        conn,
        username,
        password,
        policy=policy,
        now=now,
        client_ip=ip,
        user_agent=request.headers.get("user-agent"),
    )
    if session is None:
        throttle.failed(conn, username, ip, now=now)
    else:
        throttle.succeeded(conn, username, ip)
    return LoginAttempt(session)


def set_session_cookie(
    response: Response, request: Request, session: LoginSession, now: dt.datetime
) -> None:
    settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=max(1, int((session.expires_at - now).total_seconds())),
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure or request.url.scheme == "https",
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


def refused(request: Request, attempt: LoginAttempt) -> JSONResponse:
    """The problem answer to a failed or throttled log-in (never saying which part was wrong)."""
    if attempt.retry_after is not None:
        answer = problem(
            429,
            "请求过于频繁 Too many requests",
            f"登录失败次数过多：请 {attempt.retry_after} 秒后再试 "
            f"(too many failed log-ins: try again in {attempt.retry_after} s)",
            request.url.path,
        )
        answer.headers["Retry-After"] = str(attempt.retry_after)
        return answer
    answer = problem(
        401,
        "未登录 Unauthorized",
        "用户名或密码错误 (wrong user name or password)",
        request.url.path,
    )
    answer.headers["WWW-Authenticate"] = 'Bearer realm="gridmap"'
    return answer


def user_out(user: User) -> UserOut:
    return UserOut.model_validate(user.to_dict())


router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/login",
    summary="Log in with a user name and password",
    response_model=LoginOut,
    responses={401: {"description": "wrong user name or password"}, 429: {}},
)
def login(
    request: Request, conn: ConnDep, policy: PolicyDep, now: NowDep, body: LoginIn
) -> Response:
    """Open a session: sets the ``gridmap_session`` cookie and answers the token for scripts.

    Failed log-ins are counted per user name and client address; past the limit the answer is
    429 with ``Retry-After``. Every log-in and failed log-in is in the audit log.
    """
    attempt = attempt_login(request, conn, policy, now, body.username, body.password)
    if attempt.session is None:
        return refused(request, attempt)
    session = attempt.session
    out = LoginOut(
        user=user_out(session.user),
        token=session.token,
        csrf_token=csrf_token(policy.secret, session.token),
        expires_at=session.expires_at,
    )
    answer = JSONResponse(out.model_dump(mode="json"))
    set_session_cookie(answer, request, session, now)
    return answer


@router.post("/logout", status_code=204, summary="End this session")
def logout_route(conn: ConnDep, policy: PolicyDep, now: NowDep, auth: OptionalAuth) -> Response:
    """End the session (cookie or bearer) and clear the cookie; a no-op without one."""
    if auth is not None:
        logout(conn, auth.token, policy=policy, now=now)
    answer = Response(status_code=204)
    clear_session_cookie(answer)
    return answer


@router.get("/me", summary="Who I am: user, role, scope and CSRF token")
def me(conn: ConnDep, policy: PolicyDep, auth: AuthDep) -> MeOut:
    return MeOut(
        user=user_out(auth.user),
        scope_name=describe_scope(conn, auth.user.scope),
        csrf_token=csrf_token(policy.secret, auth.token),
        authenticated_by="bearer" if auth.via == "bearer" else "cookie",
    )


@router.post("/password", status_code=204, summary="Change my password")
def password(conn: ConnDep, now: NowDep, auth: AuthDep, body: PasswordChange) -> Response:
    """Change one's own password; one's other sessions end (this one goes on)."""
    change_password(
        conn,
        auth.user,
        body.old_password,
        body.new_password,
        keep_session=auth.session_id,
        now=now,
    )
    return Response(status_code=204)
