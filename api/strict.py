"""Strict input types for request bodies and queries: what a number, a seed or a date may be.

Python's JSON reader turns ``1e999`` into infinity and accepts ``Infinity`` and ``NaN``; pydantic's
lax mode turns ``false`` into 0 and a number into a date (seconds since 1970). None of that is
what a user meant, so these types refuse it with a 422 that names the field:

- :data:`Weight` and :data:`BandValue`: finite, not negative, with a sane upper bound (a workload
  weight above a million or a band above a billion households is a typo, and overflows later);
- :data:`Seed`: an integer, never a boolean or a float;
- :data:`IsoDate`: a ``YYYY-MM-DD`` string, never a number.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StrictInt

#: The largest workload weight accepted (per household, person, building…).
MAX_WEIGHT = 1_000_000.0
#: The largest workload band bound accepted.
MAX_BAND = 1_000_000_000.0

Weight = Annotated[float, Field(ge=0, le=MAX_WEIGHT, allow_inf_nan=False)]
BandValue = Annotated[float, Field(ge=0, le=MAX_BAND, allow_inf_nan=False)]
Band = Annotated[list[BandValue], Field(min_length=2, max_length=2, examples=[[300, 500]])]
Seed = Annotated[StrictInt, Field(ge=0, le=2**32 - 1)]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: Any) -> Any:
    if isinstance(value, dt.date) or value is None:
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise ValueError(
        "日期写作 YYYY-MM-DD，例如 2026-03-01 (a date is written YYYY-MM-DD, e.g. 2026-03-01)"
    )


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
