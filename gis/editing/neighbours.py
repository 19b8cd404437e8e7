"""Which grids a grid may be merged with: its neighbours in the same community.

A merge joins two grids that share a boundary line inside one community
(:func:`gis.editing.operations.merge_grids` refuses anything else); the editor asks here so that
it offers only those, longest shared boundary first.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission
from gis.editing.changeset import find_layer
from gis.errors import NotFound


@dataclass(frozen=True)
class Neighbour:
    """A grid that shares a boundary line with another grid of its community."""

    code: str
    name: str
    workload: float
    locked: bool
    shared_m: float  # length of the shared boundary, metres
    editable: bool  # wholly inside the planner's scope: a merge may take it


def grid_neighbours(
    conn: Connection, layer_code: str, code: str, *, access: Access
) -> list[Neighbour]:
    """The neighbours of grid ``code`` in its community, longest shared boundary first.

    Raises :class:`~gis.errors.NotFound` when the layer has no such grid in the planner's scope.
    """
    access.require(Permission.EDIT_LAYERS)
    scope = access.scope
    layer = find_layer(conn, layer_code)
    reach = scope.grid_sql("g")
    whole = scope.grid_sql("n", entirely=True)
    found = conn.execute(
        text(
            f"SELECT g.id FROM grid g WHERE g.layer_id = :layer AND g.code = :code AND {reach.sql}"
        ),
        {"layer": layer.id, "code": code} | reach.params,
    ).first()
    if found is None:
        raise NotFound(
            f"图层 {layer.code!r} 中没有网格 {code} (layer {layer.code!r} has no grid {code})",
            layer=layer.code,
            grid=code,
        )
    rows = conn.execute(
        text(
            f"""
            SELECT n.code, n.name, coalesce(n.workload, 0) AS workload, n.locked,
                   ST_Length(ST_Intersection(ST_Boundary(g.geom), ST_Boundary(n.geom))::geography)
                     AS shared_m,
                   ({whole.sql}) AS editable
            FROM grid g
            JOIN grid n ON n.layer_id = g.layer_id AND n.id <> g.id
                       AND n.community_id = g.community_id AND n.geom && g.geom
            WHERE g.id = :grid AND ST_Relate(g.geom, n.geom, '****1****')
            ORDER BY shared_m DESC, n.code
            """
        ),
        {"grid": found.id} | whole.params,
    )
    return [
        Neighbour(
            r.code, r.name, float(r.workload), bool(r.locked), float(r.shared_m), bool(r.editable)
        )
        for r in rows
    ]
