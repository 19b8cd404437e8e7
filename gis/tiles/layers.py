"""The SQL of each tile source: one ``ST_AsMVT`` per MVT layer, made where the data are.

Every layer follows the same recipe (:func:`mvt_layer`): find the rows whose geometry touches
the tile and its buffer (GiST on ``geom_3857``, or on ``geom`` through the envelope in WGS84 for
the small admin tables), keep those the caller's scope reaches, simplify to half an MVT unit (a
tenth of a screen pixel: invisible, but it halves the bytes of a city-wide tile), then
``ST_AsMVTGeom`` (extent 4096, buffer 64, clipped) and ``ST_AsMVT``. The layers of one source are
concatenated: an MVT tile is a sequence of layers, so ``a || b`` is a valid tile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gis.access import Access
from gis.crs import FROM_WGS84, check_display_crs
from gis.incidents.access import visible_sql
from gis.layers import GRID_PROPERTIES
from gis.party.common import current
from gis.scope import SqlFilter
from gis.tiles.coords import BUFFER, EXTENT, TileCoord, mercator
from gis.tiles.sources import PARTY_BUILDINGS_FROM
from gis.workload import band_sql

#: The tile in Web Mercator. ``:dx``/``:dy`` are 0, or the GCJ-02 shift at the tile's centre
#: (see :func:`base_params`): moving the envelope the other way moves every geometry at no cost.
ENVELOPE = "ST_Translate(ST_TileEnvelope(:z, :x, :y), -:dx, -:dy)"
#: The tile with its buffer, in Web Mercator and in WGS84 (for the tables kept in 4326 only).
BUFFERED = f"ST_Translate(ST_TileEnvelope(:z, :x, :y, margin => {BUFFER / EXTENT!r}), -:dx, -:dy)"
BUFFERED_4326 = f"ST_Transform({BUFFERED}, 4326)"


@dataclass
class TileQuery:
    """SQL yielding the tile's bytes, and its parameters."""

    parts: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def add(self, sql: str, where: SqlFilter | None = None, **params: Any) -> None:
        self.parts.append(sql)
        self.params |= params | (where.params if where else {})

    def sql(self) -> str:
        if not self.parts:
            return "SELECT ''::bytea"
        return "SELECT " + " || ".join(f"coalesce({p}, ''::bytea)" for p in self.parts)


def base_params(coord: TileCoord, crs: str = "wgs84") -> dict[str, Any]:
    """The tile's parameters; ``tolerance`` is half an MVT unit (what simplification may move a
    vertex by). For ``crs='gcj02'`` (to sit on AMap/Tencent-style base maps) the tile is moved
    by the GCJ-02 offset at its centre: the offset varies by a few metres a kilometre, so the
    error is under a pixel at every zoom."""
    dx = dy = 0.0
    if crs != "wgs84":
        lon, lat = coord.centre
        shifted = FROM_WGS84[check_display_crs(crs)](np.array([[lon, lat]]))[0]
        dx, dy = (
            mercator(*shifted)[0] - mercator(lon, lat)[0],
            (mercator(*shifted)[1] - mercator(lon, lat)[1]),
        )
    return {
        "z": coord.z,
        "x": coord.x,
        "y": coord.y,
        "dx": dx,
        "dy": dy,
        "tolerance": coord.metres_per_unit / 2,
    }


def mvt_layer(
    name: str, props: dict[str, str], geom_3857: str, source: str, *, simplify: bool = True
) -> str:
    """``ST_AsMVT`` of the rows of ``source`` (FROM … WHERE …) with ``props`` (name → SQL)."""
    columns = ", ".join(f"{expr} AS {key}" for key, expr in props.items())
    geom = f"ST_Simplify({geom_3857}, :tolerance, true)" if simplify else geom_3857
    return f"""(SELECT ST_AsMVT(t, '{name}', {EXTENT}, 'geom') FROM (
        SELECT {columns}, ST_AsMVTGeom({geom}, {ENVELOPE}, {EXTENT}, {BUFFER}, true) AS geom
        FROM {source}) t)"""


#: A grid's attributes as the GeoJSON endpoints give them (gis.layers), numbers cast to float8
#: (an MVT holds no ``numeric``), and the lock the editor and the map draw.
GRID_PROPS = {
    name: f"{sql}::float8" if sql.startswith("round(") else sql
    for name, sql in GRID_PROPERTIES.items()
} | {"locked": "g.locked"}


