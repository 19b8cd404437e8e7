"""Patrols (巡查): a field worker's tracks, check-ins, absences and the daily figures kept after
the raw points are pruned (migration 0014; the rules live in :mod:`gis.patrols`)."""

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
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from gis.infra.models.base import Base, geom, gist, one_of

PATROL_STATES = ("open", "ended")
PATROL_SOURCES = ("phone", "gpx")
CHECK_IN_KINDS = ("visit", "inspection", "key_place")
ABSENCE_KINDS = ("outing", "training", "leave")


class Patrol(Base):
    """One patrol of one worker: started and ended on the phone, or imported from a GPX file."""

    __tablename__ = "patrol"
    __table_args__ = (
        CheckConstraint(one_of("state", PATROL_STATES), name="patrol_state"),
        CheckConstraint(one_of("source", PATROL_SOURCES), name="patrol_source"),
        CheckConstraint("(state = 'ended') = (ended_at IS NOT NULL)", name="patrol_ended"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    # The worker's grid when the patrol started (time in grid is measured against it).
    grid_id: Mapped[int | None] = mapped_column(
        ForeignKey("grid.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(8))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class TrackPoint(Base):
    """One position of a patrol; ``seq`` is the phone's own number, so a batch sent twice (a lost
    answer) adds nothing twice. Raw points are pruned after the retention period."""

    __tablename__ = "track_point"
    # 16 million points a day go in: no GiST index, a BRIN on ``at`` (migration 0025); no
    # per-row foreign key (0031): the ingest checks the patrols once per patrol and a trigger
    # on patrol deletes the points of a deleted patrol.
    __table_args__ = (
        Index("ix_track_point_patrol_at", "patrol_id", "at"),
        Index("ix_track_point_at", "at", postgresql_using="brin"),
    )
    patrol_id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    accuracy: Mapped[float | None] = mapped_column(Float)
    geom: Mapped[Any] = mapped_column(geom("POINT"), nullable=False)


class CheckIn(Base):
    """A tap on the phone: here, now (at a building of the grid, or at a point)."""

    __tablename__ = "check_in"
    __table_args__ = (
        CheckConstraint(one_of("kind", CHECK_IN_KINDS), name="check_in_kind"),
        Index("ix_check_in_user_at", "user_id", "at"),
        gist("check_in"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    grid_id: Mapped[int | None] = mapped_column(
        ForeignKey("grid.id", ondelete="SET NULL"), index=True
    )
    building_id: Mapped[int | None] = mapped_column(
        ForeignKey("building.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    geom: Mapped[Any] = mapped_column(geom("POINT"), nullable=False)


class Absence(Base):
    """Reported time away from the grid (外出, 培训, 请假), with its reason."""

    __tablename__ = "absence"
    __table_args__ = (
        CheckConstraint(one_of("kind", ABSENCE_KINDS), name="absence_kind"),
        CheckConstraint("ends_at > starts_at", name="absence_period"),
        Index("ix_absence_user_starts", "user_id", "starts_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class PatrolDay(Base):
    """A worker's figures of one China day: the nightly roll-up (:mod:`gis.patrols.rollup`),
    and what is kept when that day's raw points are pruned (migrations 0014, 0025)."""

    __tablename__ = "patrol_day"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    grid_id: Mapped[int | None] = mapped_column(
        ForeignKey("grid.id", ondelete="SET NULL"), index=True
    )
    points: Mapped[int] = mapped_column(Integer)
    seconds_tracked: Mapped[float] = mapped_column(Float)
    seconds_in_grid: Mapped[float] = mapped_column(Float)
    metres: Mapped[float] = mapped_column(Float)
    buildings_passed: Mapped[int] = mapped_column(Integer)
    jumps: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The buildings passed that day, so a month counts each building once.
    building_ids: Mapped[list[int]] = mapped_column(
        ARRAY(Integer), default=list, server_default="{}"
    )
    check_ins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    key_places: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rolled_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    pruned_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (Index("ix_patrol_day_day", "day"),)


class PatrolRollup(Base):
    """A China day whose roll-up into ``patrol_day`` is complete for every worker: readers take
    its figures from there, not from the raw points."""

    __tablename__ = "patrol_rollup"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    rolled_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
