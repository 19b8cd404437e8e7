"""China time: every time a user reads is Asia/Shanghai, written ``2026-12-05 09:34``.

The database keeps ``timestamptz`` and the JSON API answers ISO 8601 with its offset (machines
read those); pages, exports, reports and CLI tables show :func:`china_time`. The page scripts
have the twin of this formatter, ``chinaTime`` in ``maps/static/gridmap/common.js``.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
#: What a user reads: minutes are enough for a governance record.
FORMAT = "%Y-%m-%d %H:%M"


def china_time(
    value: dt.datetime | dt.date | str | None, *, empty: str = "", seconds: bool = False
) -> str:
    """``value`` in China time as ``YYYY-MM-DD HH:MM`` (``:SS`` too with ``seconds``, for the
    audit log; a date as ``YYYY-MM-DD``).

    An ISO string is parsed first; a date-time without a zone is taken as UTC, the database's
    clock (``timestamptz`` values always carry one). ``None`` or ``""`` gives ``empty``.
    """
    if value is None or value == "":
        return empty
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        return value.isoformat()
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(CHINA).strftime(FORMAT + (":%S" if seconds else ""))


def china_today() -> dt.date:
    """Today's date in China, whatever the server's clock zone is."""
    return dt.datetime.now(CHINA).date()
