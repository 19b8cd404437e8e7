"""Importing a year of incidents from CSV or XLSX (``gridmap incidents import FILE``).

Columns (a header row; names are case-insensitive):

============== ======== ===============================================================
column         required meaning
============== ======== ===============================================================
category       yes      one of the categories (环境卫生 …)
reported_at    yes      ISO date-time; without a zone it is Beijing time (+08:00)
lon, lat       yes      the point, WGS84 (or the file's ``--crs``: gcj02, bd09)
code           no       the incident's code (unique); made up as I<yy><7 digits> if missing
description    no
reporter_kind  no       resident, grid_worker or hotline (default hotline)
state          no       reported … evaluated (default reported)
department     no       default: the category's department
dispatched_at, signed_at, handled_at, fed_back_at, evaluated_at
               no       workflow times; deadlines are computed from dispatched_at
satisfied      no       for evaluated incidents (default true)
============== ======== ===============================================================

This module is the one write path of imported incidents (:func:`insert_incidents`): the
exchange's ``incidents`` kind (any geodata format, problems reported row by row) writes through it
too. The whole file is checked first; any bad row stops the import with a message naming the row
(as a spreadsheet numbers it) and the field, and nothing is written. Then one transaction: rows
are inserted with their unit, community, unified grid and building found in PostGIS (as a
package load does: the point is not moved), their H3 cell, and one ``import`` history row each;
one ``incident.import`` audit row names the file and the count.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from gis import audit
from gis.access import Access
from gis.accounts import Permission
from gis.crs import TO_WGS84
from gis.errors import Invalid, InvalidFile
from gis.incidents.catalogue import categories
from gis.incidents.hexagons import cells_of
from gis.incidents.reporting import _SNAP_DEGREES, INPUT_CRS, REPORTER_KINDS, SNAP_METRES
from gis.incidents.workflow import STATES
from gis.infra.settings import ImportLimits

REQUIRED = ("category", "reported_at", "lon", "lat")
TIMES = ("dispatched_at", "signed_at", "handled_at", "fed_back_at", "evaluated_at")
OPTIONAL = ("code", "description", "reporter_kind", "state", "department", "satisfied", *TIMES)
BEIJING = "+08:00"


@dataclass
class ImportReport:
    path: Path
    rows: int = 0
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        return f"{self.path.name}: {verb} {self.rows:,} incidents"


def read_table(path: Path, limits: ImportLimits | None = None) -> pd.DataFrame:
    """The file as strings, columns lower-cased; CSV (UTF-8, with or without BOM) or XLSX, read
    within the import limits (:mod:`gis.exchange.limits`) like every other import."""
    from gis.exchange.limits import Deadline
    from gis.exchange.tables import read_table as read_any

    if not path.exists():
        raise InvalidFile(f"{path}：文件不存在 ({path}: no such file)")
    suffix = path.suffix.lower()
    fmt = {".csv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}.get(suffix)
    if fmt is None:
        raise InvalidFile(
            f"{path}：请提供 .csv 或 .xlsx 文件，而不是 "
            f"{suffix or '无扩展名'} ("
            f"{path}: give a .csv or .xlsx file, not {suffix or 'no suffix'})"
        )
    limits = limits or ImportLimits()
    frame = read_any(path, str(path), fmt, limits, Deadline.of(limits, str(path))).frame
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InvalidFile(
            f"{path}：表头缺少列 {', '.join(missing)} ("
            f"{path}: column(s) {', '.join(missing)} missing (header row))"
        )
    if frame.empty:
        raise InvalidFile(f"{path}：没有数据行 ({path}: no rows)")
    return frame.fillna("").astype(str).apply(lambda col: col.str.strip())


def _fail(path: Path, index: Any, column: str, message: str) -> InvalidFile:
    row = int(index) + 2  # the header is row 1
    return InvalidFile(f"{path}: row {row}, {column}: {message}", row=row, column=column)


def _first_bad(mask: pd.Series) -> Any:
    return mask[mask].index[0]


def _times(path: Path, frame: pd.DataFrame, column: str, required: bool) -> pd.Series:
    raw = frame[column] if column in frame.columns else pd.Series("", index=frame.index)
    blank = raw == ""
    if required and blank.any():
        raise _fail(path, _first_bad(blank), column, "is empty")
    zoned = raw.where(blank | raw.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True), raw + BEIJING)
    parsed = pd.to_datetime(zoned.where(~blank, None), errors="coerce", utc=True, format="ISO8601")
    bad = parsed.isna() & ~blank
    if bad.any():
        first = _first_bad(bad)
        raise _fail(path, first, column, f"{raw[first]!r} is not an ISO date-time")
    return parsed


def check(conn: Connection, path: Path, frame: pd.DataFrame, crs: str) -> pd.DataFrame:
    """The rows, checked and normalised (see the module doc); raises on the first bad row."""
    known = {c.code: c for c in categories(conn)}
    for column in OPTIONAL:
        if column not in frame.columns:
            frame[column] = ""
    bad = ~frame["category"].isin(list(known))
    if bad.any():
        first = _first_bad(bad)
        raise _fail(path, first, "category", f"unknown category {frame['category'][first]!r}")
    lon = pd.to_numeric(frame["lon"], errors="coerce")
    lat = pd.to_numeric(frame["lat"], errors="coerce")
    for name, values, low, high in (("lon", lon, -180, 180), ("lat", lat, -90, 90)):
        bad = values.isna() | (values < low) | (values > high)
        if bad.any():
            first = _first_bad(bad)
            raise _fail(path, first, name, f"{frame[name][first]!r} is not a {name} in degrees")
    if crs != "wgs84":
        if crs not in TO_WGS84:
            raise Invalid(
                f"坐标系须为 {', '.join(INPUT_CRS)} 之一，收到 {crs!r} ("
                f"crs must be one of {', '.join(INPUT_CRS)}; got {crs!r})",
                crs=crs,
            )
        back = TO_WGS84[crs](np.column_stack([lon.to_numpy(), lat.to_numpy()]))
        lon = pd.Series(back[:, 0], index=frame.index)
        lat = pd.Series(back[:, 1], index=frame.index)
    frame["reporter_kind"] = frame["reporter_kind"].replace("", "hotline")
    bad = ~frame["reporter_kind"].isin(REPORTER_KINDS)
    if bad.any():
        raise _fail(path, _first_bad(bad), "reporter_kind", f"one of {', '.join(REPORTER_KINDS)}")
    frame["state"] = frame["state"].replace("", "reported")
    bad = ~frame["state"].isin(STATES)
    if bad.any():
        first = _first_bad(bad)
        raise _fail(path, first, "state", f"{frame['state'][first]!r}: one of {', '.join(STATES)}")
    frame["department"] = frame["department"].where(
        frame["department"] != "", frame["category"].map(lambda c: known[c].department)
    )
    out = pd.DataFrame(index=frame.index)
    out["reported_at"] = _times(path, frame, "reported_at", True)
    for column in TIMES:
        out[column] = _times(path, frame, column, False)
        early = out[column].notna() & (out[column] < out["reported_at"])
        if early.any():
            raise _fail(path, _first_bad(early), column, "is earlier than reported_at")
    satisfied = frame["satisfied"].str.lower()
    bad = ~satisfied.isin(["", "true", "false", "1", "0", "是", "否"])
    if bad.any():
        raise _fail(path, _first_bad(bad), "satisfied", "true or false")
    out["satisfied"] = np.where(
        frame["state"] == "evaluated", ~satisfied.isin(["false", "0", "否"]), None
    )
    for column in ("code", "category", "description", "reporter_kind", "state", "department"):
        out[column] = frame[column]
    too_long = out["code"].str.len() > 16
    if too_long.any():
        raise _fail(path, _first_bad(too_long), "code", "at most 16 characters")
    given = out["code"][out["code"] != ""]
    dup = given.duplicated()
    if dup.any():
        raise _fail(path, _first_bad(dup), "code", f"{given[dup].iloc[0]!r} appears twice")
    taken = conn.execute(
        text("SELECT code FROM incident WHERE code = ANY(:codes) LIMIT 1"),
        {"codes": given.tolist()},
    ).scalar()
    if taken:
        first = given.index[given == taken][0]
        raise _fail(path, first, "code", f"incident {taken} exists already")
    out["lon"], out["lat"] = lon.astype(float), lat.astype(float)
    out["h3_cell"] = cells_of(out["lon"].to_numpy(), out["lat"].to_numpy())
    return out


def _make_codes(conn: Connection, frame: pd.DataFrame) -> None:
    missing = frame["code"] == ""
    if not missing.any():
        return
    conn.execute(text("SELECT pg_advisory_xact_lock(8004)"))
    year = f"{frame['reported_at'].max().year % 100:02d}"
    last = conn.execute(
        text("SELECT max(code) FROM incident WHERE starts_with(code, :p) AND length(code) = 10"),
        {"p": f"I{year}"},
    ).scalar()
    start = int(last[3:]) + 1 if last else 1
    numbers = np.arange(start, start + int(missing.sum()))
    frame.loc[missing, "code"] = [f"I{year}{n:07d}" for n in numbers]


_INSERT = """
WITH r AS (
    SELECT * FROM json_to_recordset(CAST(:rows AS json)) AS x(
        code text, category text, description text, reported_at timestamptz,
        reporter_kind text, state text, department text, dispatched_at timestamptz,
        signed_at timestamptz, handled_at timestamptz, fed_back_at timestamptz,
        evaluated_at timestamptz, satisfied boolean, lon float8, lat float8, h3_cell bigint)
), placed AS (
    SELECT r.*, ST_SetSRID(ST_MakePoint(r.lon, r.lat), 4326) AS geom FROM r
)
INSERT INTO incident (code, category, description, reported_at, reporter_kind, department,
                      state, base_unit_id, community_id, geom, grid_id, building_id, h3_cell,
                      source, dispatched_at, sign_due_at, due_at, signed_at, handled_at,
                      fed_back_at, evaluated_at, satisfied, updated_at)
