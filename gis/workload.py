"""Workload: the weighted sum of what a grid's units hold, and where it stands against the band."""

from __future__ import annotations

from gis.infra.settings import WorkloadWeights

ATTRIBUTES = ("households", "population", "buildings", "incidents_per_year", "care_people")


def workload_sql(weights: WorkloadWeights, alias: str = "") -> str:
    """A SQL expression of the workload over columns named like :data:`ATTRIBUTES`.

    Weights are floats from settings, never user text, so they are inlined as literals.
    """
    prefix = f"{alias}." if alias else ""
    terms = [
        f"{float(getattr(weights, a))!r} * {prefix}{a}" for a in ATTRIBUTES if getattr(weights, a)
    ]
    return " + ".join(terms) if terms else "0"


def band_status(workload: float, low: float, high: float) -> str:
    """'under', 'in' or 'over' the band — the colour a planner reads first."""
    if workload < low:
        return "under"
    if workload > high:
        return "over"
    return "in"
