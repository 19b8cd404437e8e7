"""What the response models share: a lenient base, numbers, time stamps, GeoJSON.

The models describe the answers gis/ builds today. :class:`Out` keeps members it does not
name (gis/ may add one before the model learns it, and a client must not lose it on the way);
the OpenAPI document and the schemathesis fuzz check every member they do name.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    MISSING,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    model_validator,
)


def _number(value: Any) -> Any:
    """A numeric as the answers had it before: integral ones as ints (FastAPI's own rule)."""
    if isinstance(value, Decimal):
        return int(value) if value.as_tuple().exponent >= 0 else float(value)  # type: ignore[operator]
    return value


Number = Annotated[int | float, BeforeValidator(_number)]
"""A JSON number that PostgreSQL may give as an integer, a float or a numeric: integers stay
integers (``3``, not ``3.0``), as the answers were before they had a model."""


def _iso(value: dt.datetime | dt.date | str) -> str:
    return value if isinstance(value, str) else value.isoformat()


Stamp = Annotated[dt.datetime | str, PlainSerializer(_iso, return_type=str)]
"""A date-time as ``isoformat()`` writes it (``+08:00``, ``+00:00``): gis/ gives a datetime or
the text it already made; both are sent unchanged."""

Day = Annotated[dt.date | str, PlainSerializer(_iso, return_type=str)]
"""A calendar day, ``YYYY-MM-DD``."""


class Out(BaseModel):
    """A response body: the members named here, and any others gis/ adds, passed through.

    A member gis/ may leave out has the default :data:`MISSING`: absent from gis/, absent from
    the answer (not sent as ``null``), and not required in the document.
    """

    model_config = ConfigDict(extra="allow")

    @model_validator(mode="before")
    @classmethod
    def _from_result(cls, value: Any) -> Any:
        """gis/ answers with frozen dataclasses: read one as the mapping of its fields, so a
        member the model does not name still passes through (``from_attributes`` would drop it)."""
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return dataclasses.asdict(value)
        return value


class CodeNameOut(Out):
    code: str
    name: str | None


class SuccessorOut(Out):
    """A grid leader's assignment when grids merge: who stays, whose assignment ends (why)."""

    assignment: int
    member: str
    name: str | None
    grid_before: str
    workload_share: Number | None | MISSING = MISSING
    units_share: Number | None | MISSING = MISSING
    starts_on: Day | None | MISSING = MISSING
    reason: str | MISSING = MISSING


class SuccessionOut(Out):
    """Where two led grids become one (网格合并): which grid leader stays, whose assignment ends."""

    grid: str
    stays: SuccessorOut | None
    ends: list[SuccessorOut]
    text: str


class GeometryOut(Out):
    type: str
    coordinates: Any = MISSING


class FeatureOut(Out):
    """A GeoJSON Feature built in PostGIS; its properties depend on the route."""

    type: Literal["Feature"]
    id: str | int | None | MISSING = MISSING
    geometry: GeometryOut | None
    properties: dict[str, Any] | None


class FeatureCollectionOut(Out):
    """A GeoJSON FeatureCollection, with the OGC paging members where the route pages."""

    type: Literal["FeatureCollection"]
    features: list[FeatureOut]
    numberMatched: int | MISSING = MISSING  # noqa: N815 - OGC API spelling
    numberReturned: int | MISSING = MISSING  # noqa: N815


__all__ = ["MISSING", "Day", "FeatureCollectionOut", "FeatureOut", "Number", "Out", "Stamp"]
