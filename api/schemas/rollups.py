"""Roll-ups by city, county, street or community (gis.rollups)."""

from __future__ import annotations

from api.schemas.common import Day, Out


class AreaFiguresOut(Out):
    code: str
    name: str
    units: int
    grids: int
    workload_mean: float | None
    workload_cv: float | None
    share_in_band: float | None
    grids_with_leader: int
    grid_workers: int
    grids_per_worker: float | None
    incidents: int
    incidents_per_grid: float | None
    party_members: int
    members_per_grid: float | None
    bbox: list[float] | None


class RollupOut(Out):
    by: str
    within: str
    layer: str
    start: Day
    end: Day
    band: list[float]
    areas: list[AreaFiguresOut]
