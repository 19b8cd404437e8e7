"""Query parameters the party routes share (assignments and coverage alike)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from api.strict import IsoDate

MAX_OFFSET = 2**31 - 1

LayerQuery = Annotated[
    str,
    Query(pattern=r"^[a-z0-9_-]{1,64}$", description="grid layer code", examples=["unified"]),
]
OnQuery = Annotated[IsoDate | None, Query(description="the day asked about (default: today)")]
LimitQuery = Annotated[int, Query(ge=1, le=5000)]
OffsetQuery = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