def grids(query: TileQuery, layer_id: int, band: tuple[float, float], *, access: Access) -> None:
    reach = access.scope.grid_sql("g")
    props = GRID_PROPS | {"band": band_sql("g.workload", *band)}
    source = f"""grid g LEFT JOIN community c ON c.id = g.community_id
        WHERE g.layer_id = :layer_id AND g.geom_3857 && {BUFFERED} AND {reach.sql}"""
    query.add(mvt_layer("grids", props, "g.geom_3857", source), reach, layer_id=layer_id)


def units(query: TileQuery, *, access: Access) -> None:
    inside = access.scope.unit_sql("u")
    props = {
        "code": "u.code",
        "community_code": "c.code",
        "households": "u.households",
        "population": "u.population",
        "buildings": "u.buildings",
        "incidents_per_year": "u.incidents_per_year",
        "care_people": "u.care_people",
    }
    source = f"""base_unit u JOIN community c ON c.id = u.community_id
        WHERE u.geom_3857 && {BUFFERED} AND {inside.sql}"""
    query.add(mvt_layer("units", props, "u.geom_3857", source), inside)


def areas(query: TileQuery, *, access: Access) -> None:
    for table, layer, level in (
        ("district", "districts", "district"),
        ("street", "streets", "street"),
        ("community", "communities", "community"),
    ):
        seen = access.scope.area_sql("a.code")
        props = {"code": "a.code", "name": "a.name", "level": f"'{level}'"}
        source = f"{table} a WHERE a.geom && {BUFFERED_4326} AND {seen.sql}"
        query.add(mvt_layer(layer, props, "ST_Transform(a.geom, 3857)", source), seen)


def buildings(query: TileQuery, *, access: Access) -> None:
    inside = access.scope.unit_sql("u")
    props = {
        "code": "b.code",
        "name": "b.name",
        "households": "b.households",
        "floors": "b.floors",
        "entrance_units": "b.entrance_units",
    }
    source = f"""building b JOIN base_unit u ON u.id = b.base_unit_id
        WHERE b.geom_3857 && {BUFFERED} AND {inside.sql}"""
    query.add(mvt_layer("buildings", props, "b.geom_3857", source), inside)


def incident_points(query: TileQuery, *, access: Access) -> None:
    """Incidents as points: category and state, never the reporter or the description."""
    seen = visible_sql("i", access=access)
    props = {
        "code": "i.code",
        "category": "i.category",
        "state": "i.state",
        "department": "i.department",
    }
    source = f"incident i WHERE i.geom && {BUFFERED_4326} AND {seen.sql}"
    query.add(
        mvt_layer("incidents", props, "ST_Transform(i.geom, 3857)", source, simplify=False), seen
    )


def party(query: TileQuery, layer_id: int, coord: TileCoord, on: Any, *, access: Access) -> None:
    """Who leads what (yes/no and counts; never who): grids, and buildings when zoomed in."""
    reach = access.scope.grid_sql("g")
    inside = access.scope.unit_sql("u")
    grid_props = {
        "code": "g.code",
        "name": "g.name",
        "has_grid_leader": f"""EXISTS (SELECT 1 FROM assignment a WHERE a.grid_id = g.id
                               AND a.role = 'grid_leader' AND {current("a")})""",
        "cadres": f"""(SELECT count(*) FROM assignment a WHERE a.grid_id = g.id
                       AND a.role = 'cadre' AND {current("a")})""",
        "buildings": "g.buildings",
        "buildings_covered": f"""(SELECT count(DISTINCT a.building_id) FROM grid_unit gu
                       JOIN building b ON b.base_unit_id = gu.unit_id
                       JOIN assignment a ON a.building_id = b.id
                       WHERE gu.grid_id = g.id AND a.role = 'building_leader'
                         AND {current("a")})""",
    }
    source = f"grid g WHERE g.layer_id = :layer_id AND g.geom_3857 && {BUFFERED} AND {reach.sql}"
    query.add(mvt_layer("grids", grid_props, "g.geom_3857", source), reach, layer_id=layer_id)
    query.params["on"] = on
    if coord.z >= PARTY_BUILDINGS_FROM:
        building_props = {
            "code": "b.code",
            "covered": f"""EXISTS (SELECT 1 FROM assignment a WHERE a.building_id = b.id
                          AND a.role = 'building_leader' AND {current("a")})""",
        }
        source = f"""building b JOIN base_unit u ON u.id = b.base_unit_id
            WHERE b.geom_3857 && {BUFFERED} AND {inside.sql}"""
        query.add(mvt_layer("buildings", building_props, "b.geom_3857", source), inside)
