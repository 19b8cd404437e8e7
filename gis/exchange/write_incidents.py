"""The writer of incidents: the rows are checked here (row by row, in any geodata format) and
written by the one incident import (:func:`gis.incidents.importer.insert_incidents`), never
overwriting an incident that exists (its workflow state is the incident queue's)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from sqlalchemy import text

from gis.city_package import LAYERS
from gis.exchange.report import Problem
from gis.exchange.resolve import Ctx, rows_problems, scope_column
from gis.incidents.importer import as_checked, insert_incidents
from gis.incidents.workflow import STATES as INCIDENT_STATES
from gis.staging import locate_incidents

#: What the one incident import takes from the staging table.
FRAME_COLUMNS = (*LAYERS["incidents"], "lon", "lat")


def prepare_incidents(staged: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Times with no zone are Beijing time; states default to 'reported'."""
    problems: list[Problem] = []
    out = staged.copy()
    parsed = pd.to_datetime(out["reported_at"], errors="coerce", utc=False, format="mixed")

    def problem(i: int, column: str, reason: str) -> Problem:
        return Problem(int(out["_row"].iloc[i]), out["code"].iloc[i], reason, column)

    for i in pd.Series(parsed.isna()).to_numpy().nonzero()[0]:
        value = out["reported_at"].iloc[i]
        problems.append(problem(i, "reported_at", f"reported_at {value!r} is not a date and time"))
    texts = []
    for value in parsed:
        if pd.isna(value):
            texts.append("")
        elif value.tzinfo is None:
            texts.append(value.isoformat() + "+08:00")
        else:
            texts.append(value.isoformat())
    out["reported_at"] = texts
    out["state"] = out["state"].replace("", "reported")
    out["reporter_kind"] = out["reporter_kind"].replace("", "resident")
    for i in (~out["state"].isin(INCIDENT_STATES)).to_numpy().nonzero()[0]:
        states = ", ".join(INCIDENT_STATES)
        problems.append(
            problem(i, "state", f"state {out['state'].iloc[i]!r} is not one of {states}")
        )
    return out, problems


def write_incidents(ctx: Ctx) -> None:
    conn, actor, scope, options, report, weights = ctx.unpack()
    locate_incidents(conn, "s_import")
    report.add(
        rows_problems(
            conn,
            "SELECT _row, code, 'unknown category ' || quote_literal(category) FROM s_import "
            "WHERE category NOT IN (SELECT code FROM incident_category)",
        )
    )
    if not scope.is_everything:
        report.add(
            rows_problems(
                conn,
                "SELECT _row, code, 'lies in no base unit (so in no one''s scope)' "
                "FROM s_import WHERE unit_id IS NULL",
            )
        )
    scope_column(
        conn,
        scope,
        "SELECT c.code FROM s_import s JOIN community c ON c.id = s.community_id",
        "incidents",
    )
    if not report.ok:
        return
    skipped = [
        r[0]
        for r in conn.execute(
            text("SELECT s.code FROM s_import s JOIN incident i ON i.code = s.code ORDER BY 1")
        )
    ]
    rows = conn.execute(
        text(
            """SELECT code, category, description, reported_at, reporter_kind,
                      nullif(department, '') AS department, state,
                      ST_X(geom) AS lon, ST_Y(geom) AS lat
               FROM s_import s WHERE NOT EXISTS (SELECT 1 FROM incident i WHERE i.code = s.code)
               ORDER BY _row"""
        )
    ).mappings()
    # Written like every imported incident: unit, unified grid, building, H3 cell and deadlines
    # found in PostGIS, workflow times only as given (none here), one history row each.
    fresh = pd.DataFrame([dict(r) for r in rows], columns=list(FRAME_COLUMNS))
    inserted = insert_incidents(conn, as_checked(fresh), report.file, access=ctx.access)
    report.written["incident inserted"] = len(inserted)
    if skipped:
        report.warnings.append(
            f"{len(skipped)} incident(s) already present were left as they are (their workflow "
            f"state is the incident queue's): {', '.join(skipped[:20])}"
        )
