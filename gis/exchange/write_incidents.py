"""The writer of incidents: located in PostGIS like a package's, never overwriting one that exists
(its workflow state is the incident queue's)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from sqlalchemy import text

from gis.exchange.report import Problem
from gis.exchange.resolve import Ctx, rows_problems, scope_column
from gis.incidents.backfill import backfill_loaded
from gis.incidents.workflow import STATES as INCIDENT_STATES
from gis.staging import locate_incidents, upsert


def prepare_incidents(staged: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Times with no zone are Beijing time; states default to 'reported'."""
    problems: list[Problem] = []
    out = staged.copy()
    parsed = pd.to_datetime(out["reported_at"], errors="coerce", utc=False, format="mixed")
    for i in pd.Series(parsed.isna()).to_numpy().nonzero()[0]:
        problems.append(
            Problem(
                int(out["_row"].iloc[i]),
                out["code"].iloc[i],
                f"reported_at {out['reported_at'].iloc[i]!r} is not a date and time",
                "reported_at",
            )
        )
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
        problems.append(
            Problem(
                int(out["_row"].iloc[i]),
                out["code"].iloc[i],
                f"state {out['state'].iloc[i]!r} is not one of {', '.join(INCIDENT_STATES)}",
                "state",
            )
        )
    return out, problems


def write_incidents(ctx: Ctx) -> None:
    conn, actor, scope, options, report, weights = ctx.unpack()
    locate_incidents(conn, "s_import")
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
    inserted = conn.execute(text(upsert("incident", "s_import"))).rowcount
    report.written["incident inserted"] = inserted
    # Like a city package's incidents: unified grid, building, H3 cell and workflow times, so the
    # imported ones count on the incident map and in the figures.
    backfill_loaded(conn, source="import")
    if skipped:
        report.warnings.append(
            f"{len(skipped)} incident(s) already present were left as they are (their workflow "
            f"state is the incident queue's): {', '.join(skipped[:20])}"
        )
