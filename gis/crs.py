"""Coordinate systems Chinese maps use, for display: GCJ-02 (AMap/Tencent tiles).

Data stay in WGS84 (EPSG:4326) in the database. When a county's base map is a GCJ-02 tile
source, geometry sent to the page is shifted into GCJ-02 so that it lines up with the tiles (the
raw offset is several hundred metres). The shift itself is prcoords' (public domain, the
widely-used published formula); we only apply it to coordinate arrays.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import prcoords
import shapely

from gis.errors import Invalid

DISPLAY_CRS = ("wgs84", "gcj02")


def _wgs_to_gcj(lon: float, lat: float) -> tuple[float, float]:
    shifted = prcoords.wgs_gcj(prcoords.Coords(lat, lon), check_china=False)
    return shifted.lon, shifted.lat


_vector_wgs_to_gcj = np.vectorize(_wgs_to_gcj, otypes=[float, float])


def wgs84_to_gcj02(coords: np.ndarray) -> np.ndarray:
    """Shift an (N, 2) array of lon/lat from WGS84 to GCJ-02."""
    if len(coords) == 0:
        return coords
    lon, lat = _vector_wgs_to_gcj(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


def check_display_crs(crs: str) -> str:
    if crs not in DISPLAY_CRS:
        raise Invalid(f"crs must be one of {', '.join(DISPLAY_CRS)}; got {crs!r}", crs=crs)
    return crs


def shift_geojson(body: str, crs: str) -> str:
    """Re-express a Feature or FeatureCollection text in ``crs`` (a no-op for WGS84)."""
    if check_display_crs(crs) == "wgs84":
        return body
    doc: dict[str, Any] = json.loads(body)
    features = doc["features"] if doc.get("type") == "FeatureCollection" else [doc]
    with_geometry = [f for f in features if f.get("geometry")]
    geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in with_geometry])
    shifted = shapely.transform(geoms, wgs84_to_gcj02)
    for feature, text in zip(with_geometry, shapely.to_geojson(shifted), strict=True):
        feature["geometry"] = json.loads(text)
    doc["crs_display"] = crs
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
