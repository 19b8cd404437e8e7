"""Request and response bodies of the needs routes (``/needs/…``): 三张清单 and 双报到."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import Day, Number, Out, Stamp


class NeedBody(BaseModel):
    """A need: what, for whom, by when, and where — a building (and entrance), or lon/lat."""

    kind: str = Field(description="wish, elderly, disabled, childcare, repair, legal, health…")
    title: str = Field(min_length=1, max_length=128)
    description: str = Field("", max_length=2000)
    requester_name: str = Field(min_length=1, max_length=32)
    requester_phone: str = Field(min_length=1, max_length=20)
    due_on: dt.date
    hours: float = Field(2.0, gt=0, le=200, description="hours it is expected to take")
    building: str | None = Field(None, max_length=32)
    entrance: int | None = Field(None, ge=1, le=999)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    source: str = Field("staff", description="resident, field, staff or incident")


class NeedOut(Out):
    code: str
    kind: str
    kind_label: str
    title: str
    status: str
    status_label: str
    community_code: str
    grid_code: str | None
    building_code: str | None
    lon: float
    lat: float
    requester_name: str
    requester_phone: str
    masked: bool
    hours: Number
    due_on: Day
    overdue: bool
    created_at: Stamp
    taker: str | None
    taker_name: str | None
    order_state: str | None
    incident_code: str | None = None  # escalated from this incident
    council_code: str | None = None  # raised as this council topic


class NeedsOut(Out):
    items: list[NeedOut]


class TakerOut(Out):
    rank: int
    taker: str
    kind: str
    kind_label: str
    name: str
    skills: list[str]
    skill_match: bool
    distance_m: Number
    distance_by: Literal["walk", "straight"]  # on the street network, or the straight line
    free_hours: Number
    done: int
    declined: int
    score: Number


class RankingOut(Out):
    need: str
    kind: str
    community_code: str
    distance: str
    distance_mode: Literal["walk", "straight"]  # the network used near the need, or not at all
    weights: dict[str, float]
    takers: list[TakerOut]


class DispatchBody(BaseModel):
    taker: str = Field(max_length=48, description="unit:CODE, member:CODE or team:CODE")


class ReasonBody(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class CompleteBody(BaseModel):
    hours: float = Field(gt=0, le=200, description="hours the need took")
    note: str = Field("", max_length=500)


class EvaluateBody(BaseModel):
    rating: int = Field(ge=1, le=5)
    note: str = Field("", max_length=500)


class RegistrationBody(BaseModel):
    """双报到: a member registers with their home community, offering skills and hours."""

    member: str = Field(max_length=32)
    community: str = Field(max_length=12)
    skills: list[str] = Field(default_factory=list, max_length=16)
    hours_per_month: float = Field(8.0, ge=0, le=744)
    starts_on: dt.date | None = None


class RegistrationOut(Out):
    member_code: str
    community_code: str
    skills: list[str]
    hours_per_month: Number
    starts_on: Day
    ends_on: Day | None


class AreaOut(Out):
    key: str | None
    name: str | None
    total: int
    open: int
    overdue: int
    done: int
    cancelled: int
    hours: Number
    rating: Number | None


class TakerHoursOut(Out):
    area: str | None
    area_name: str | None
    taker: str
    kind_label: str
    name: str
    orders_done: int
    hours: Number


class FiguresOut(Out):
    by: str
    start: Day
    end: Day
    areas: list[AreaOut]
    hours: list[TakerHoursOut]


class SkillCoverageOut(Out):
    community: str
    community_name: str
    kind: str
    kind_label: str
    takers: int
    hours_offered: Number
    asked: int
    open: int
    covered: bool


class CoverageOut(Out):
    start: Day
    end: Day
    rows: list[SkillCoverageOut]
    gaps: int = Field(description="community × kind asked for in the period that nobody offers")
