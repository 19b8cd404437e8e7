"""User management, for administrators: create users, change role or scope, deactivate.

Every change is in the audit log. An administrator manages the users inside their own scope and
cannot change their own role, scope or active flag.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import AdminAccess, AdminUser, NowDep, user_out
from api.deps import ConnDep
from api.schemas import UserCreate, UserOut, UserPatch
from gis.accounts import create_user as gis_create_user
from gis.accounts import get_user, list_users, reset_password, update_user
from gis.errors import Forbidden
from gis.scope import Scope

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", summary="Users inside my scope")
def users(conn: ConnDep, access: AdminAccess, include_inactive: bool = True) -> list[UserOut]:
    return [user_out(u) for u in list_users(conn, include_inactive=include_inactive, access=access)]


@router.post("", status_code=201, summary="Create a user")
def create_user(conn: ConnDep, access: AdminAccess, body: UserCreate) -> UserOut:
    user = gis_create_user(
        conn,
        access=access,
        username=body.username,
        password=body.password,
        role=body.role,
        scope=Scope.parse(body.scope),
        department=body.department,
        display_name=body.display_name,
    )
    return user_out(user)


@router.get("/{username}", summary="One user")
def user(conn: ConnDep, admin: AdminUser, username: str) -> UserOut:
    found = get_user(conn, username)
    if not admin.scope.contains(found.scope):
        raise Forbidden(
            f"用户 {found.username!r} 不在您的权限范围（{admin.scope}"
            "）内 ("
            f"user {found.username!r} is outside your scope ({admin.scope}))"
        )
    return user_out(found)


@router.patch("/{username}", summary="Change a user's role, scope, name, password; deactivate")
def patch_user(
    conn: ConnDep, access: AdminAccess, now: NowDep, username: str, body: UserPatch
) -> UserOut:
    """Only the fields sent change. ``"active": false`` deactivates the user and ends their
    sessions; ``password`` sets another user's new one: their sessions end, and they must change
    it at their next log-in. One's own password changes only through ``POST /auth/password``,
    with the current one (403 here), so that a stolen session is not a stolen account."""
    changes = body.model_fields_set
    kwargs: dict[str, object] = {}
    if "department" in changes:
        kwargs["department"] = body.department
    updated = update_user(
        conn,
        username,
        role=body.role,
        scope=Scope.parse(body.scope) if body.scope is not None else None,
        display_name=body.display_name,
        active=body.active,
        now=now,
        access=access,
        **kwargs,  # type: ignore[arg-type]
    )
    if body.password is not None:
        reset_password(conn, updated.username, body.password, now=now, access=access)
        updated = get_user(conn, updated.username)  # now with must_change_password
    return user_out(updated)
