"""Grid geometry and totals, derived from the units in PostGIS.

A grid's geometry is ``ST_Union`` of its base units, so a plan is gap- and overlap-free by
construction; its totals are the sums of its units' attributes. Everything that changes
membership calls :func:`refresh_grids` in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, text

from gis.infra.settings import WorkloadWeights
from gis.workload import ATTRIBUTES, workload_sql


def refresh_grids(
    conn: Connection,
    weights: WorkloadWeights,
    *,
    layer_ids: Sequence[int] | None = None,
    grid_ids: Sequence[int] | None = None,
) -> int:
    """Recompute geometry, totals and workload of the given grids (or all grids of the layers).

    Returns the number of grids updated. Grids left with no unit get an empty total and a NULL
    geometry rather than disappearing, so that an edit can be undone onto the same grid.
    """
    if layer_ids is None and grid_ids is None:
        raise ValueError("refresh_grids needs layer_ids or grid_ids")
    where = "g.layer_id = ANY(:layers)" if grid_ids is None else "g.id = ANY(:grids)"
    sums = ", ".join(f"coalesce(sum(u.{a}), 0) AS {a}" for a in ATTRIBUTES)
    sets = ", ".join(f"{a} = t.{a}" for a in ATTRIBUTES)
    sql = f"""
        WITH t AS (
            SELECT g.id,
                   ST_Multi(ST_Union(u.geom)) AS geom,
                   count(u.id) AS unit_count,
                   count(DISTINCT u.community_id) AS community_count,
                   coalesce(sum(u.area_m2), 0) AS area_m2,
                   {sums}
            FROM grid g
            LEFT JOIN grid_unit gu ON gu.grid_id = g.id
            LEFT JOIN base_unit u ON u.id = gu.unit_id
            WHERE {where}
            GROUP BY g.id
        )
        UPDATE grid SET geom = t.geom, unit_count = t.unit_count,
               community_count = t.community_count, area_m2 = t.area_m2, {sets},
               workload = {workload_sql(weights, "t")}
        FROM t WHERE grid.id = t.id
    """
    result = conn.execute(
        text(sql), {"layers": list(layer_ids or []), "grids": list(grid_ids or [])}
    )
    return result.rowcount