SELECT p.code, p.category, p.description, p.reported_at, p.reporter_kind, p.department, p.state,
       u.id, u.community_id, p.geom, gu.grid_id, b.id, p.h3_cell, 'import', p.dispatched_at,
       p.dispatched_at + make_interval(secs => c.sign_hours * 3600),
       p.dispatched_at + make_interval(secs => c.handle_hours * 3600),
       p.signed_at, p.handled_at, p.fed_back_at, p.evaluated_at, p.satisfied,
       greatest(p.reported_at, p.dispatched_at, p.signed_at, p.handled_at, p.fed_back_at,
                p.evaluated_at)
FROM placed p
JOIN incident_category c ON c.code = p.category
LEFT JOIN LATERAL (
    SELECT id, community_id FROM base_unit bu WHERE ST_Covers(bu.geom, p.geom)
    ORDER BY bu.id LIMIT 1
) u ON true
LEFT JOIN grid_unit gu ON gu.unit_id = u.id
    AND gu.layer_id = (SELECT id FROM grid_layer WHERE code = 'unified')
LEFT JOIN LATERAL (
    SELECT bd.id FROM building bd
    WHERE ST_DWithin(bd.geom, p.geom, :deg)
      AND ST_DWithin(bd.geom::geography, p.geom::geography, :snap)
    ORDER BY ST_Distance(bd.geom::geography, p.geom::geography), bd.id LIMIT 1
) b ON true
RETURNING id, code, state, base_unit_id
"""


def import_incidents(
    conn: Connection,
    path: Path,
    *,
    access: Access,
    crs: str = "wgs84",
    dry_run: bool = False,
    limits: ImportLimits | None = None,
) -> ImportReport:
    """Check and import a file of incidents in the caller's transaction (see the module doc)."""
    access.require(Permission.IMPORT_DATA)
    path = Path(path)
    frame = check(conn, path, read_table(path, limits), crs)
    report = ImportReport(path, len(frame), dry_run)
    if dry_run:
        return report
    inserted = insert_incidents(conn, frame, path.name, access=access)
    outside = [r.code for r in inserted if r.base_unit_id is None]
    if outside:
        index = frame.index[frame["code"] == outside[0]][0]
        raise _fail(path, index, "lon/lat", f"the point of {outside[0]} lies outside the city")
    report.rows = len(inserted)
    return report


