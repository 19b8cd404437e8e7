"""Incidents per H3 cell, as an MVT layer: what the incident map draws when zoomed out.

h3-pg is not installed, so (as in :mod:`gis.incidents.hexagons`) the counting runs in SQL on the
parents of each incident's stored resolution-15 cell, and only the few cells of one tile come back
to Python for their outlines (``h3.cell_to_boundary``); the outlines go back into PostGIS as WKT
for ``ST_AsMVTGeom``. The incidents are taken from the tile and a margin a quarter of a tile wide:
at the resolution chosen for the zoom a cell is at most that wide, so every cell that touches the
tile is counted whole.
"""

from __future__ import annotations

import h3
from sqlalchemy import Connection, text

from gis.access import Access
from gis.incidents.access import visible_sql
from gis.incidents.hexagons import parent_sql, resolution_for_zoom
from gis.tiles.coords import BUFFER, EXTENT, TileCoord
from gis.tiles.layers import ENVELOPE, base_params

MARGIN = 0.25


def hexagon_layer(
    conn: Connection, coord: TileCoord, crs: str = "wgs84", *, access: Access
) -> bytes:
    """The ``hexagons`` MVT layer of one tile (empty bytes when no incident is near)."""
    seen = visible_sql("i", access=access)
    resolution = resolution_for_zoom(coord.z)
    params = {"z": coord.z, "x": coord.x, "y": coord.y} | seen.params
    rows = conn.execute(
        text(
            f"""SELECT {parent_sql("i.h3_cell", resolution)} AS cell, count(*) AS n,
                       count(*) FILTER (WHERE i.state <> 'evaluated') AS open
                FROM incident i
                WHERE i.h3_cell IS NOT NULL AND {seen.sql}
                  AND i.geom && ST_Transform(
                      ST_TileEnvelope(:z, :x, :y, margin => {MARGIN}), 4326)
                GROUP BY 1"""
        ),
        params,
    ).all()
    if not rows:
        return b""
    cells, counts, opens, outlines = [], [], [], []
    for cell, n, open_ in rows:
        index = h3.int_to_str(int(cell))
        ring = [(lng, lat) for lat, lng in h3.cell_to_boundary(index)]
        ring.append(ring[0])
        cells.append(index)
        counts.append(int(n))
        opens.append(int(open_))
        outlines.append("POLYGON((" + ", ".join(f"{x!r} {y!r}" for x, y in ring) + "))")
    tile = conn.execute(
        text(
            f"""SELECT ST_AsMVT(t, 'hexagons', {EXTENT}, 'geom') FROM (
                  SELECT q.h3, q.count, q.open, q.count - q.open AS closed,
                         ST_AsMVTGeom(ST_Transform(ST_GeomFromText(q.wkt, 4326), 3857),
                                      {ENVELOPE}, {EXTENT}, {BUFFER}, true) AS geom
                  FROM unnest(CAST(:cells AS text[]), CAST(:counts AS int[]),
                              CAST(:opens AS int[]), CAST(:wkts AS text[]))
                       AS q(h3, count, open, wkt)) t
                WHERE t.geom IS NOT NULL"""
        ),
        base_params(coord, crs)
        | {"cells": cells, "counts": counts, "opens": opens, "wkts": outlines},
    ).scalar_one()
    return bytes(tile or b"")
