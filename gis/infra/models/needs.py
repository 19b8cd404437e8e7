"""三张清单 and 双报到: residents' needs, the orders that give them to a taker, and the takers —
paired units (结对共建), members registered where they live (双报到) and volunteer teams
(migration 0016; the rules live in :mod:`gis.needs`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gis.infra.models.base import Base, geom, gist, one_of

NEED_KINDS = ("wish", "elderly", "disabled", "childcare", "repair", "legal", "health", "other")
NEED_STATUSES = ("open", "dispatched", "accepted", "done", "evaluated", "cancelled")
NEED_SOURCES = ("resident", "field", "staff", "incident")
ORDER_STATES = ("dispatched", "accepted", "declined", "done", "withdrawn")
TAKER_KINDS = ("unit", "member", "team")
#: Orders a taker still holds: at most one of them per need (a partial unique index).
LIVE_ORDER = "state IN ('dispatched', 'accepted')"
PERIOD = "daterange(starts_on, ends_on, '[]')"
_ONE_TAKER = (
    "(taker_kind = 'unit') = (unit_id IS NOT NULL)"
    " AND (taker_kind = 'member') = (member_id IS NOT NULL)"
    " AND (taker_kind = 'team') = (team_id IS NOT NULL)"
)


def _skills() -> Any:
    return mapped_column(ARRAY(String(16)), server_default="{}")


class PairedUnit(Base):
    """结对单位: a government or state unit that is paired with communities and offers help."""

    __tablename__ = "paired_unit"
    __table_args__ = (
        CheckConstraint("hours_per_month >= 0", name="paired_unit_hours"),
        gist("paired_unit"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("party_organisation.id", ondelete="SET NULL"), index=True
    )
    offer: Mapped[str] = mapped_column(Text, server_default="")
    skills: Mapped[list[str]] = _skills()
    hours_per_month: Mapped[float] = mapped_column(Float)
    geom: Mapped[Any] = mapped_column(geom("POINT"), nullable=False)


class UnitPairing(Base):
    """结对共建: a unit paired with a community for a period (both days included)."""

    __tablename__ = "unit_pairing"
    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="unit_pairing_period"),
        ExcludeConstraint(
            ("unit_id", "="),
            ("community_id", "="),
            (text(PERIOD), "&&"),
            using="gist",
            name="unit_pairing_once",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("paired_unit.id", ondelete="CASCADE"))
    community_id: Mapped[int] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), index=True
    )
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)


class MemberRegistration(Base):
    """双报到: a party member registered with the community where they live — one at a time
    (an exclusion constraint over the periods), with skills and hours offered per month."""

    __tablename__ = "member_registration"
    __table_args__ = (
        CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on", name="member_registration_period"
        ),
        CheckConstraint("hours_per_month >= 0", name="member_registration_hours"),
        ExcludeConstraint(
            ("member_id", "="),
            (text(PERIOD), "&&"),
            using="gist",
            name="member_registration_one_community",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("party_member.id", ondelete="CASCADE"), index=True
    )
    community_id: Mapped[int] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), index=True
    )
    skills: Mapped[list[str]] = _skills()
    hours_per_month: Mapped[float] = mapped_column(Float)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)


class VolunteerTeam(Base):
    """A volunteer team of a community (一老一小一新一青): skills and hours per month."""

    __tablename__ = "volunteer_team"
    __table_args__ = (
        CheckConstraint("hours_per_month >= 0", name="volunteer_team_hours"),
        gist("volunteer_team"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    community_id: Mapped[int] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), index=True
    )
    skills: Mapped[list[str]] = _skills()
    hours_per_month: Mapped[float] = mapped_column(Float)
    volunteers: Mapped[int] = mapped_column(Integer, server_default="0")
    geom: Mapped[Any] = mapped_column(geom("POINT"), nullable=False)


class Need(Base):
    """需求 (群众点单): what a resident asked for, where, by when; its status follows its orders."""

    __tablename__ = "need"
    __table_args__ = (
        CheckConstraint(one_of("kind", NEED_KINDS), name="need_kind"),
        CheckConstraint(one_of("status", NEED_STATUSES), name="need_status"),
        CheckConstraint(one_of("source", NEED_SOURCES), name="need_source"),
        CheckConstraint("hours > 0", name="need_hours"),
        Index("ix_need_community_status", "community_id", "status"),
        gist("need"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, server_default="")
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    grid_id: Mapped[int | None] = mapped_column(
        ForeignKey("grid.id", ondelete="SET NULL"), index=True
    )
    building_id: Mapped[int | None] = mapped_column(
        ForeignKey("building.id", ondelete="SET NULL"), index=True
    )
    entrance_id: Mapped[int | None] = mapped_column(
        ForeignKey("building_entrance.id", ondelete="SET NULL"), index=True
    )
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incident.id", ondelete="SET NULL"), index=True
    )
    requester_name: Mapped[str] = mapped_column(String(32))
    requester_phone: Mapped[str] = mapped_column(String(20))
    hours: Mapped[float] = mapped_column(Float)
    due_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))
    source: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    geom: Mapped[Any] = mapped_column(geom("POINT"), nullable=False)


class NeedOrder(Base):
    """An order (社区派单 → 接单): a need given to one taker; declined or withdrawn orders stay."""

    __tablename__ = "need_order"
    __table_args__ = (
        CheckConstraint(one_of("taker_kind", TAKER_KINDS), name="need_order_taker_kind"),
        CheckConstraint(one_of("state", ORDER_STATES), name="need_order_state"),
        CheckConstraint(_ONE_TAKER, name="need_order_one_taker"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="need_order_rating"),
        CheckConstraint("hours_given >= 0", name="need_order_hours"),
        Index(
            "ix_need_order_live",
            "need_id",
            unique=True,
            postgresql_where=text(LIVE_ORDER),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"), index=True)
    taker_kind: Mapped[str] = mapped_column(String(8))
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("paired_unit.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("party_member.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteer_team.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(12))
    hours_given: Mapped[float | None] = mapped_column(Float)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    note: Mapped[str] = mapped_column(Text, server_default="")
    dispatched_by: Mapped[str] = mapped_column(String(80))
    dispatched_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class NeedEvent(Base):
    """One step of a need's history: who moved it from which status to which, when, and why."""

    __tablename__ = "need_event"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, server_default="")


class TakerAccount(Base):
    """The log-in of a taker (role ``taker``): which unit, member or team the user acts for."""

    __tablename__ = "taker_account"
    __table_args__ = (CheckConstraint(_ONE_TAKER, name="taker_account_one_taker"),)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    taker_kind: Mapped[str] = mapped_column(String(8))
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("paired_unit.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("party_member.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteer_team.id", ondelete="CASCADE"), index=True
    )
