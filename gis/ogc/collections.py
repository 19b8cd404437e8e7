"""The collections served, each with a WHITELIST of its properties and its scope condition.

A :class:`Collection` says everything a query needs and nothing a client may change: the tables
(``source``), the feature id, the geometry, each property as a trusted SQL expression with its
JSON type, and the condition that keeps the rows the caller's :class:`~gis.access.Access`
reaches. Filters (``bbox``, ``datetime``, CQL2) name properties, and only the names here reach
the SQL — their values always travel as bound parameters.

Which collections a caller sees: every grid layer that ``GET /layers`` lists for them (a
scenario's layer only where the scope reaches one of its grids), the admin areas whose outlines
they may see, the base units and buildings inside their scope, and the incidents they may see
(department staff: their department's). Reporters' names and phones are personal data: they are
not queryable by, and are masked for, roles without ``VIEW_PERSONAL_DATA``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission
from gis.errors import NotFound
from gis.incidents.access import visible_sql
from gis.incidents.workflow import OVERDUE_SQL
from gis.infra.settings import Settings
from gis.layers import GRID_PROPERTIES, LayerSummary, list_layers
from gis.scenarios.compare import layer_band
from gis.scope import SqlFilter
from gis.workload import band_sql

GRID_PREFIX = "grids-"


@dataclass(frozen=True)
class Prop:
    """A property: a trusted SQL expression, its JSON type and a Chinese title."""

    sql: str
    type: str  # 'string' | 'integer' | 'number' | 'boolean' | 'datetime'
    title: str
    personal: bool = False  # masked for, and not queryable by, roles without personal data


@dataclass(frozen=True)
class Collection:
    """One collection as the queries see it (see the module doc)."""

    id: str
    title: str
    description: str
    source: str  # FROM clause; the main table's alias is the one ``id_sql`` uses
    id_sql: str
    geom_sql: str
    geometry_type: str
    properties: dict[str, Prop]
    where: SqlFilter  # what the caller may reach (and the collection's own condition)
    order_sql: str
    time_sql: str | None = None  # the temporal property, for ``datetime``
    time_property: str | None = None
    masked: frozenset[str] = field(default_factory=frozenset)  # personal fields to mask

    def queryables(self) -> dict[str, Prop]:
        """The properties a filter may name: all but the personal data the caller may not see."""
        return {k: p for k, p in self.properties.items() if k not in self.masked}


def _s(sql: str, title: str) -> Prop:
    return Prop(sql, "string", title)


def _i(sql: str, title: str) -> Prop:
    return Prop(sql, "integer", title)


def _n(sql: str, title: str) -> Prop:
    return Prop(sql, "number", title)


#: Type and title of each grid attribute; the SQL is gis.layers' (what every grid endpoint gives).
_GRID_META = {
    "code": ("string", "网格编码"),
    "name": ("string", "网格名称"),
    "community_code": ("string", "社区编码"),
    "community_name": ("string", "社区名称"),
    "community_count": ("integer", "涉及社区数"),
    "unit_count": ("integer", "基础单元数"),
    "households": ("integer", "户数"),
    "population": ("integer", "人口"),
    "buildings": ("integer", "楼栋数"),
    "incidents_per_year": ("integer", "年事件数"),
    "care_people": ("integer", "关爱对象"),
    "workload": ("number", "工作量"),
    "area_km2": ("number", "面积 (km²)"),
}


def _grid_props(band: tuple[float, float]) -> dict[str, Prop]:
    props = {name: Prop(sql, *_GRID_META[name]) for name, sql in GRID_PROPERTIES.items()}
    return props | {"band": _s(band_sql("g.workload", *band), "工作量区间 (under/in/over)")}


@dataclass(frozen=True)
class _LayerName:
    """What a collection shows of a grid layer (the listing's :class:`~gis.layers.LayerSummary`
    has it too)."""

    code: str
    name: str
    kind: str
    version: int


def _grid_collection(
    layer: _LayerName | LayerSummary, access: Access, band: tuple[float, float]
) -> Collection:
    code = layer.code
    reach = access.scope.grid_sql("g")
    kind_zh = {"unified": "统一网格", "department": "部门网格", "scenario": "合并方案"}.get(
        layer.kind, "网格"
    )
    return Collection(
        id=GRID_PREFIX + code,
        # "统一网格（统一网格）" says nothing twice: the kind only where the name lacks it.
        title=layer.name if kind_zh in layer.name else f"{layer.name}（{kind_zh}）",
        description=f"网格图层 {code} (grid layer, version {layer.version}): "
        "每个网格的户数、人口、工作量 (households, population, workload per grid)",
        source="grid g LEFT JOIN community c ON c.id = g.community_id",
        id_sql="g.code",
        geom_sql="g.geom",
        geometry_type="MultiPolygon",
        properties=_grid_props(band),
        where=SqlFilter(
            "g.layer_id = (SELECT ol.id FROM grid_layer ol WHERE ol.code = :ogc_layer) "
            "AND g.geom IS NOT NULL",
            {"ogc_layer": code},
        )
        & reach,
        order_sql="g.code",
    )


def _areas(access: Access) -> list[Collection]:
    scope = access.scope
    district = {"district_code": _s("d.code", "区县编码"), "district_name": _s("d.name", "区县")}
    street = {"street_code": _s("s.code", "街道编码"), "street_name": _s("s.name", "街道")}
    return [
        Collection(
            id="districts",
            title="区县",
            description="区县边界 (district outlines)",
            source="district d",
            id_sql="d.code",
            geom_sql="d.geom",
            geometry_type="MultiPolygon",
            properties={"code": _s("d.code", "区县编码"), "name": _s("d.name", "区县名称")},
            where=scope.area_sql("d.code"),
            order_sql="d.code",
        ),
        Collection(
            id="streets",
            title="街道（乡镇）",
            description="街道、乡镇边界 (street / township outlines)",
            source="street s JOIN district d ON d.id = s.district_id",
            id_sql="s.code",
            geom_sql="s.geom",
            geometry_type="MultiPolygon",
            properties={"code": _s("s.code", "街道编码"), "name": _s("s.name", "街道名称")}
            | district,
            where=scope.area_sql("s.code"),
            order_sql="s.code",
        ),
        Collection(
            id="communities",
            title="社区（村）",
            description="社区、村边界 (community / village outlines)",
            source="community c JOIN street s ON s.id = c.street_id "
            "JOIN district d ON d.id = s.district_id",
            id_sql="c.code",
            geom_sql="c.geom",
            geometry_type="MultiPolygon",
            properties={
                "code": _s("c.code", "社区编码"),
                "name": _s("c.name", "社区名称"),
                "kind": _s("c.kind", "类型 (urban/rural)"),
            }
            | street
            | district,
            where=scope.area_sql("c.code"),
            order_sql="c.code",
        ),
    ]


_UNIT_PROPS = {
    "code": _s("u.code", "基础单元编码"),
    "community_code": _s("c.code", "社区编码"),
    "community_name": _s("c.name", "社区名称"),
    "households": _i("u.households", "户数"),
    "population": _i("u.population", "人口"),
    "buildings": _i("u.buildings", "楼栋数"),
    "incidents_per_year": _i("u.incidents_per_year", "年事件数"),
    "care_people": _i("u.care_people", "关爱对象"),
    "area_m2": _n("round(u.area_m2::numeric, 1)", "面积 (m²)"),
}
_BUILDING_PROPS = {
    "code": _s("b.code", "楼栋编码"),
    "name": _s("b.name", "楼栋名称"),
    "unit_code": _s("u.code", "基础单元编码"),
    "community_code": _s("c.code", "社区编码"),
    "households": _i("b.households", "户数"),
    "population": _i("b.population", "人口"),
    "floors": _i("b.floors", "层数"),
    "entrance_units": _i("b.entrance_units", "单元数"),
}
_INCIDENT_PROPS = {
    "code": _s("i.code", "事件编号"),
    "category": _s("i.category", "类别"),
    "state": _s("i.state", "状态"),
    "department": _s("i.department", "承办部门"),
    "description": _s("left(i.description, 120)", "描述（前 120 字）"),
    "reporter_kind": _s("i.reporter_kind", "上报人类型"),
    "reporter_name": Prop("i.reporter_name", "string", "上报人姓名", personal=True),
    "reporter_phone": Prop("i.reporter_phone", "string", "上报人电话", personal=True),
    "source": _s("i.source", "来源"),
    "reported_at": Prop("i.reported_at", "datetime", "上报时间"),
    "due_at": Prop("i.due_at", "datetime", "办结时限"),
    "overdue": Prop(f"coalesce({OVERDUE_SQL}, false)", "boolean", "是否超期"),
    "escalated": Prop("(i.escalated_at IS NOT NULL)", "boolean", "是否升级"),
    "grid": _s("g.code", "统一网格编码"),
    "community_code": _s("c.code", "社区编码"),
}


def _units_and_buildings(access: Access) -> list[Collection]:
    units = access.scope.unit_sql("u")
    return [
        Collection(
            id="units",
            title="基础单元",
            description="基础单元：网格由它们组成 (base units, the blocks grids are made of)",
            source="base_unit u JOIN community c ON c.id = u.community_id",
            id_sql="u.code",
            geom_sql="u.geom",
            geometry_type="Polygon",
            properties=_UNIT_PROPS,
            where=units,
            order_sql="u.code",
        ),
        Collection(
            id="buildings",
            title="楼栋",
            description="楼栋 (buildings) with households and floors",
            source="building b JOIN base_unit u ON u.id = b.base_unit_id "
            "JOIN community c ON c.id = u.community_id",
            id_sql="b.code",
            geom_sql="b.geom",
            geometry_type="Polygon",
            properties=_BUILDING_PROPS,
            where=units,
            order_sql="b.code",
        ),
    ]


def _incidents(access: Access, now: dt.datetime | None) -> Collection:
    hidden = {"reporter_name", "reporter_phone"}
    personal = frozenset() if access.personal_data else frozenset(hidden)
    return Collection(
        id="incidents",
        title="事件（吹哨报到）",
        description="上报的事件 (reported incidents); datetime 按上报时间 (on reported_at)",
        source="incident i LEFT JOIN grid g ON g.id = i.grid_id "
        "LEFT JOIN community c ON c.id = i.community_id",
        id_sql="i.code",
        geom_sql="i.geom",
        geometry_type="Point",
        properties=_INCIDENT_PROPS,
        # ``overdue`` is judged at ``now``.
        where=visible_sql("i", access=access)
        & SqlFilter("true", {"now": now or dt.datetime.now(dt.UTC)}),
        order_sql="i.code",
        time_sql="i.reported_at",
        time_property="reported_at",  # what ``datetime`` filters
        masked=personal,
    )


def list_collections(
    conn: Connection, *, access: Access, settings: Settings, now: dt.datetime | None = None
) -> list[Collection]:
    """Every collection ``access`` may see, grid layers first (in ``GET /layers`` order)."""
    band = (settings.band_low, settings.band_high)
    layers = list_layers(conn, band, access=access)
    # The listing shows no properties: the city's band stands in for each layer's own.
    found = [_grid_collection(layer, access, band) for layer in layers]
    found += _areas(access) + _units_and_buildings(access)
    if access.can(Permission.VIEW_MAP):
        found.append(_incidents(access, now))
    return found


def _visible_layer(conn: Connection, code: str, access: Access) -> _LayerName | None:
    """The layer ``code`` if :func:`~gis.layers.list_layers` would list it for ``access`` (the
    same rule: a scenario's layer only where the scope reaches one of its grids), without the
    workload statistics of every layer that the listing computes — items are paged through
    many times, and a province has hundreds of thousands of grids."""
    reach = access.scope.grid_sql("g")
    row = (
        conn.execute(
            text(
                "SELECT l.code, l.name, l.kind, l.version FROM grid_layer l WHERE l.code = :code "
                "AND (l.kind <> 'scenario' OR EXISTS (SELECT 1 FROM grid g "
                f"WHERE g.layer_id = l.id AND ({reach.sql})))"
            ),
            {"code": code} | reach.params,
        )
        .mappings()
        .first()
    )
    return _LayerName(**row) if row else None


def get_collection(
    conn: Connection,
    collection_id: str,
    *,
    access: Access,
    settings: Settings,
    now: dt.datetime | None = None,
) -> Collection:
    """One collection by id; one the caller may not see is reported as unknown (404), as a
    scenario outside one's scope is nobody else's news."""
    if collection_id.startswith(GRID_PREFIX):
        layer = _visible_layer(conn, collection_id.removeprefix(GRID_PREFIX), access)
        if layer is not None:
            # A scenario's grids are banded by its own definition, as on its report.
            band = layer_band(conn, layer.code, settings)
            return _grid_collection(layer, access, band)
    else:
        fixed = _areas(access) + _units_and_buildings(access)
        if access.can(Permission.VIEW_MAP):
            fixed.append(_incidents(access, now))
        for collection in fixed:
            if collection.id == collection_id:
                return collection
    raise NotFound(
        f"没有这个要素集合 (no collection {collection_id!r}): see /ogc/collections",
        collection=collection_id,
    )
