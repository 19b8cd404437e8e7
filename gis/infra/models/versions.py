"""Data versions (migration 0030; read by gis.infra.versions, bumped by triggers)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Identity, String
from sqlalchemy.orm import Mapped, mapped_column

from gis.infra.models.base import Base


class DataVersion(Base):
    """How many committed transactions have written to a subject's tables (grids, places,
    incidents); bumped at commit by a deferred trigger, never by application code."""

    __tablename__ = "data_version"
    subject: Mapped[str] = mapped_column(String(20), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, server_default="0")


class DataChange(Base):
    """One row per writing transaction, alive only until its commit: the row whose deferred
    trigger bumps the versions (a constraint trigger needs a row event)."""

    __tablename__ = "data_change"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
