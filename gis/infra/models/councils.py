"""议事协商 and 项目清单: council venues, councils with their five parties, four steps and tasks;
projects that group needs; the public intake's counts (migration 0022; the rules live in
:mod:`gis.councils`, :mod:`gis.needs.projects` and :mod:`gis.needs.intake`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from gis.infra.models.base import Base, geom, gist, one_of

VENUE_KINDS = ("home", "hall", "lawn")
COUNCIL_ORIGINS = ("need", "incident", "community")
COUNCIL_STATUSES = ("raised", "understood", "analysed", "deliberated", "settled")
COUNCIL_STEPS = ("understand", "analyse", "deliberate", "follow_up")
COUNCIL_PARTIES = ("party_committee", "owners_committee", "property", "residents", "paired_unit")
PROJECT_ROLES = ("funds", "runs")


def _fk(table: str, ondelete: str = "CASCADE") -> Any:
    return ForeignKey(f"{table}.id", ondelete=ondelete)


class CouncilVenue(Base):
    """居民之家, 议事厅 or 议事坪: where councils sit, a point in one community."""

    __tablename__ = "council_venue"
    __table_args__ = (
        CheckConstraint(one_of("kind", VENUE_KINDS), name="council_venue_kind"),
        gist("council_venue"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(8))
    community_id: Mapped[int] = mapped_column(_fk("community"), index=True)
    geom: Mapped[Any] = mapped_column(geom("POINT"), nullable=False)


class Council(Base):
    """A council topic and how far its four steps have gone (``status``)."""

    __tablename__ = "council"
    __table_args__ = (
        CheckConstraint(one_of("origin", COUNCIL_ORIGINS), name="council_origin"),
        CheckConstraint(one_of("status", COUNCIL_STATUSES), name="council_status"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="council_rating"),
        CheckConstraint(
            "(status = 'settled') = (settled_on IS NOT NULL)", name="council_settled_on"
        ),
        Index("ix_council_community_status", "community_id", "status"),
        Index(
            "ix_council_incident_once",
            "incident_id",
            unique=True,
            postgresql_where=text("incident_id IS NOT NULL"),
        ),
        gist("council"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    title: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, server_default="")
    origin: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12))
    community_id: Mapped[int] = mapped_column(_fk("community"))
    grid_id: Mapped[int | None] = mapped_column(_fk("grid", "SET NULL"), index=True)
    venue_id: Mapped[int | None] = mapped_column(_fk("council_venue", "SET NULL"), index=True)
    need_id: Mapped[int | None] = mapped_column(_fk("need", "SET NULL"), index=True)
    incident_id: Mapped[int | None] = mapped_column(_fk("incident", "SET NULL"))
    decision: Mapped[str] = mapped_column(Text, server_default="")
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    raised_by: Mapped[str] = mapped_column(String(80))
    raised_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    held_on: Mapped[dt.date | None] = mapped_column(Date)
    settled_on: Mapped[dt.date | None] = mapped_column(Date)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    geom: Mapped[Any] = mapped_column(geom("POINT"), nullable=False)


class CouncilParty(Base):
    """One of the five parties invited by role; ``attended`` once the council has sat."""

    __tablename__ = "council_party"
    __table_args__ = (
        CheckConstraint(one_of("role", COUNCIL_PARTIES), name="council_party_role"),
        UniqueConstraint("council_id", "role", name="council_party_once"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(_fk("council"))
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128))
    unit_id: Mapped[int | None] = mapped_column(_fk("paired_unit", "SET NULL"), index=True)
    attended: Mapped[bool | None] = mapped_column(Boolean)


class CouncilStep(Base):
    """One of the four steps, held on a day, with its minutes (once per council)."""

    __tablename__ = "council_step"
    __table_args__ = (
        CheckConstraint(one_of("step", COUNCIL_STEPS), name="council_step_step"),
        UniqueConstraint("council_id", "step", name="council_step_once"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    council_id: Mapped[int] = mapped_column(_fk("council"))
    step: Mapped[str] = mapped_column(String(12))
    held_on: Mapped[dt.date] = mapped_column(Date)
    minutes: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(80))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class CouncilAssignment(Base):
    """Who does what by when, decided at 议事会商; done at 落实问效."""

    __tablename__ = "council_assignment"
    __table_args__ = (
        CheckConstraint(one_of("role", COUNCIL_PARTIES), name="council_assignment_role"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(_fk("council"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    task: Mapped[str] = mapped_column(Text)
    due_on: Mapped[dt.date] = mapped_column(Date)
    done: Mapped[bool] = mapped_column(Boolean, server_default="false")


class Project(Base):
    """项目清单: needs of one community that a paired unit funds or runs."""

    __tablename__ = "project"
    __table_args__ = (CheckConstraint(one_of("role", PROJECT_ROLES), name="project_role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, server_default="")
    community_id: Mapped[int] = mapped_column(_fk("community"), index=True)
    unit_id: Mapped[int] = mapped_column(_fk("paired_unit"), index=True)
    role: Mapped[str] = mapped_column(String(8))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ProjectNeed(Base):
    """A need in a project (one project at most: the need is the key)."""

    __tablename__ = "project_need"
    need_id: Mapped[int] = mapped_column(_fk("need"), primary_key=True)
    project_id: Mapped[int] = mapped_column(_fk("project"), index=True)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class NeedIntake(Base):
    """A need posted through the public form: a digest of the client's address and the time."""

    __tablename__ = "need_intake"
    __table_args__ = (Index("ix_need_intake_client_at", "client_key", "at"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    client_key: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
