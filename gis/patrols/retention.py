"""Retention: raw track points older than the retention period become daily figures, then go.

A raw track says where a person walked, minute by minute; the figures a county needs (time in
the grid, distance, buildings passed) do not. So, once a day is older than
``GRIDMAP_TRACK_RETENTION_DAYS`` (90 by default), its points are rolled up
(:mod:`gis.patrols.rollup`: one ``patrol_day`` row per worker, computed by the same SQL as the
live figures, marked ``pruned_at``) and then deleted. The cut falls on a China midnight, so a
day is reduced whole. A second run finds nothing to do and changes nothing; a run that prunes
writes one audit row (``track.prune``).
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
from gis.patrols.figures import china_midnight
from gis.patrols.rollup import roll_up


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
    oldest = conn.execute(
        text("SELECT min(at) FROM track_point WHERE at < :stop"), {"stop": cutoff}
    ).scalar()
    days = 0
    if oldest is not None:
        # Roll the days up (again: a late point may have come) before their points go.
        days = roll_up(
            conn,
            oldest.astimezone(CHINA).date(),
            cutoff.astimezone(CHINA).date() - dt.timedelta(days=1),
            tracks=tracks,
            now=now,
            prune=True,
        ).rows
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
