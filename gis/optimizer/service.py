"""The optimizer run on Gridmap's own data: an area of base units in, a proposal out."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from gis.accounts import Permission, authorize
from gis.audit import Actor
from gis.errors import Forbidden, Invalid
from gis.infra.settings import WorkloadWeights
from gis.optimizer.io import database_units, read_frame_units
from gis.optimizer.plan import optimize


def check_area(actor: Actor, area: str) -> None:
    """The actor may run scenarios, and ``area`` lies inside their scope."""
    scope = authorize(actor, Permission.RUN_SCENARIOS)
    if not area.isdigit():
        raise Invalid(f"area must be an admin code (district, street or community); got {area!r}")
    if not scope.reaches(area):
        raise Forbidden(f"area {area} is outside your scope ({scope})")


def optimize_area(
    engine: Engine,
    *,
    area: str,
    weights: WorkloadWeights,
    target_count: int | None = None,
    band: tuple[float, float] | None = None,
    seed: int = 0,
    from_layer: str | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """Merge the base units under ``area`` (a district, street or community code) into grids.

    Returns the report and the proposal (unit code → grid id); nothing is written to the
    database — adopting a proposal is the scenarios feature's job.
    """
    if target_count is None and band is None:
        raise Invalid("give target_count or band")
    frame = database_units(engine, area, weights)
    units = read_frame_units(
        frame, id_column="code", workload_column="workload", group_column="community_code"
    )
    start = None
    if from_layer is not None:
        column = f"plan_{from_layer}"
        if column not in frame.columns:
            raise Invalid(f"no grid layer {from_layer!r} covers area {area!r}")
        start = frame[column].fillna("").tolist()
    plan = optimize(
        units.graph,
        target=target_count,
        band=band,
        seed=seed,
        from_plan=start,
        workers=workers,
    )
    return {
        "report": plan.report.as_dict(),
        "assignments": dict(zip(frame["code"].tolist(), plan.grid_ids.tolist(), strict=True)),
    }
