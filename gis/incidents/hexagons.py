"""H3 hexagon aggregation of incidents: counts, open and closed per hexagon.

h3-pg is not available, so the cells are computed with h3-py (the library): every incident keeps
the resolution-15 cell of its point (``incident.h3_cell``, a signed 64-bit integer), and a coarser
cell is that cell's parent. An H3 index's parent at resolution *r* is the same 64 bits with the
resolution field set to *r* and the digits below *r* set to 7 (see the H3 index format), which is
two bit operations in SQL; so the grouping runs in PostGIS next to the filters and the scope, and
only the few hundred resulting cells come back to Python for their outlines (``cell_to_boundary``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import h3
import numpy as np
from sqlalchemy import Connection, text

from gis.access import Access
from gis.errors import Invalid
from gis.incidents.queries import Filters, _where

MIN_RES, MAX_RES = 4, 12


def resolution_for_zoom(zoom: float) -> int:
    """The H3 resolution that draws hexagons some 20–60 px across at a Leaflet zoom level."""
    return int(min(MAX_RES, max(MIN_RES, round(zoom * 0.75 - 2.25))))


def parent_sql(column: str, resolution: int) -> str:
    """SQL for the parent at ``resolution`` of the resolution-15 H3 cells in ``column``."""
    if not MIN_RES <= resolution <= 15:
        raise Invalid(
            f"分辨率须为 {MIN_RES}..15，收到 {resolution} ("
            f"resolution must be {MIN_RES}..15; got {resolution})"
        )
    digits = (1 << (3 * (15 - resolution))) - 1
    return f"((({column} & ~(15::bigint << 52)) | ({resolution}::bigint << 52)) | {digits}::bigint)"


def cells_of(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Resolution-15 cells of many points, as int64 (h3-py has no array call: one C call each)."""
    return np.fromiter(
        (
            h3.str_to_int(h3.latlng_to_cell(float(y), float(x), 15))
            for x, y in zip(lon, lat, strict=True)
        ),
        dtype=np.int64,
        count=len(lon),
    )


def hexagons(
    conn: Connection,
    filters: Filters | None = None,
    *,
    access: Access,
    resolution: int | None = None,
    zoom: float | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Incidents per H3 hexagon as a GeoJSON FeatureCollection (``count``, ``open``, ``closed``).

    Give ``resolution`` (4..12), or ``zoom`` to have it chosen (:func:`resolution_for_zoom`).
    """
    if resolution is None:
        if zoom is None:
            raise Invalid(
                "请给出分辨率（4..12）或地图缩放级别 (give a resolution (4..12) or the map's zoom)"
            )
        resolution = resolution_for_zoom(zoom)
    if not MIN_RES <= resolution <= MAX_RES:
        raise Invalid(
            f"分辨率须为 {MIN_RES}..{MAX_RES}，收到 {resolution} ("
            f"resolution must be {MIN_RES}..{MAX_RES}; got {resolution})"
        )
    now = now or dt.datetime.now(dt.UTC)
    where = _where(filters or Filters(), now, access=access)
    rows = conn.execute(
        text(
            f"""SELECT {parent_sql("i.h3_cell", resolution)} AS cell, count(*) AS n,
                       count(*) FILTER (WHERE i.state <> 'evaluated') AS open
                FROM incident i WHERE i.h3_cell IS NOT NULL AND {where.sql}
                GROUP BY 1 ORDER BY 2 DESC, 1"""
        ),
        where.params,
    ).all()
    features = []
    for cell, n, open_ in rows:
        index = h3.int_to_str(int(cell))
        ring = [[round(lng, 6), round(lat, 6)] for lat, lng in h3.cell_to_boundary(index)]
        ring.append(ring[0])
        features.append(
            {
                "type": "Feature",
                "id": index,
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {
                    "h3": index,
                    "count": int(n),
                    "open": int(open_),
                    "closed": int(n - open_),
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "resolution": resolution,
        "max_count": max((f["properties"]["count"] for f in features), default=0),
        "features": features,
    }


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
