"""Users, sessions and failed log-ins."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from gis.infra.models.base import Base, one_of

ROLES = ("admin", "province", "planner", "county", "department", "party", "field_worker", "taker")


SCOPE_LEVELS = ("province", "city", "district", "street", "community", "grid")


class AppUser(Base):
    """A person who logs in: a role, and a scope in the admin hierarchy (see gis.accounts).

    Users are deactivated, never deleted: the audit log names them for as long as it is kept.
    """

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(one_of("role", ROLES), name="app_user_role"),
        CheckConstraint(one_of("scope_level", SCOPE_LEVELS), name="app_user_scope_level"),
        CheckConstraint(
            "(scope_level = 'grid') = (scope_layer IS NOT NULL)", name="app_user_grid_layer"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    scope_level: Mapped[str] = mapped_column(String(12))
    scope_code: Mapped[str] = mapped_column(String(24), default="")
    scope_layer: Mapped[str | None] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Set by an administrator's reset: the user must choose their own password at next log-in.
    must_change_password: Mapped[bool] = mapped_column(Boolean, server_default="false")


class UserSession(Base):
    """A log-in session. Only a keyed digest of its token is stored, never the token itself."""

    __tablename__ = "user_session"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(256))


class LoginFailure(Base):
    """A failed log-in, kept for the throttle's window (gis.accounts.throttle): every server
    process counts the same failures."""

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_ip_at", "client_ip", "at"),
        Index("ix_login_failure_user_ip", "username", "client_ip"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    client_ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
