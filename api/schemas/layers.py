"""What the layer routes and the health check answer."""

from __future__ import annotations

from typing import Literal

from api.schemas.common import Number, Out


class LayerOut(Out):
    """A grid layer with the count and workload balance of the grids the user's scope reaches
    (the figures are null where it reaches none)."""

    code: str
    name: str
    kind: str
    department: str | None
    version: int
    grid_count: int
    unit_count: int
    workload_mean: Number | None
    workload_cv: Number | None
    workload_min: Number | None
    workload_max: Number | None
    share_in_band: Number | None
    grids_crossing_communities: int
    band: list[Number]


class DatabaseHealthOut(Out):
    postgis: str | None
    revision: str | None
    head: str | None
    up_to_date: bool


class HealthOut(Out):
    status: Literal["ok"]
    version: str
    database: DatabaseHealthOut | None
    disk_free_mb: int | None
