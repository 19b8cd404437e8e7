"""Grid geometry and totals, derived from the units in PostGIS.

A grid's geometry is ``ST_Union`` of its base units, so a plan is gap- and overlap-free by
construction; its totals are the sums of its units' attributes. Everything that changes
membership calls :func:`refresh_grids` in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from sqlalchemy import Connection, text

from gis.infra.settings import MIN_SHARED_M, WorkloadWeights
from gis.workload import ATTRIBUTES, workload_sql

#: A grid's span: the longest admin code (community 12, street 9, county 6, city 4, province 2
#: digits, or '') that every one of its units' communities starts with; NULL for a grid with no
#: unit. Why: whether a scope (a code prefix) reaches a grid is then read from the grid's own row
#: (gis.scope.Scope.span_sql) instead of a join of every membership of every layer to its unit
#: and community — the layer list's cost at province scale. ``lo``/``hi``: the least and the
#: greatest community code of the grid's units (their common prefix is everyone's).
SPAN_SQL = """CASE WHEN {lo} IS NULL THEN NULL WHEN {lo} = {hi} THEN {lo}
    WHEN left({lo}, 9) = left({hi}, 9) THEN left({lo}, 9)
    WHEN left({lo}, 6) = left({hi}, 6) THEN left({lo}, 6)
    WHEN left({lo}, 4) = left({hi}, 4) THEN left({lo}, 4)
    WHEN left({lo}, 2) = left({hi}, 2) THEN left({lo}, 2) ELSE '' END"""


def refresh_grids(
    conn: Connection,
    weights: WorkloadWeights,
    *,
    layer_ids: Sequence[int] | None = None,
    grid_ids: Sequence[int] | None = None,
    min_shared_m: float = MIN_SHARED_M,
) -> int:
    """Recompute geometry, totals, workload and pieces of the given grids (or all grids of the
    layers).

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
                   min(c.code) AS lo, max(c.code) AS hi,
                   coalesce(sum(u.area_m2), 0) AS area_m2,
                   {sums}
            FROM grid g
            LEFT JOIN grid_unit gu ON gu.grid_id = g.id
            LEFT JOIN base_unit u ON u.id = gu.unit_id
            LEFT JOIN community c ON c.id = u.community_id
            WHERE {where}
            GROUP BY g.id
        )
        UPDATE grid SET geom = t.geom, unit_count = t.unit_count,
               community_count = t.community_count, span = {SPAN_SQL.format(lo="t.lo", hi="t.hi")},
               area_m2 = t.area_m2, {sets},
               workload = {workload_sql(weights, "t")}
        FROM t WHERE grid.id = t.id
    """
    params: dict[str, Any] = {"layers": list(layer_ids or []), "grids": list(grid_ids or [])}
    result = conn.execute(text(sql), params)
    _refresh_pieces(conn, where, params, min_shared_m)
    return result.rowcount


# The members of the grids and the links between members of one grid, for counting pieces.
_MEMBERS_SQL = (
    "SELECT g.id, gu.unit_id FROM grid g JOIN grid_unit gu ON gu.grid_id = g.id WHERE {where}"
)
_LINKS_SQL = """
    WITH members AS (
        SELECT gu.grid_id, gu.unit_id FROM grid g JOIN grid_unit gu ON gu.grid_id = g.id
        WHERE {where})
    SELECT a.grid_id, l.unit_a, l.unit_b
    FROM members a
    JOIN unit_edge l ON l.unit_a = a.unit_id AND l.length_m >= :min_shared
    JOIN members b ON b.grid_id = a.grid_id AND b.unit_id = l.unit_b
"""


def _int_rows(result: Any) -> NDArray[np.int64]:
    """Integer rows as an array (numpy probing SQLAlchemy's rows one by one is 10× slower)."""
    return np.array([tuple(row) for row in result], dtype=np.int64)


def _refresh_pieces(
    conn: Connection, where: str, params: dict[str, Any], min_shared_m: float
) -> None:
    """A grid's pieces: the connected components of its units, two units linked where they
    share at least ``min_shared_m`` metres of boundary (``unit_edge``). ST_NumGeometries of the
    outline would count a grid held by a 0.2 m corner contact as one piece; nobody can walk
    through such a corner. Components by scipy over all the grids' members at once."""
    members = _int_rows(conn.execute(text(_MEMBERS_SQL.format(where=where)), params))
    links = _int_rows(
        conn.execute(text(_LINKS_SQL.format(where=where)), params | {"min_shared": min_shared_m})
    )
    grid_ids = conn.execute(text(f"SELECT g.id FROM grid g WHERE {where}"), params).scalars()
    pieces = dict.fromkeys(grid_ids, 0)  # a grid left with no unit: no piece
    if len(members):
        members = members.reshape(-1, 2)
        keys = members[:, 0] * (1 << 32) + members[:, 1]  # one node per (grid, unit)
        order = np.argsort(keys)
        sorted_keys = keys[order]
        n = len(keys)
        if len(links):
            links = links.reshape(-1, 3)
            a = np.searchsorted(sorted_keys, links[:, 0] * (1 << 32) + links[:, 1])
            b = np.searchsorted(sorted_keys, links[:, 0] * (1 << 32) + links[:, 2])
        else:
            a = b = np.zeros(0, dtype=np.int64)
        graph = csr_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
        _, label = connected_components(graph, directed=False)
        pairs = np.unique(np.column_stack([members[order, 0], label]), axis=0)
        grids, counts = np.unique(pairs[:, 0], return_counts=True)
        pieces.update(zip(grids.tolist(), counts.tolist(), strict=True))
    conn.execute(
        text(
            """UPDATE grid SET pieces = p.pieces
               FROM unnest(CAST(:ids AS int[]), CAST(:counts AS int[])) AS p(id, pieces)
               WHERE grid.id = p.id AND grid.pieces IS DISTINCT FROM p.pieces"""
        ),
        {"ids": list(pieces), "counts": list(pieces.values())},
    )
