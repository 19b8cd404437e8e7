"""The OpenAPI 3.0 document of the OGC API (``/ogc/api``): what GIS clients read to learn the
paths, the parameters and the page-size limits.

OGC API — Features Part 1 asks for an OpenAPI 3.0 definition (the app's own document is 3.1, and
QGIS reads the ``limit`` maximum from this one), so the OGC part is described here, by hand,
compactly: each path once, with its parameters and media types.
"""

from __future__ import annotations

from typing import Any

from gis import __version__
from gis.ogc.crs import SUPPORTED_CRS
from gis.ogc.items import DEFAULT_LIMIT, MAX_LIMIT

OPENAPI_MEDIA = "application/vnd.oai.openapi+json;version=3.0"


def _param(name: str, description: str, schema: dict[str, Any], where: str = "query") -> Any:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": description,
        "schema": schema,
        "style": "form",
        "explode": False,
    }


CRS_ENUM = {"type": "string", "format": "uri", "enum": [c.uri for c in SUPPORTED_CRS]}
PARAMETERS: dict[str, Any] = {
    "collectionId": _param("collectionId", "集合 id", {"type": "string"}, "path"),
    "featureId": _param("featureId", "要素 id (its code)", {"type": "string"}, "path"),
    "f": _param("f", "json or html", {"type": "string", "enum": ["json", "html"]}),
    "limit": _param(
        "limit",
        f"page size; a value over {MAX_LIMIT} is served as {MAX_LIMIT}",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    ),
    "offset": _param("offset", "features to skip", {"type": "integer", "minimum": 0}),
    "bbox": _param(
        "bbox",
        "minx,miny,maxx,maxy in bbox-crs axis order (CRS84: lon/lat)",
        {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
    ),
    "bbox-crs": _param("bbox-crs", "CRS of bbox", CRS_ENUM),
    "crs": _param("crs", "CRS of the answer (EPSG:4490/4326: lat/lon)", CRS_ENUM),
    "datetime": _param("datetime", "RFC 3339 instant or interval (incidents)", {"type": "string"}),
    "filter": _param("filter", "CQL2 filter on the queryables", {"type": "string"}),
    "filter-lang": _param(
        "filter-lang",
        "cql2-text (default) or cql2-json",
        {"type": "string", "enum": ["cql2-text", "cql2-json"]},
    ),
    "filter-crs": _param("filter-crs", "CRS of geometry literals in filter", CRS_ENUM),
}


def _op(summary: str, params: list[str], media: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "parameters": [{"$ref": f"#/components/parameters/{p}"} for p in params],
            "responses": {
                "200": {"description": summary, "content": {media: {}, "text/html": {}}},
                "400": {"description": "bad parameter (problem+json)"},
                "401": {"description": "log in (HTTP Basic or a session)"},
                "404": {"description": "no such collection or feature"},
            },
        }
    }


def ogc_openapi(server: str) -> dict[str, Any]:
    """The document, with ``server`` (the ``/ogc`` root URL) as its one server."""
    items = ["collectionId", "f", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime"]
    items += ["filter", "filter-lang", "filter-crs"]
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Gridmap OGC API — Features",
            "version": __version__,
            "description": "网格、社区、单元、楼栋与事件 (within the user's scope).",
        },
        "servers": [{"url": server}],
        "components": {
            "parameters": PARAMETERS,
            "securitySchemes": {
                "basic": {"type": "http", "scheme": "basic"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
        },
        "security": [{"basic": []}, {"bearer": []}],
        "paths": {
            "/": _op("landing page", ["f"], "application/json"),
            "/conformance": _op("conformance classes", ["f"], "application/json"),
            "/api": _op("this document", [], OPENAPI_MEDIA),
            "/collections": _op("collections", ["f"], "application/json"),
            "/collections/{collectionId}": _op(
                "one collection", ["collectionId", "f"], "application/json"
            ),
            "/collections/{collectionId}/queryables": _op(
                "queryables", ["collectionId", "f"], "application/schema+json"
            ),
            "/collections/{collectionId}/items": _op("features", items, "application/geo+json"),
            "/collections/{collectionId}/items/{featureId}": _op(
                "one feature", ["collectionId", "featureId", "f", "crs"], "application/geo+json"
            ),
        },
    }
