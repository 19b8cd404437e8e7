"""Grid layers, their grids and the base units, read from PostGIS.

Every function takes the caller's :class:`~gis.access.Access` (keyword-only, required): layer
statistics are computed over the grids its scope reaches, collections hold only those grids, and
asking for a grid or a unit outside the scope is :class:`~gis.errors.Forbidden`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.errors import Forbidden, Invalid, NotFound
from gis.geojson import BBOX_SQL, BBox, collection, feature_sql
from gis.infra.answers import remembered
from gis.workload import band_sql


@dataclass(frozen=True)
class LayerSummary:
    """A grid layer with the count and workload balance of the grids a scope reaches (the
    figures are ``None`` where it reaches none); ``band`` is the [low, high] they were judged by."""

    code: str
    name: str
    kind: str
    department: str | None
    version: int
    grid_count: int
    unit_count: int
    workload_mean: float | None
    workload_cv: float | None
    workload_min: float | None
    workload_max: float | None
    share_in_band: float | None
    grids_crossing_communities: int
    band: list[float]


def balance_sql(alias: str, band: tuple[float, float]) -> str:
    """The workload balance of a group of grids (table alias ``alias``), as the select list
    ``workload_mean, workload_cv, share_in_band`` — one definition for a layer's figures and
    for the roll-ups by city and county (gis.rollups): CV is the population standard deviation
    over the mean, the share counts the grids :func:`~gis.workload.band_sql` calls 'in'."""
    low, high = band
    in_band = band_sql(f"{alias}.workload", low, high)
    return f"""round(avg({alias}.workload)::numeric, 1)::float AS workload_mean,
               round((stddev_pop({alias}.workload) / nullif(avg({alias}.workload), 0))::numeric,
                     3)::float AS workload_cv,
               round(avg(CASE WHEN {in_band} = 'in' THEN 1.0 ELSE 0.0 END), 3)::float
                   AS share_in_band"""


@remembered("grids", "places")
def list_layers(
    conn: Connection, band: tuple[float, float], *, access: Access
) -> list[LayerSummary]:
    """Every layer with the count and workload balance (mean, CV, min, max, share in band) of
    the grids ``access.scope`` reaches; a scenario's layer only when the scope reaches one of its
    grids. Served again until a grid or a place changes (gis.infra.answers)."""
    scope = access.scope
    low, high = band
    reach = scope.span_sql("g")  # a grid's own span, not a join of every membership
    rows = conn.execute(
        text(
            f"""
            SELECT l.code, l.name, l.kind, l.department, l.version,
                   count(g.id) AS grid_count,
                   coalesce(sum(g.unit_count), 0) AS unit_count,
                   {balance_sql("g", band)},
                   min(g.workload) AS workload_min,
                   max(g.workload) AS workload_max,
                   count(*) FILTER (WHERE g.community_count > 1) AS grids_crossing_communities
            FROM grid_layer l LEFT JOIN grid g ON g.layer_id = l.id AND ({reach.sql})
            GROUP BY l.id
            -- a scenario is listed only where it proposes grids: its name is no one else's news
            HAVING l.kind <> 'scenario' OR count(g.id) > 0
            ORDER BY CASE l.kind WHEN 'unified' THEN 0 WHEN 'department' THEN 1
                          WHEN 'scenario' THEN 2 ELSE 3 END, l.id
            """
        ),
        reach.params,
    ).mappings()
    return [LayerSummary(**r, band=[low, high]) for r in rows]


def get_layer(
    conn: Connection, code: str, band: tuple[float, float], *, access: Access
) -> LayerSummary:
    for layer in list_layers(conn, band, access=access):
        if layer.code == code:
            return layer
    raise NotFound(f"没有代码为 {code!r} 的网格图层 (no grid layer with code {code!r})", layer=code)


def layer_id_of(conn: Connection, code: str) -> int:
    """The id of the grid layer ``code``; :class:`NotFound` naming it when there is none."""
    row = conn.execute(text("SELECT id FROM grid_layer WHERE code = :c"), {"c": code}).first()
    if row is None:
        raise NotFound(
            f"没有代码为 {code!r} 的网格图层 (no grid layer with code {code!r})", layer=code
        )
    return int(row[0])


GRID_PROPERTIES = {
    "code": "g.code",
    "name": "g.name",
    "community_code": "c.code",
    "community_name": "c.name",
    "community_count": "g.community_count",
    "unit_count": "g.unit_count",
    "households": "g.households",
    "population": "g.population",
    "buildings": "g.buildings",
    "incidents_per_year": "g.incidents_per_year",
    "care_people": "g.care_people",
    "workload": "round(g.workload::numeric, 1)",
    "area_km2": "round((g.area_m2 / 1e6)::numeric, 3)",
}


def grids_geojson(
    conn: Connection,
    layer: str,
    *,
    access: Access,
    band: tuple[float, float],
    bbox: BBox | None = None,
    community: str | None = None,
    limit: int = 5000,
    offset: int = 0,
) -> str:
    """A page of the grids of a layer that ``access.scope`` reaches, as a FeatureCollection with
    OGC-style paging counts.

    ``community`` keeps the grids that hold units of that community (code prefix of 12 digits);
    a community the scope does not see is :class:`Forbidden`.
    """
    scope = access.scope
    if limit < 1 or offset < 0:
        raise Invalid(
            "limit 须 ≥ 1，offset 须 ≥ 0 (limit must be ≥ 1 and offset ≥ 0)",
            limit=limit,
            offset=offset,
        )
    layer_id = layer_id_of(conn, layer)
    reach = scope.grid_sql("g")
    where = ["g.layer_id = :layer_id", "g.geom IS NOT NULL", reach.sql]
    params: dict[str, Any] = {"layer_id": layer_id} | reach.params
    if bbox:
        where.append(f"g.geom && {BBOX_SQL}")
        params |= bbox.params()
    if community:
        found = conn.execute(
            text("SELECT id FROM community WHERE code = :c"), {"c": community}
        ).first()
        if not found:
            raise NotFound(
                f"没有代码为 {community!r} 的社区 (no community with code {community!r})",
                community=community,
            )
        if not scope.sees_area(community):
            raise Forbidden(
                f"社区 {community} 不在您的权限范围（{scope}）内 ("
                f"community {community} is outside your scope ({scope}))",
                community=community,
            )
        where.append(
            # gu.layer_id: the community's units reach their grids by grid_unit's key
            # (layer, unit) instead of a scan of every layer's memberships.
            "EXISTS (SELECT 1 FROM grid_unit gu JOIN base_unit u ON u.id = gu.unit_id "
            "WHERE gu.grid_id = g.id AND gu.layer_id = :layer_id "
            "AND u.community_id = :community_id)"
        )
        params["community_id"] = found[0]
    condition = " AND ".join(where)
    matched = conn.execute(
        text(f"SELECT count(*) FROM grid g WHERE {condition}"), params
    ).scalar_one()
    props = GRID_PROPERTIES | {"band": band_sql("g.workload", *band)}
    features = f"""
        SELECT {feature_sql("g.code", "g.geom", props)}
        FROM grid g LEFT JOIN community c ON c.id = g.community_id
        WHERE {condition}
        ORDER BY g.code
        LIMIT :limit OFFSET :offset
    """
    returned = max(0, min(limit, matched - offset))
    extra: dict[str, Any] = {
        "layer": layer,
        "numberMatched": matched,
        "numberReturned": returned,
        "band": list(band),
    }
    if offset + returned < matched:
        extra["next_offset"] = offset + returned
    return collection(conn, features, params | {"limit": limit, "offset": offset}, extra=extra)


def grid_detail(
    conn: Connection, layer: str, code: str, band: tuple[float, float], *, access: Access
) -> str:
    """One grid as a Feature, with its units (code, community, households, workload share).

    A grid the scope does not reach is :class:`Forbidden`; of a grid that crosses the scope's
    edge, only the units inside the scope are listed (the totals are the whole grid's).
    """
    scope = access.scope
    layer_id = layer_id_of(conn, layer)
    reach = scope.grid_sql("g", one_row=True)
    units = scope.unit_sql("u")
    props = GRID_PROPERTIES | {
        "band": band_sql("g.workload", *band),
        "layer": "CAST(:layer AS text)",
        "units": """(SELECT coalesce(json_agg(json_build_object(
                        'code', u.code, 'community_code', uc.code,
                        'households', u.households, 'population', u.population,
                        'buildings', u.buildings, 'incidents_per_year', u.incidents_per_year,
                        'care_people', u.care_people) ORDER BY u.code), '[]'::json)
                     FROM grid_unit gu JOIN base_unit u ON u.id = gu.unit_id
                     JOIN community uc ON uc.id = u.community_id
                     WHERE gu.grid_id = g.id AND ("""
        + units.sql
        + "))",
    }
    row = conn.execute(
        text(
            f"""SELECT q.feature::text, q.reached FROM (
                    SELECT {feature_sql("g.code", "g.geom", props)}, ({reach.sql}) AS reached
                    FROM grid g LEFT JOIN community c ON c.id = g.community_id
                    WHERE g.layer_id = :layer_id AND g.code = :code) q"""
        ),
        {"layer_id": layer_id, "code": code, "layer": layer} | reach.params | units.params,
    ).first()
    if row is None:
        raise NotFound(
            f"图层 {layer!r} 中没有代码为 {code!r} 的网格 ("
            f"layer {layer!r} has no grid with code {code!r})",
            layer=layer,
            grid=code,
        )
    if not row[1]:
        raise Forbidden(
            f"图层 {layer!r} 的网格 {code} 不在您的权限范围（{scope}）"
            "内 ("
            f"grid {code} of layer {layer!r} is outside your scope ({scope}))",
            layer=layer,
            grid=code,
        )
    return str(row[0])


def unit_detail(conn: Connection, code: str, *, access: Access) -> str:
    """One base unit as a Feature, with the grid it belongs to in every layer (of those grids,
    the ones the scope reaches). A unit outside the scope is :class:`Forbidden`."""
    scope = access.scope
    reach = scope.grid_sql("g")
    inside = scope.unit_sql("u")
    props = {
        "code": "u.code",
        "community_code": "c.code",
        "community_name": "c.name",
        "households": "u.households",
        "population": "u.population",
        "buildings": "u.buildings",
        "incidents_per_year": "u.incidents_per_year",
        "care_people": "u.care_people",
        "area_m2": "round(u.area_m2::numeric, 1)",
        "grids": """(SELECT coalesce(json_object_agg(l.code, g.code), '{}'::json)
                     FROM grid_unit gu JOIN grid g ON g.id = gu.grid_id
                     JOIN grid_layer l ON l.id = gu.layer_id
                     WHERE gu.unit_id = u.id AND ("""
        + reach.sql
        + "))",
    }
    row = conn.execute(
        text(
            f"""SELECT q.feature::text, q.inside FROM (
                    SELECT {feature_sql("u.code", "u.geom", props)}, ({inside.sql}) AS inside
                    FROM base_unit u JOIN community c ON c.id = u.community_id
                    WHERE u.code = :code) q"""
        ),
        {"code": code} | reach.params | inside.params,
    ).first()
    if row is None:
        raise NotFound(
            f"没有代码为 {code!r} 的基础单元 (no base unit with code {code!r})", unit=code
        )
    if not row[1]:
        raise Forbidden(
            f"基础单元 {code} 不在您的权限范围（{scope}）内 ("
            f"base unit {code} is outside your scope ({scope}))",
            unit=code,
        )
    return str(row[0])


def table_counts(conn: Connection) -> dict[str, int]:
    """Rows per table: the figure an operator checks first after a load."""
    tables = [
        "district",
        "street",
        "community",
        "base_unit",
        "building",
        "building_entrance",
        "grid_layer",
        "grid",
        "grid_unit",
        "incident",
        "party_organisation",
        "party_member",
        "assignment",
        "audit_log",
    ]
    sql = "SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in tables)
    return dict(zip(tables, (int(n) for n in conn.execute(text(sql)).one()), strict=True))
