"""What the GeoJSON routes share: the media type, the bbox query parameter, the response."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from gis.geojson import BBox

GEOJSON = "application/geo+json"
GEO_RESPONSE = {200: {"content": {GEOJSON: {}}, "description": "GeoJSON"}}

BBoxQuery = Annotated[
    str | None,
    Query(description="west,south,east,north in degrees (WGS84)", examples=["116.3,27.9,116.4,28.0"]),
]


def geojson(body: str) -> Response:
    """Send GeoJSON text built by PostGIS as it is, without a parse/serialise round trip."""
    return Response(body, media_type=GEOJSON)


def bbox_or_none(value: str | None) -> BBox | None:
    return BBox.parse(value) if value is not None else None
