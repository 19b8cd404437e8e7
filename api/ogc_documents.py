"""The JSON documents of the OGC API: conformance classes, links, a collection, its queryables.

Kept apart from the routes (:mod:`api.routers.ogc`) so that each stays short: these functions
only shape what :mod:`gis.ogc` found into the standard's documents.
"""

from __future__ import annotations

from typing import Any

from api.geo import GEOJSON
from gis.ogc import SUPPORTED_CRS, Collection, Extent
from gis.ogc.crs import CRS84

JSON = "application/json"
HTML = "text/html"
SCHEMA_JSON = "application/schema+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
]


def link(href: str, rel: str, media: str, title: str | None = None) -> dict[str, Any]:
    link = {"href": href, "rel": rel, "type": media}
    if title:
        link["title"] = title
    return link


def self_links(url: str, media: str) -> list[dict[str, Any]]:
    return [
        link(f"{url}?f=json" if media == JSON else url, "self", media, "本页 (this document)"),
        link(f"{url}?f=html", "alternate", HTML, "HTML"),
    ]


def collection_doc(root: str, collection: Collection, extent: Extent) -> dict[str, Any]:
    url = f"{root}/collections/{collection.id}"
    doc: dict[str, Any] = {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "itemType": "feature",
        "crs": [c.uri for c in SUPPORTED_CRS],
        "storageCrs": CRS84,
        "extent": {
            "spatial": {
                "bbox": [list(extent.bbox) if extent.bbox else [-180, -90, 180, 90]],
                "crs": CRS84,
            }
        },
        "links": [
            link(url, "self", JSON, collection.title),
            link(f"{url}?f=html", "alternate", HTML, "HTML"),
            link(f"{url}/items", "items", GEOJSON, "要素 (features)"),
            link(f"{url}/items?f=html", "items", HTML, "要素 (HTML)"),
            link(
                f"{url}/queryables",
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                SCHEMA_JSON,
                "可查询属性 (queryables)",
            ),
        ],
    }
    if extent.interval is not None:
        doc["extent"]["temporal"] = {
            "interval": [list(extent.interval)],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    return doc


def queryables_doc(root: str, collection: Collection) -> dict[str, Any]:
    props: dict[str, Any] = {
        "geometry": {
            "title": "几何 (geometry)",
            "format": f"geometry-{collection.geometry_type.lower()}",
            "x-ogc-role": "primary-geometry",
        }
    }
    for name, prop in collection.queryables().items():
        spec: dict[str, Any] = {"title": prop.title}
        if prop.type == "datetime":
            spec |= {"type": "string", "format": "date-time"}
            if name == collection.time_property:
                spec["x-ogc-role"] = "primary-instant"
        else:
            spec["type"] = prop.type
        props[name] = spec
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{root}/collections/{collection.id}/queryables",
        "type": "object",
        "title": collection.title,
        "properties": props,
        "additionalProperties": False,
    }
