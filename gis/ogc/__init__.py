"""OGC API — Features (Parts 1, 2 and 3) over Gridmap's data, within the caller's access.

The collections a GIS client (QGIS, ArcGIS, OWSLib) sees are the grid layers the caller may see,
the admin areas (districts, streets, communities), the base units, the buildings and — for roles
that view the map — the incidents. Every query is built in PostGIS, filtered by the caller's
:class:`~gis.access.Access` as every other Gridmap answer is, and personal data are masked as
the incidents API masks them.

Modules, by seam: :mod:`~gis.ogc.crs` (CRS identifiers, axis order, bbox),
:mod:`~gis.ogc.collections` (what is served and its property whitelist),
:mod:`~gis.ogc.cql` (CQL2 text/JSON → parameterised SQL), :mod:`~gis.ogc.items` (the queries).
"""

from gis.ogc.collections import Collection, Prop, get_collection, list_collections
from gis.ogc.cql import compile_filter
from gis.ogc.crs import CRS84, EPSG4326, EPSG4490, SUPPORTED_CRS, OgcCrs, parse_bbox, parse_crs
from gis.ogc.errors import BadQuery
from gis.ogc.items import Extent, ItemsPage, ItemsQuery, collection_extent, get_item, get_items
from gis.ogc.items import parse_datetime as parse_datetime

__all__ = [
    "CRS84",
    "EPSG4326",
    "EPSG4490",
    "SUPPORTED_CRS",
    "BadQuery",
    "Collection",
    "Extent",
    "ItemsPage",
    "ItemsQuery",
    "OgcCrs",
    "Prop",
    "collection_extent",
    "compile_filter",
    "get_collection",
    "get_item",
    "get_items",
    "list_collections",
    "parse_bbox",
    "parse_crs",
    "parse_datetime",
]
