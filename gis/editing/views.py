"""What the editor draws: the grids and base units in view, and a lasso snapped to units.

All of it is built in PostGIS for one bounding box at a time (the editor never loads the whole
city's units), and only inside the planner's scope.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission
from gis.editing.changeset import Layer, find_layer
from gis.errors import Invalid, InvalidGeometry, NotFound
from gis.geojson import BBOX_SQL, BBox, collection, feature_sql, lonlat_points
from gis.infra.settings import Settings
from gis.workload import band_sql, workload_sql

#: The most units one answer carries; past it the editor asks the planner to zoom in.
MAX_UNITS_IN_VIEW = 5000
MAX_LASSO_POINTS = 5000
#: A unit is in a lasso when more than this share of its area lies inside.
LASSO_SHARE = 0.5


def grids_in_view(
    conn: Connection,
    layer_code: str,
    settings: Settings,
    *,
    access: Access,
    bbox: BBox | None = None,
    tolerance: float = 0.0,
) -> str:
    """The layer's grids in a bbox that the planner's scope reaches, with workload, band,
    lock, whether the planner may edit them, and the layer version they were read at.

    ``tolerance`` (degrees, for a zoomed-out view) simplifies the outlines for drawing only.
    """
    access.require(Permission.EDIT_LAYERS)
    scope = access.scope
    if not 0 <= tolerance <= 0.01:
        raise Invalid(
            "容差须在 0 至 0.01 度之间 (tolerance is 0 to 0.01 degrees)", tolerance=tolerance
        )
    layer = find_layer(conn, layer_code)
    reach = scope.grid_sql("g")
    whole = scope.grid_sql("g", entirely=True)
    where = ["g.layer_id = :layer", "g.geom IS NOT NULL", reach.sql]
    params: dict[str, Any] = {"layer": layer.id, "tol": tolerance} | reach.params | whole.params
    if bbox is not None:
        where.append(f"g.geom && {BBOX_SQL}")
        params |= bbox.params()
    geom = "CASE WHEN :tol > 0 THEN ST_SimplifyPreserveTopology(g.geom, :tol) ELSE g.geom END"
    props = {
        "code": "g.code",
        "name": "g.name",
        "community_code": "c.code",
        "community_name": "c.name",
        "unit_count": "g.unit_count",
        "households": "g.households",
        "population": "g.population",
        "workload": "round(g.workload::numeric, 1)",
        "band": band_sql("g.workload", settings.band_low, settings.band_high),
        "locked": "g.locked",
        "editable": f"({whole.sql})",
        "pieces": "g.pieces",
    }
    features = f"""
        SELECT {feature_sql("g.code", geom, props)}
        FROM grid g LEFT JOIN community c ON c.id = g.community_id
        WHERE {" AND ".join(where)} ORDER BY g.code
    """
    return collection(
        conn,
        features,
        params,
        extra={"layer": layer.code, "version": layer.version, "band": _band(settings)},
    )


def _band(settings: Settings) -> list[float]:
    return [settings.band_low, settings.band_high]


def units_in_view(
    conn: Connection,
    layer_code: str,
    settings: Settings,
    *,
    access: Access,
    bbox: BBox,
    limit: int = MAX_UNITS_IN_VIEW,
) -> str:
    """The base units in a bbox with the grid each belongs to in the layer.

    When more than ``limit`` units are in view the collection is empty and says so
    (``"truncated": true``): the editor then asks the planner to zoom in.
    """
    access.require(Permission.EDIT_LAYERS)
    scope = access.scope
    if not 1 <= limit <= MAX_UNITS_IN_VIEW:
        raise Invalid(
            f"limit 须在 1 至 {MAX_UNITS_IN_VIEW} 之间 (limit is 1 to {MAX_UNITS_IN_VIEW})",
            limit=limit,
        )
    layer = find_layer(conn, layer_code)
    inside = scope.unit_sql("u")
    condition = f"u.geom && {BBOX_SQL} AND ({inside.sql})"
    params: dict[str, Any] = {"layer": layer.id} | bbox.params() | inside.params
    matched = int(
        conn.execute(
            text(f"SELECT count(*) FROM base_unit u WHERE {condition}"), params
        ).scalar_one()
    )
    extra = {
        "layer": layer.code,
        "version": layer.version,
        "numberMatched": matched,
        "truncated": matched > limit,
    }
    props = {
        "code": "u.code",
        "grid": "g.code",
        "community_code": "c.code",
        "households": "u.households",
        "population": "u.population",
        "workload": f"round(({workload_sql(settings.weights, 'u')})::numeric, 1)",
        "locked": "coalesce(g.locked, false)",
    }
    features = f"""
        SELECT {feature_sql("u.code", "u.geom", props)}
        FROM base_unit u JOIN community c ON c.id = u.community_id
        LEFT JOIN grid_unit gu ON gu.unit_id = u.id AND gu.layer_id = :layer
        LEFT JOIN grid g ON g.id = gu.grid_id
        WHERE {condition} {"AND false" if matched > limit else ""}
        ORDER BY u.code
    """
    return collection(conn, features, params, extra=extra)


def _polygon(polygon: dict[str, Any] | str) -> str:
    data = json.loads(polygon) if isinstance(polygon, str) else polygon
    if not isinstance(data, dict) or data.get("type") != "Polygon":
        raise InvalidGeometry("套索须为 GeoJSON Polygon (the lasso must be a GeoJSON Polygon)")
    rings = data.get("coordinates")
    if not isinstance(rings, list) or not rings or not isinstance(rings[0], list):
        raise InvalidGeometry("套索多边形没有边界环 (the lasso polygon has no ring)")
    ring = rings[0]
    if not 3 <= len(ring) <= MAX_LASSO_POINTS:
        raise InvalidGeometry(
            f"套索须有 3 至 {MAX_LASSO_POINTS} 个点 ("
            f"the lasso needs 3 to {MAX_LASSO_POINTS} points)"
        )
    closed = lonlat_points(ring, "the lasso")
    if closed[0] != closed[-1]:
        closed.append(closed[0])
    return json.dumps({"type": "Polygon", "coordinates": [closed]})


@dataclass(frozen=True)
class SelectedUnit:
    code: str
    grid: str
    community_code: str
    households: int | None


@dataclass(frozen=True)
class Selection:
    """The units a lasso took, at the layer version they were read in (edits carry it)."""

    layer: str
    version: int
    units: tuple[SelectedUnit, ...]


def select_units(
    conn: Connection, layer_code: str, polygon: dict[str, Any] | str, *, access: Access
) -> Selection:
    """The base units a freehand lasso covers, snapped to whole units in PostGIS.

    A unit is selected when more than half of its area lies inside the lasso, so a lasso drawn
    roughly around some units takes them whole and never a sliver of a neighbour. A lasso that
    crosses itself is repaired (``ST_MakeValid``) rather than refused.
    """
    shape = _polygon(polygon)
    return _select(
        conn,
        layer_code,
        access,
        "WITH lasso AS (SELECT ST_CollectionExtract("
        "ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(:shape), 4326)), 3) AS geom)",
        "u.geom && lasso.geom AND ST_Intersects(u.geom, lasso.geom)"
        " AND ST_Area(ST_Intersection(u.geom, lasso.geom)) > :share * ST_Area(u.geom)",
        {"shape": shape, "share": LASSO_SHARE},
        "lasso, ",
    )


def select_area(conn: Connection, layer_code: str, area: str, *, access: Access) -> Selection:
    """Every unit of a community (12 digits) or a street (9 digits) in one stroke: the community
    brush. Only the units inside the planner's scope are taken."""
    if not (area.isdigit() and len(area) in (9, 12)):
        raise Invalid(
            f"区域代码须为街道(9位)或社区(12位): {area!r} "
            f"(area must be a street's 9-digit or a community's 12-digit code)",
            area=area,
        )
    selection = _select(conn, layer_code, access, "", "starts_with(c.code, :area)", {"area": area})
    if not selection.units:
        raise NotFound(
            f"范围内没有区域 {area} 的单元 (no units of area {area} in your scope)", area=area
        )
    return selection