def as_checked(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows checked elsewhere (code, category, description, reported_at, reporter_kind, state,
    department, lon, lat) in the shape :func:`insert_incidents` takes: no workflow times."""
    out = rows.copy()
    out["reported_at"] = pd.to_datetime(out["reported_at"], utc=True, format="ISO8601")
    for column in TIMES:
        out[column] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns, UTC]")
    out["satisfied"] = None
    out["lon"], out["lat"] = out["lon"].astype(float), out["lat"].astype(float)
    out["h3_cell"] = cells_of(out["lon"].to_numpy(), out["lat"].to_numpy())
    return out


def insert_incidents(
    conn: Connection, frame: pd.DataFrame, source_name: str, *, access: Access
) -> list[Any]:
    """The one way imported incidents are written (this module's file import and the exchange's
    ``incidents`` kind): codes made up where missing, unit, community, unified grid and building
    found in PostGIS, deadlines from the category, one ``import`` history row each and one
    ``incident.import`` audit row. Returns the inserted rows (id, code, state, base_unit_id)."""
    if frame.empty:
        return []
    _make_codes(conn, frame)
    records = frame.assign(
        **{c: frame[c].map(lambda t: t.isoformat() if pd.notna(t) else None) for c in TIMES},
        reported_at=frame["reported_at"].map(lambda t: t.isoformat()),
        h3_cell=frame["h3_cell"].astype("int64"),
    ).to_dict(orient="records")
    inserted = conn.execute(
        text(_INSERT),
        {
            "rows": json.dumps(records, ensure_ascii=False, default=_plain),
            "deg": _SNAP_DEGREES,
            "snap": SNAP_METRES,
        },
    ).all()
    conn.execute(
        text(
            "INSERT INTO incident_transition (incident_id, action, from_state, to_state, actor, "
            "at, note) SELECT i.id, 'import', NULL, i.state, :actor, :at, :note "
            "FROM incident i WHERE i.id = ANY(:ids)"
        ),
        {
            "ids": [r.id for r in inserted],
            "actor": access.name,
            "at": dt.datetime.now(dt.UTC),
            "note": f"imported from {source_name}",
        },
    )
    audit.record(
        conn,
        access.actor,
        "incident.import",
        "incident_file",
        source_name,
        None,
        {"rows": len(inserted)},
    )
    return list(inserted)


def _plain(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return None
