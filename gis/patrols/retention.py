"""Retention: raw track points older than the retention period become daily figures, then go.

A raw track says where a person walked, minute by minute; the figures a county needs (time in
the grid, distance, buildings passed) do not. So, once a day is older than
``GRIDMAP_TRACK_RETENTION_DAYS`` (90 by default), its points are reduced to one ``patrol_day``
row per worker (computed by the same SQL as the live figures) and deleted. The cut falls on a
China midnight, so a day is reduced whole. A second run finds nothing to do and changes
nothing; a run that prunes writes one audit row (``track.prune``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis.access import Access
from gis.audit import record
from gis.chinatime import CHINA
from gis.errors import Forbidden
from gis.infra.settings import TrackSettings
from gis.patrols.figures import china_midnight, raw_days_sql

EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class PruneResult:
    cutoff: dt.datetime
    days: int
    points: int


def prune_tracks(
    conn: Connection, *, access: Access, now: dt.datetime, tracks: TrackSettings
) -> PruneResult:
    """Reduce points before the China midnight ``retention_days`` ago, then delete them."""
    if not access.is_system and not access.scope.is_everything:
        raise Forbidden("只有全市范围可以清理轨迹 (only a city-wide access prunes tracks)")
    today = now.astimezone(CHINA).date()
    cutoff = china_midnight(today - dt.timedelta(days=tracks.retention_days))
    params = {
        "start": EPOCH,
        "stop": cutoff,
        "gap": tracks.gap_minutes * 60,
        "pass": tracks.pass_metres,
        "speed": tracks.max_speed_kmh / 3.6,
        "now": now,
    }
    days = conn.execute(
        text(
            f"INSERT INTO patrol_day (user_id, day, grid_id, points, seconds_tracked, "
            "seconds_in_grid, metres, buildings_passed, jumps, pruned_at) "
            "SELECT r.user_id, r.day, r.grid_id, r.points, r.seconds_tracked, r.seconds_in_grid, "
            f"r.metres, r.buildings_passed, r.jumps, :now FROM ({raw_days_sql('true')}) r "
            "ON CONFLICT (user_id, day) DO UPDATE SET "
            "points = patrol_day.points + excluded.points, "
            "seconds_tracked = patrol_day.seconds_tracked + excluded.seconds_tracked, "
            "seconds_in_grid = patrol_day.seconds_in_grid + excluded.seconds_in_grid, "
            "metres = patrol_day.metres + excluded.metres, "
            "jumps = patrol_day.jumps + excluded.jumps, "
            "buildings_passed = greatest(patrol_day.buildings_passed, "
            "excluded.buildings_passed), pruned_at = excluded.pruned_at"
        ),
        params,
    ).rowcount
    points = conn.execute(
        text("DELETE FROM track_point WHERE at < :stop"), {"stop": cutoff}
    ).rowcount
    if points:
        record(
            conn,
            access.actor,
            "track.prune",
            "track_point",
            after={"cutoff": cutoff.isoformat(), "days": days, "points": points},
        )
    return PruneResult(cutoff=cutoff, days=days, points=points)
