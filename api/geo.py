"""What the GeoJSON routes share: the media type, the bbox query parameter, the response."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query, Response

from gis.crs import shift_geojson
from gis.geojson import BBox

GEOJSON = "application/geo+json"
GEO_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {GEOJSON: {}}, "description": "GeoJSON"}
}

BBoxQuery = Annotated[
    str | None,
    Query(
        description="west,south,east,north in degrees (WGS84)", examples=["116.3,27.9,116.4,28.0"]
    ),
]

CrsQuery = Annotated[
    Literal["wgs84", "gcj02"],
    Query(description="coordinates of the answer: wgs84 (stored) or gcj02 (to match AMap tiles)"),
]


def geojson(body: str, crs: str = "wgs84") -> Response:
    """Send GeoJSON text built by PostGIS as it is (shifted only when GCJ-02 is asked for)."""
    return Response(shift_geojson(body, crs), media_type=GEOJSON)


def bbox_or_none(value: str | None) -> BBox | None:
    return BBox.parse(value) if value is not None else None
