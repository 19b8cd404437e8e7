"""Request and response bodies of the council routes (``/councils/…``): 议事协商."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from api.schemas.common import Day, Number, Out, Stamp

Party = str  # party_committee, owners_committee, property, residents, paired_unit


class CouncilBody(BaseModel):
    """A topic raised in a community or from a need; optionally at a venue or a point."""

    title: str = Field(min_length=1, max_length=128)
    description: str = Field("", max_length=4000)
    community: str | None = Field(None, pattern=r"^[0-9]{1,12}$")
    need: str | None = Field(None, pattern=r"^[0-9A-Za-z_-]{1,24}$")
    venue: str | None = Field(None, pattern=r"^[0-9A-Za-z_-]{1,24}$")
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    parties: dict[Party, str] = Field(
        default_factory=dict, description="the invited parties' names by role (else defaults)"
    )


class TaskBody(BaseModel):
    role: Party
    task: str = Field(min_length=1, max_length=500)
    due_on: dt.date


class StepBody(BaseModel):
    """One of the four steps: understand, analyse, deliberate, follow_up (in that order)."""

    step: str = Field(max_length=12)
    held_on: dt.date
    minutes: str = Field(min_length=1, max_length=4000)
    decision: str = Field("", max_length=4000, description="议事会商: the decision")
    attended: list[Party] = Field(default_factory=list, max_length=5)
    tasks: list[TaskBody] = Field(default_factory=list, max_length=50)
    rating: int | None = Field(None, ge=1, le=5, description="落实问效: the residents' rating")


class VenueBody(BaseModel):
    code: str = Field(pattern=r"^[0-9A-Za-z_-]{1,24}$")
    name: str = Field(min_length=1, max_length=128)
    kind: str = Field(description="home (居民之家), hall (议事厅) or lawn (议事坪)")
    community: str = Field(pattern=r"^[0-9]{1,12}$")
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class EscalateBody(BaseModel):
    """An incident its loop cannot close, made a need (``to`` need: kind and day needed) or a
    council topic (``to`` council)."""

    to: str = Field(description="need or council")
    title: str | None = Field(None, min_length=1, max_length=128)
    kind: str | None = Field(None, description="the need's kind (to need)")
    due_on: dt.date | None = Field(None, description="the need's day (to need)")
    hours: float = Field(2.0, gt=0, le=200)
    requester_name: str | None = Field(None, min_length=1, max_length=32)
    requester_phone: str | None = Field(None, min_length=1, max_length=20)
    venue: str | None = Field(None, pattern=r"^[0-9A-Za-z_-]{1,24}$")


class PartyOut(Out):
    role: str
    role_label: str
    name: str
    attended: bool | None


class StepOut(Out):
    step: str
    step_label: str
    held_on: Day
    minutes: str
    actor: str


class CouncilTaskOut(Out):
    role: str
    role_label: str
    task: str
    due_on: Day
    done: bool


class CouncilItemOut(Out):
    code: str
    title: str
    origin: str
    origin_label: str
    status: str
    status_label: str
    next_step: str | None
    next_step_label: str | None
    community_code: str
    community_name: str
    grid_code: str | None
    venue_code: str | None
    venue_name: str | None
    need_code: str | None
    incident_code: str | None
    lon: Number
    lat: Number
    raised_at: Stamp
    held_on: Day | None
    settled_on: Day | None
    rating: int | None


class CouncilOut(CouncilItemOut):
    description: str
    decision: str
    parties: list[PartyOut]
    steps: list[StepOut]
    assignments: list[CouncilTaskOut]


class CouncilsOut(Out):
    items: list[CouncilItemOut]


class VenueOut(Out):
    code: str
    name: str
    kind: str
    kind_label: str
    community_code: str
    community_name: str
    lon: Number
    lat: Number
    councils: int


class VenuesOut(Out):
    items: list[VenueOut]


class CouncilFiguresOut(Out):
    key: str | None
    name: str | None
    raised: int
    held: int
    settled: int
    open: int
    from_needs: int
    from_incidents: int
    rating: Number | None


class CouncilFigureTableOut(Out):
    by: str
    start: Day
    end: Day
    areas: list[CouncilFiguresOut]


class EscalatedOut(Out):
    """What the incident became: a need or a council topic, and its code."""

    incident: str
    kind: str
    code: str
