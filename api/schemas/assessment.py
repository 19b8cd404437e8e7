"""Response and request bodies of the 考核 routes (``/field/score``, ``/assessment/…``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import Out


class LineOut(Out):
    """One line of "why is my score N?": measure, value, weight, points."""

    measure: str
    name: str
    how: str
    detail: str
    value: float | None
    fraction: float | None
    weight: float
    effective_weight: float
    points: float


class ScoreOut(Out):
    worker: str
    name: str
    grid: str
    street: str
    county: str
    month: str
    score: float | None
    lines: list[LineOut]


class RankedOut(Out):
    worker: str
    name: str
    grid: str
    grid_name: str
    street: str
    street_name: str
    score: float | None
    rank: int | None
    points: dict[str, float]
    share: float | None = Field(description="time in the own grid / time tracked (60 % rule)")


class RankingOut(Out):
    month: str
    scope: str
    rows: list[RankedOut]


class WeightsIn(BaseModel):
    """Some measures' weights (0–100); the others keep theirs."""

    weights: dict[str, float] = Field(max_length=16)


class WeightsOut(Out):
    county: str
    weights: dict[str, float]
