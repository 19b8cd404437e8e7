"""考核 weights per county (migration 0020; the rules live in :mod:`gis.assessment`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from gis.infra.models.base import Base, one_of

MEASURES = ("time_in_grid", "buildings", "found", "on_time", "satisfied", "needs")


class AssessmentWeight(Base):
    """One measure's weight in one county's monthly score (absent: the default)."""

    __tablename__ = "assessment_weight"
    __table_args__ = (
        CheckConstraint(one_of("measure", MEASURES), name="assessment_weight_measure"),
        CheckConstraint("weight >= 0 AND weight <= 100", name="assessment_weight_range"),
        CheckConstraint("county_code ~ '^[0-9]{6}$'", name="assessment_weight_county"),
    )

    county_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    measure: Mapped[str] = mapped_column(String(16), primary_key=True)
    weight: Mapped[float] = mapped_column(Float, nullable=False)
    updated_by: Mapped[str] = mapped_column(String(80), nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
