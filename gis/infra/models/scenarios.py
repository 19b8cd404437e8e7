"""Merge scenarios, their durable jobs, and each county's workload profile."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gis.infra.models.base import Base, one_of

# --- Merge scenarios (gis.scenarios): a county's workload definition, scenarios, their jobs.

SCENARIO_STATES = ("queued", "running", "done", "failed", "cancelled", "adopted")


JOB_STATES = ("queued", "running", "done", "failed", "cancelled")


class WorkloadProfile(Base):
    """A county's workload: the weight of each unit attribute and the band, per district.

    A scenario copies the profile of its district when it is made, so changing the profile later
    never changes what a finished scenario meant.
    """

    __tablename__ = "workload_profile"
    __table_args__ = (
        CheckConstraint("band_low >= 0 AND band_low < band_high", name="workload_profile_band"),
    )
    district_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    households: Mapped[float] = mapped_column(Float, default=1.0)
    population: Mapped[float] = mapped_column(Float, default=0.0)
    buildings: Mapped[float] = mapped_column(Float, default=0.0)
    incidents_per_year: Mapped[float] = mapped_column(Float, default=0.0)
    care_people: Mapped[float] = mapped_column(Float, default=0.0)
    band_low: Mapped[float] = mapped_column(Float)
    band_high: Mapped[float] = mapped_column(Float)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Scenario(Base):
    """A merge scenario: parameters, who made it, and (when done) its proposed grid layer."""

    __tablename__ = "scenario"
    __table_args__ = (CheckConstraint(one_of("state", SCENARIO_STATES), name="scenario_state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    #: admin codes (district, street or community) whose base units the scenario covers
    area_codes: Mapped[list[str]] = mapped_column(ARRAY(String(12)))
    #: target_count, band, weights, seed, from_unified, keep_locked — as used by the run
    params: Mapped[dict[str, Any]] = mapped_column(JSONB)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    layer_id: Mapped[int | None] = mapped_column(
        ForeignKey("grid_layer.id", ondelete="SET NULL"), unique=True
    )
    #: the unified layer's version the run started from (the stale check of adoption)
    base_version: Mapped[int | None] = mapped_column(Integer)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    #: what adoption left to do by hand: leaders without a grid, grids without a leader …
    adoption: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    adopted_by: Mapped[str | None] = mapped_column(String(64))
    adopted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ScenarioJob(Base):
    """The durable background run of a scenario: state, progress, a cancel request."""

    __tablename__ = "scenario_job"
    __table_args__ = (CheckConstraint(one_of("state", JOB_STATES), name="scenario_job_state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(
        ForeignKey("scenario.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(16), default="queued")
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ScenarioComment(Base):
    """A planner's remark on a scenario, or on one of its proposed grids (migration 0018)."""

    __tablename__ = "scenario_comment"
    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(
        ForeignKey("scenario.id", ondelete="CASCADE"), index=True
    )
    #: the proposed grid it is about; NULL: the scenario as a whole
    grid_code: Mapped[str | None] = mapped_column(String(15))
    author: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class ScenarioShare(Base):
    """A read-only link to a scenario's report, for colleagues whose role cannot run scenarios
    (migration 0024). Only the token's SHA-256 is kept; the link itself is shown once."""

    __tablename__ = "scenario_share"
    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(
        ForeignKey("scenario.id", ondelete="CASCADE"), index=True
    )
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
