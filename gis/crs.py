"""The shifted coordinate systems Chinese maps use: GCJ-02 (AMap/Tencent), BD-09 (Baidu).

Data stay in WGS84 (EPSG:4326) in the database. When a county's base map is a GCJ-02 tile
source, geometry sent to the page is shifted into GCJ-02 so that it lines up with the tiles (the
raw offset is several hundred metres). The shift itself is prcoords' (public domain, the
widely-used published formula); we only apply it to coordinate arrays, both ways: imports
(gis.exchange) and reported points (gis.incidents) come back to WGS84 through the same functions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import prcoords
import shapely

from gis.errors import Invalid

DISPLAY_CRS = ("wgs84", "gcj02")


SHIFTED = ("gcj02", "bd09")

_Fwd = Callable[..., prcoords.Coords]
#: system → (WGS84 → shifted, shifted → WGS84 as prcoords iterates it)
_PAIRS: dict[str, tuple[_Fwd, _Fwd]] = {
    "gcj02": (prcoords.wgs_gcj, prcoords.gcj_wgs_bored),
    "bd09": (prcoords.wgs_bd, prcoords.bd_wgs_bored),
}


def _pointwise(func: Callable[[float, float], tuple[float, float]]) -> Callable[..., np.ndarray]:
    """An (N, 2) lon/lat array function from a one-point function (prcoords is scalar)."""
    vector = np.vectorize(func, otypes=[float, float])

    def apply(coords: np.ndarray) -> np.ndarray:
        if len(coords) == 0:
            return coords
        lon, lat = vector(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return apply


def _forward(system: str) -> Callable[[float, float], tuple[float, float]]:
    fwd = _PAIRS[system][0]

    def one(lon: float, lat: float) -> tuple[float, float]:
        out = fwd(prcoords.Coords(lat, lon), False)
        return out.lon, out.lat

    return one


def _inverse(system: str) -> Callable[[float, float], tuple[float, float]]:
    """prcoords' iterative inverse plus one more fixed-point step (≈2 mm → well under 1 mm)."""
    fwd, rev = _PAIRS[system]

    def one(lon: float, lat: float) -> tuple[float, float]:
        guess = rev(prcoords.Coords(lat, lon), False)
        again = fwd(guess, False)
        return guess.lon - (again.lon - lon), guess.lat - (again.lat - lat)

    return one


#: (N, 2) lon/lat arrays from WGS84 into a shifted system, and back.
FROM_WGS84 = {system: _pointwise(_forward(system)) for system in SHIFTED}
TO_WGS84 = {system: _pointwise(_inverse(system)) for system in SHIFTED}


def wgs84_to_gcj02(coords: np.ndarray) -> np.ndarray:
    """Shift an (N, 2) array of lon/lat from WGS84 to GCJ-02."""
    return FROM_WGS84["gcj02"](coords)


def check_display_crs(crs: str) -> str:
    if crs not in DISPLAY_CRS:
        raise Invalid(
            f"坐标系须为 {', '.join(DISPLAY_CRS)} 之一，收到 {crs!r} ("
            f"crs must be one of {', '.join(DISPLAY_CRS)}; got {crs!r})",
            crs=crs,
        )
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
