"""The ranking on a map: each ranked worker's grid as GeoJSON, with their score, rank and share
of time in the grid, for the desk page to colour (built in PostGIS, simplified for the screen).

The workers are those of a :class:`~gis.assessment.scores.Ranking`, already limited to the
caller's scope by :func:`~gis.assessment.scores.ranking`; nothing else is looked up.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, text

from gis.assessment.scores import Ranking

GRIDS_SQL = """
SELECT u.username,
       ST_AsGeoJSON(ST_SimplifyPreserveTopology(g.geom, 0.00001), 6) AS geometry
FROM app_user u JOIN grid_layer l ON l.code = u.scope_layer
JOIN grid g ON g.layer_id = l.id AND g.code = u.scope_code
WHERE u.username = ANY(:names)
"""


def ranking_grids(conn: Connection, found: Ranking) -> dict[str, Any]:
    """A GeoJSON FeatureCollection: one feature per ranked worker (id = user name)."""
    names = [r.worker for r in found.rows]
    shapes = dict(conn.execute(text(GRIDS_SQL), {"names": names}).tuples().all())
    features = [
        {
            "type": "Feature",
            "id": r.worker,
            "geometry": json.loads(shapes[r.worker]),
            "properties": {
                "worker": r.worker,
                "name": r.name,
                "grid": r.grid,
                "grid_name": r.grid_name,
                "street_name": r.street_name,
                "score": r.score,
                "rank": r.rank,
                "share": r.share,
            },
        }
        for r in found.rows
        if shapes.get(r.worker)
    ]
    return {"type": "FeatureCollection", "features": features}
