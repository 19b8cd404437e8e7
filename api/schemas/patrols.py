"""Request and response bodies of the patrol routes (``/field/…``): patrols, track points,
check-ins, absences and the figures computed from the tracks."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.common import Day, Number, Out, Stamp


class PointIn(BaseModel):
    """One position: the phone's own sequence number, its time (with offset), where, how sure."""

    seq: int = Field(ge=0, le=2**53, description="the phone's number of the point (unique)")
    at: dt.datetime = Field(description="when, ISO 8601 with its offset")
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    accuracy: float | None = Field(None, ge=0, description="metres (the phone's estimate)")


class PointsIn(BaseModel):
    points: list[PointIn] = Field(max_length=2000)


class PatrolOut(Out):
    id: int
    state: str
    source: str
    started_at: Stamp
    ended_at: Stamp | None
    points: int
    resumed: bool = False


class CurrentPatrolOut(Out):
    patrol: PatrolOut | None


class BatchOut(Out):
    """What became of a batch: stored, already there (sent before), refused as off hours."""

    patrol: int
    received: int
    stored: int
    duplicates: int
    outside_hours: int
    outside_city: int = Field(0, description="in working hours but beyond the city: not stored")


class GpxOut(Out):
    patrol: int
    batch: BatchOut
    started_at: Stamp
    ended_at: Stamp


class TrackOut(Out):
    """A patrol's track as a GeoJSON Feature (a LineString in time order)."""

    type: Literal["Feature"]
    id: int
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


class CheckInIn(BaseModel):
    kind: Literal["visit", "inspection", "key_place"] = "visit"
    building: str | None = Field(None, pattern=r"^[0-9A-Za-z_-]{1,32}$")
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    note: str = Field("", max_length=500)


class CheckInOut(Out):
    id: int
    kind: str
    at: Stamp
    building: str | None
    building_name: str | None
    lon: float
    lat: float
    in_grid: bool


class AbsenceIn(BaseModel):
    kind: Literal["outing", "training", "leave"]
    reason: str = Field(min_length=1, max_length=500)
    starts_at: dt.datetime
    ends_at: dt.datetime


class AbsenceOut(Out):
    id: int
    kind: str
    reason: str
    starts_at: Stamp
    ends_at: Stamp
    reported_at: Stamp


class AbsencesOut(Out):
    absences: list[AbsenceOut]


class DayFiguresOut(Out):
    day: Day | None
    points: int
    seconds_tracked: Number
    seconds_in_grid: Number
    share: float | None = Field(description="time in the grid over tracked time")
    metres: Number
    buildings_passed: int
    check_ins: int
    key_places: int
    reduced: bool = Field(description="from the daily figures kept after pruning")
    jumps: int = Field(description="steps faster than a car, left out of time and distance")


class FiguresOut(Out):
    worker: str
    name: str
    grid: str
    layer: str
    period: Literal["day", "week", "month"]
    first: Day
    last: Day
    days: list[DayFiguresOut]
    total: DayFiguresOut
    absence_seconds: Number
    rule_share: float
    meets_rule: bool | None
