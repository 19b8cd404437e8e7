"""What the GeoJSON routes share: the media type, the bbox query parameter, the response."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query, Response
from pydantic import BaseModel

from api.schemas.common import FeatureCollectionOut, FeatureOut
from gis.crs import shift_geojson
from gis.geojson import BBox

GEOJSON = "application/geo+json"


def _inline(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its definitions written in place: these answers are sent as
    PostGIS made them (no response model), so the schema goes into the document by hand."""
    schema = model.model_json_schema(mode="serialization")
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    return dict(resolve(schema))


#: A GeoJSON FeatureCollection (the routes that list features).
GEO_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {GEOJSON: {"schema": _inline(FeatureCollectionOut)}},
        "description": "GeoJSON FeatureCollection",
    }
}
#: One GeoJSON Feature (a district, a grid, a unit).
GEO_FEATURE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {GEOJSON: {"schema": _inline(FeatureOut)}}, "description": "GeoJSON Feature"}
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
