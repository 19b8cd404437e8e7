"""Request and response bodies of the JSON API (the GeoJSON ones are built in PostGIS)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from gis.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, Role

# Free text that PostgreSQL can store and a page can show: no control characters (NUL above all).
PlainText = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]*$")]
# Free text of several lines (a description, a note): anything but NUL, which PostgreSQL refuses.
Prose = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$")]
Username = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$"),
    Field(description="2–64 characters: a-z, 0-9, '.', '_', '-'", examples=["lichuan.planner"]),
]
NewPassword = Annotated[
    str,
    Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        description=f"at least {MIN_PASSWORD_LENGTH} characters, not containing the user name",
    ),
]
ScopeText = Annotated[
    str,
    StringConstraints(pattern=r"^(city|district|street|community|grid)(:[0-9A-Za-z_/-]{0,90})?$"),
    Field(
        description="level:code — city, city:3610, district:361002, street:361002001, "
        "community:361002001001, grid:361002001001001 or grid:zongzhi/361002001001901",
        examples=["district:361002"],
    ),
]


class Problem(BaseModel):
    """An error (RFC 9457 problem details)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str

    model_config = ConfigDict(extra="allow")


class ScopeOut(BaseModel):
    level: Literal["province", "city", "district", "street", "community", "grid"]
    code: str
    layer: str | None
    text: str = Field(description="the scope as written in requests and on the command line")
    label: str


class UserOut(BaseModel):
    username: str
    display_name: str
    role: Role
    role_label: str
    scope: ScopeOut
    department: str | None
    active: bool
    permissions: list[str]
    created_at: dt.datetime | None
    last_login_at: dt.datetime | None
    must_change_password: bool = Field(
        False, description="an administrator set the password: change it (POST /auth/password)"
    )


class LoginIn(BaseModel):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)]


class LoginOut(BaseModel):
    user: UserOut
    token: str = Field(description="send as 'Authorization: Bearer …' (or use the cookie)")
    token_type: Literal["bearer"] = "bearer"
    csrf_token: str = Field(description="send as X-CSRF-Token on unsafe requests by cookie")
    expires_at: dt.datetime


class MeOut(BaseModel):
    user: UserOut
    scope_name: str
    csrf_token: str
    authenticated_by: Literal["cookie", "bearer"]


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    old_password: Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
    new_password: NewPassword


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Username
    password: NewPassword
    role: Role
    scope: ScopeText
    department: Annotated[PlainText | None, Field(max_length=64)] = None
    display_name: Annotated[PlainText, Field(max_length=64)] = ""


class UserPatch(BaseModel):
    """Fields to change; absent fields stay as they are (``department: null`` clears it)."""

    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    scope: ScopeText | None = None
    department: Annotated[PlainText | None, Field(max_length=64)] = None
    display_name: Annotated[PlainText | None, Field(max_length=64)] = None
    active: bool | None = None
    password: NewPassword | None = Field(
        None,
        description="another user's new password (they must change it at their next log-in); "
        "one's own changes only through POST /auth/password, with the current one",
    )


class AuditEntry(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: str | None
    before: Any
    after: Any


class AuditPage(BaseModel):
    items: list[AuditEntry]
    numberMatched: int  # noqa: N815 - OGC API spelling, as the GeoJSON collections
    numberReturned: int  # noqa: N815
    next_offset: int | None = None


class GridRename(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[PlainText, Field(min_length=1, max_length=128)]


class GridOut(BaseModel):
    layer: str
    code: str
    name: str
