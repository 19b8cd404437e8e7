"""What can be drawn from tiles: the sources, their MVT layers and the fields each layer carries.

A source is named in the tile URL: ``grids.<layer>`` (any grid layer — unified, a department's,
a scenario's, a superseded one), ``units`` (base units), ``areas`` (districts, streets and
communities), ``buildings``, ``incidents`` (H3 cells with counts when zoomed out, points when
zoomed in) and ``party.<layer>`` (who leads which grid of a layer and which building). Tiles
carry no personal data at all: no names of people, no phone numbers, no incident descriptions.

The field lists here are what TileJSON announces (``vector_layers``); the SQL that fills them
lives in :mod:`gis.tiles.layers`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gis.errors import NotFound

#: Zoom at which incidents turn from H3 cells into points, and buildings appear.
POINTS_FROM = 14
BUILDINGS_FROM = 14
UNITS_FROM = 11
PARTY_BUILDINGS_FROM = 15
MAX_SOURCE_ZOOM = 22


@dataclass(frozen=True)
class TileLayer:
    """One MVT layer of a source: its name, the zooms it is in, and its fields (TileJSON types)."""

    name: str
    description: str
    fields: dict[str, str]
    minzoom: int = 0
    maxzoom: int = MAX_SOURCE_ZOOM


@dataclass(frozen=True)
class Source:
    """A tile source: ``kind`` picks the SQL, ``layer`` the grid layer of grids/party sources."""

    name: str
    kind: str
    title: str
    layers: tuple[TileLayer, ...]
    layer: str | None = None
    minzoom: int = 0
    maxzoom: int = MAX_SOURCE_ZOOM


GRID_FIELDS = {
    "code": "String",
    "name": "String",
    "community_code": "String",
    "community_name": "String",
    "community_count": "Number",
    "unit_count": "Number",
    "households": "Number",
    "population": "Number",
    "buildings": "Number",
    "incidents_per_year": "Number",
    "care_people": "Number",
    "workload": "Number",
    "band": "String",
    "area_km2": "Number",
    "locked": "Boolean",
}
UNIT_FIELDS = {
    "code": "String",
    "community_code": "String",
    "households": "Number",
    "population": "Number",
    "buildings": "Number",
    "incidents_per_year": "Number",
    "care_people": "Number",
}
AREA_FIELDS = {"code": "String", "name": "String", "level": "String"}
BUILDING_FIELDS = {
    "code": "String",
    "name": "String",
    "households": "Number",
    "floors": "Number",
    "entrance_units": "Number",
}
HEXAGON_FIELDS = {"h3": "String", "count": "Number", "open": "Number", "closed": "Number"}
INCIDENT_FIELDS = {
    "code": "String",
    "category": "String",
    "state": "String",
    "department": "String",
}
PARTY_GRID_FIELDS = {
    "code": "String",
    "name": "String",
    "has_grid_leader": "Boolean",
    "cadres": "Number",
    "buildings": "Number",
    "buildings_covered": "Number",
}
PARTY_BUILDING_FIELDS = {"code": "String", "covered": "Boolean"}

_FIXED = {
    "units": Source(
        "units",
        "units",
        "基础单元 Base units",
        (TileLayer("units", "基础单元 Base units", UNIT_FIELDS, UNITS_FROM),),
        minzoom=UNITS_FROM,
    ),
    "areas": Source(
        "areas",
        "areas",
        "行政区划 Districts, streets and communities",
        (
            TileLayer("districts", "区县 Districts", AREA_FIELDS),
            TileLayer("streets", "街道 Streets", AREA_FIELDS),
            TileLayer("communities", "社区 Communities", AREA_FIELDS),
        ),
    ),
    "buildings": Source(
        "buildings",
        "buildings",
        "楼栋 Buildings",
        (TileLayer("buildings", "楼栋 Buildings", BUILDING_FIELDS, BUILDINGS_FROM),),
        minzoom=BUILDINGS_FROM,
    ),
    "incidents": Source(
        "incidents",
        "incidents",
        "事件 Incidents",
        (
            TileLayer(
                "hexagons",
                "事件 H3 六边形 Incidents per H3 cell",
                HEXAGON_FIELDS,
                0,
                POINTS_FROM - 1,
            ),  # fmt: skip
            TileLayer("incidents", "事件 Incidents", INCIDENT_FIELDS, POINTS_FROM),
        ),
    ),
}
_LAYERED = re.compile(r"(grids|party)\.([a-z0-9_-]{1,64})")


def source(name: str) -> Source:
    """The source called ``name``, or :class:`NotFound` naming the sources there are.

    Whether a grid layer named in ``grids.<layer>`` exists is checked against the database
    later (:func:`gis.tiles.versions.current_version`).
    """
    if name in _FIXED:
        return _FIXED[name]
    match = _LAYERED.fullmatch(name)
    if not match:
        raise NotFound(
            f"没有这个瓦片源 (no tile source {name[:80]!r}: one of grids.<layer>, party.<layer>, "
            f"{', '.join(_FIXED)})",
            source=name[:80],
        )
    kind, layer = match.groups()
    if kind == "grids":
        return Source(
            name,
            "grids",
            f"网格 Grids of {layer}",
            (TileLayer("grids", f"网格 Grids of layer {layer}", GRID_FIELDS),),
            layer=layer,
        )
    return Source(
        name,
        "party",
        f"党建覆盖 Party coverage of {layer}",
        (
            TileLayer("grids", "网格长覆盖 Grid leaders", PARTY_GRID_FIELDS),
            TileLayer(
                "buildings",
                "楼栋长覆盖 Building leaders",
                PARTY_BUILDING_FIELDS,
                PARTY_BUILDINGS_FROM,
            ),  # fmt: skip
        ),
        layer=layer,
    )


def fixed_sources() -> list[Source]:
    return list(_FIXED.values())