def _select(
    conn: Connection,
    layer_code: str,
    access: Access,
    prefix: str,
    where: str,
    params: dict[str, Any],
    source: str = "",
) -> Selection:
    access.require(Permission.EDIT_LAYERS)
    layer: Layer = find_layer(conn, layer_code)
    inside = access.scope.unit_sql("u")
    rows = conn.execute(
        text(
            f"""
            {prefix}
            SELECT u.code, g.code AS grid, c.code AS community_code, u.households
            FROM {source}base_unit u
            JOIN community c ON c.id = u.community_id
            JOIN grid_unit gu ON gu.unit_id = u.id AND gu.layer_id = :layer
            JOIN grid g ON g.id = gu.grid_id
            WHERE {where} AND ({inside.sql})
            ORDER BY u.code
            LIMIT {MAX_UNITS_IN_VIEW + 1}
            """
        ),
        params | {"layer": layer.id} | inside.params,
    ).mappings()
    units = [SelectedUnit(**r) for r in rows]
    if len(units) > MAX_UNITS_IN_VIEW:
        raise Invalid(
            f"所选范围超过 {MAX_UNITS_IN_VIEW} 个单元：请选小一些 ("
            f"the selection covers more than {MAX_UNITS_IN_VIEW} units: choose a smaller one)",
            layer=layer.code,
        )
    return Selection(layer.code, layer.version, tuple(units))
