"""Issue 14 item 6: every time a user reads is China time, formatted — in Python (exports,
reports, CLI tables) through gis.chinatime.china_time; the pages' twin is chinaTime in
maps/static/gridmap/common.js (tested in tests/test_pages_readable.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import text

from gis.audit import export_csv, record
from gis.chinatime import china_time


def test_china_time_formats_utc_as_beijing() -> None:
    utc = dt.datetime(2026, 12, 5, 1, 34, 31, 174396, tzinfo=dt.UTC)
    assert china_time(utc) == "2026-12-05 09:34"
    assert china_time("2026-12-05T01:34:31.174396+00:00") == "2026-12-05 09:34"  # the issue's
    assert china_time("2026-12-05T23:30:00+00:00") == "2026-12-06 07:30"  # the next day
    assert china_time(dt.datetime(2026, 12, 5, 1, 34)) == "2026-12-05 09:34"  # naive is UTC
    assert china_time(utc, seconds=True) == "2026-12-05 09:34:31"
    assert china_time(None) == "" and china_time(None, empty="–") == "–"
    assert china_time(dt.date(2026, 12, 5)) == "2026-12-05"


def test_the_audit_export_writes_china_time(conn) -> None:
    record(conn, "t-planner", "test.time", "grid", "G1", None, {"x": 1})
    at = conn.execute(text("SELECT at FROM audit_log WHERE action = 'test.time'")).scalar_one()
    rows = list(csv.reader(io.StringIO("".join(export_csv(conn)).removeprefix("\ufeff"))))
    row = next(r for r in rows if r[3] == "test.time")
    beijing = at.astimezone(dt.timezone(dt.timedelta(hours=8)))  # China keeps no summer time
    assert row[1] == f"{beijing:%Y-%m-%d %H:%M:%S}" and "T" not in row[1]
