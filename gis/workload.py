"""Workload: the weighted sum of what a grid's units hold, and where it stands against the band.

The band rule — *under* below ``low``, *over* above ``high``, *in* from ``low`` to ``high``
inclusive — is written once here, twice over: :func:`band_status` for Python (one value or a
whole array) and :func:`band_sql` for SQL. Everything that colours, counts or reports grids by
band uses one of the two.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:  # the optimizer imports this module: no settings at run time
    from gis.infra.settings import WorkloadWeights

ATTRIBUTES = ("households", "population", "buildings", "incidents_per_year", "care_people")

BandStatus = Literal["under", "in", "over"]
UNDER: BandStatus = "under"
IN: BandStatus = "in"
OVER: BandStatus = "over"

_BIND = re.compile(r":[A-Za-z_]\w*|[a-z_]\w*\.[a-z_]\w*")


def workload_sql(weights: WorkloadWeights, alias: str = "") -> str:
    """A SQL expression of the workload over columns named like :data:`ATTRIBUTES`.

    Weights are floats from settings, never user text, so they are inlined as literals.
    """
    prefix = f"{alias}." if alias else ""
    terms = [
        f"{float(getattr(weights, a))!r} * {prefix}{a}" for a in ATTRIBUTES if getattr(weights, a)
    ]
    return " + ".join(terms) if terms else "0"


@overload
def band_status(workload: float, low: float, high: float) -> BandStatus: ...


@overload
def band_status(
    workload: NDArray[Any] | Sequence[float], low: float, high: float
) -> NDArray[np.str_]: ...


def band_status(
    workload: float | ArrayLike, low: float, high: float
) -> BandStatus | NDArray[np.str_]:
    """'under', 'in' or 'over' the band — the colour a planner reads first.

    A number gives one status; an array (or list) gives an array of statuses, element-wise.
    """
    if np.ndim(workload) == 0:
        value = float(workload)  # type: ignore[arg-type]
        return UNDER if value < low else OVER if value > high else IN
    values = np.asarray(workload, dtype=float)
    return np.select([values < low, values > high], [UNDER, OVER], IN)


def band_sql(expr: str, low: float | str, high: float | str) -> str:
    """The same rule as :func:`band_status`, as a SQL ``CASE`` giving 'under', 'in' or 'over'.

    ``expr`` is a SQL expression of the workload (trusted code, e.g. ``g.workload``). ``low``
    and ``high`` are numbers, inlined as float literals, bind parameter names such as
    ``":low"``, or qualified columns such as ``"p.low"`` (anything else is refused, so no text
    reaches the SQL unchecked).
    """
    bounds = []
    for bound in (low, high):
        if isinstance(bound, str):
            if not _BIND.fullmatch(bound):
                raise ValueError(f"a band bound is a number or a bind parameter, not {bound!r}")
            bounds.append(bound)
        else:
            bounds.append(repr(float(bound)))
    return (
        f"CASE WHEN {expr} < {bounds[0]} THEN '{UNDER}' "
        f"WHEN {expr} > {bounds[1]} THEN '{OVER}' ELSE '{IN}' END"
    )
