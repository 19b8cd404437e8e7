"""Request and response bodies of the JSON API, one module per area; the common parts in
:mod:`api.schemas.common`. The account models are re-exported here, where routers found them."""

from api.schemas.accounts import (
    AuditEntry,
    AuditPage,
    GridOut,
    GridRename,
    LoginIn,
    LoginOut,
    MeOut,
    NewPassword,
    PasswordChange,
    PlainText,
    Problem,
    Prose,
    ScopeOut,
    ScopeText,
    UserCreate,
    Username,
    UserOut,
    UserPatch,
)

__all__ = [
    "AuditEntry",
    "AuditPage",
    "GridOut",
    "GridRename",
    "LoginIn",
    "LoginOut",
    "MeOut",
    "NewPassword",
    "PasswordChange",
    "PlainText",
    "Prose",
    "Problem",
    "ScopeOut",
    "ScopeText",
    "UserCreate",
    "UserOut",
    "UserPatch",
    "Username",
]
