"""CRS identifiers of OGC API — Features Part 2, their axis order, and the bbox parameter.

Gridmap stores WGS84 longitude/latitude (SRID 4326 in PostGIS, x = longitude). In OGC terms that
is **CRS84** (lon, lat) — the default of every OGC API. The EPSG definitions of WGS84
(EPSG:4326) and of CGCS2000 (EPSG:4490, China's geodetic datum) put **latitude first**, and
Part 2 says coordinates follow the axis order of the CRS named (the ``Content-Crs`` header says
which), so in those two the server swaps the axes — of the answer's geometry (``crs``), of the
``bbox`` it is given (``bbox-crs``) and of the geometry literals of a filter (``filter-crs``).

CGCS2000 and WGS84 (as realised today) differ by centimetres, less than the six decimals a
GeoJSON answer carries; PROJ's own transformation between them is the identity. So a CGCS2000
answer is the WGS84 coordinates, lat/lon, labelled 4490 — as Gridmap's exports do.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from gis.geojson import BBox
from gis.ogc.errors import BadQuery

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
EPSG4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"


@dataclass(frozen=True)
class OgcCrs:
    """A CRS the server offers: its URI, its EPSG code, and whether latitude comes first."""

    uri: str
    epsg: int
    lat_first: bool

    @property
    def header(self) -> str:
        """The ``Content-Crs`` header value (Part 2: the URI in angle brackets)."""
        return f"<{self.uri}>"


#: Offered for every collection; the first is the default (CRS84, as Part 1 requires).
SUPPORTED_CRS: tuple[OgcCrs, ...] = (
    OgcCrs(CRS84, 4326, lat_first=False),
    OgcCrs(EPSG4490, 4490, lat_first=True),
    OgcCrs(EPSG4326, 4326, lat_first=True),
)
_BY_URI = {c.uri: c for c in SUPPORTED_CRS}
#: Other spellings clients send for the same three.
_ALIASES = {
    "crs84": CRS84,
    "ogc:crs84": CRS84,
    "urn:ogc:def:crs:ogc:1.3:crs84": CRS84,
    "http://www.opengis.net/def/crs/ogc/0/crs84": CRS84,
    "epsg:4326": EPSG4326,
    "urn:ogc:def:crs:epsg::4326": EPSG4326,
    "http://www.opengis.net/def/crs/epsg/0/4326": EPSG4326,
    "epsg:4490": EPSG4490,
    "urn:ogc:def:crs:epsg::4490": EPSG4490,
    "http://www.opengis.net/def/crs/epsg/0/4490": EPSG4490,
}
_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def parse_crs(value: str | None, parameter: str = "crs") -> OgcCrs:
    """The CRS named by a ``crs``, ``bbox-crs`` or ``filter-crs`` value (CRS84 when absent)."""
    if value is None or value == "":
        return SUPPORTED_CRS[0]
    text = value.strip().strip("<>")
    found = _BY_URI.get(text) or _BY_URI.get(_ALIASES.get(text.lower(), ""))
    if found is None:
        offered = ", ".join(c.uri for c in SUPPORTED_CRS)
        raise BadQuery(
            f"不支持的坐标系 {parameter}={value!r} (unsupported {parameter}: one of {offered})",
            parameter=parameter,
            value=value,
        )
    return found


def parse_bbox(value: str, crs: OgcCrs) -> BBox:
    """A ``bbox`` (4 numbers, or 6 with heights, which are ignored) in ``crs``'s axis order,
    returned as lon/lat. Refuses, by name, a box whose lower corner is not below its upper one
    (boxes across the antimeridian are not served: no Chinese county crosses it)."""
    parts = value.split(",")
    if len(parts) not in (4, 6) or not all(_NUMBER.fullmatch(p) for p in parts):
        raise BadQuery(
            f"bbox 须为 4 个数 (bbox must be 4 comma-separated numbers, or 6 with heights): "
            f"{value!r}",
            parameter="bbox",
            value=value,
        )
    numbers = [float(p) for p in parts]
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if not all(math.isfinite(n) for n in numbers):
        raise BadQuery(
            "bbox 的值须为有限数 (bbox values must be finite numbers)",
            parameter="bbox",
            value=value,
        )
    a1, a2, b1, b2 = numbers
    west, south, east, north = (a2, a1, b2, b1) if crs.lat_first else (a1, a2, b1, b2)
    order = "minLat,minLon,maxLat,maxLon" if crs.lat_first else "minLon,minLat,maxLon,maxLat"
    if west >= east or south >= north:
        raise BadQuery(
            f"bbox 的下角须在上角之下 (bbox must be {order} in {crs.uri}, lower corner first): "
            f"{value!r}",
            parameter="bbox",
            value=value,
        )
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and north <= 90):
        raise BadQuery(
            f"bbox 超出 {order} 的度数范围：{value!r} ("
            f"bbox is outside the range of {order} in degrees: {value!r})",
            parameter="bbox",
            value=value,
        )
    return BBox(west, south, east, north)
