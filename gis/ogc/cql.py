"""CQL2 filters (OGC API — Features Part 3) translated into parameterised SQL.

The text is parsed by pygeofilter (the geopython project's parser of cql2-text and cql2-json) into
an AST, and the AST is compiled here against the collection's WHITELIST of queryables: a
property name becomes that property's trusted SQL expression, every literal a bound, explicitly
cast parameter. Nothing the client wrote is pasted into the SQL. A name that is not a queryable,
a literal of the wrong type or an operator not offered is a 400 that names it.

Offered: comparisons (``= <> < <= > >=``), ``AND OR NOT``, ``LIKE``, ``IN``, ``BETWEEN``,
``IS NULL``, ``CASEI``, property-to-property comparisons, and the spatial functions ``S_INTERSECTS
S_WITHIN S_CONTAINS S_DISJOINT S_TOUCHES S_CROSSES S_OVERLAPS S_EQUALS`` on the ``geometry``
property, with literal geometries (WKT / GeoJSON, and ``BBOX``) in ``filter-crs`` (CRS84 unless
named; lat/lon for EPSG:4326 and EPSG:4490).

Two gaps of pygeofilter 0.4's cql2-json reader are bridged before it reads the document: a
``{"bbox": [...]}`` literal becomes the polygon it stands for (the reader mixes up the corners),
and ``between`` with three arguments (the standard's form) is given the pair it expects.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import shapely
import shapely.geometry
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parse as parse_json
from pygeofilter.parsers.cql2_text import parse as parse_text

from gis.ogc.collections import Collection
from gis.ogc.crs import OgcCrs
from gis.ogc.errors import BadQuery
from gis.scope import SqlFilter

LANGS = ("cql2-text", "cql2-json")
MAX_FILTER_LENGTH = 20_000
GEOMETRY = "geometry"
_NUMERIC = {"integer", "number"}
_TIME = {"datetime", "date"}
_PG_TYPES = {
    "string": "text",
    "integer": "numeric",  # not bigint: a literal past 2^63 compares, it does not overflow
    "number": "numeric",
    "boolean": "boolean",
    "datetime": "timestamptz",
    "date": "date",
}
_COMPARISONS: dict[type, str] = {
    ast.Equal: "=",
    ast.NotEqual: "<>",
    ast.LessThan: "<",
    ast.LessEqual: "<=",
    ast.GreaterThan: ">",
    ast.GreaterEqual: ">=",
}
_SPATIAL: dict[type, str] = {
    ast.GeometryIntersects: "ST_Intersects",
    ast.GeometryWithin: "ST_Within",
    ast.GeometryContains: "ST_Contains",
    ast.GeometryDisjoint: "ST_Disjoint",
    ast.GeometryTouches: "ST_Touches",
    ast.GeometryCrosses: "ST_Crosses",
    ast.GeometryOverlaps: "ST_Overlaps",
    ast.GeometryEquals: "ST_Equals",
}


def _bbox_polygon(box: list[Any]) -> dict[str, Any]:
    if len(box) == 6:
        box = [box[0], box[1], box[3], box[4]]
    if len(box) != 4 or not all(isinstance(v, int | float) for v in box):
        raise BadQuery(
            "CQL2 的 bbox 须为 4 个数 (a CQL2 bbox literal is 4 numbers)", parameter="filter"
        )
    x1, y1, x2, y2 = box
    return {"type": "Polygon", "coordinates": [[[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]]}


def _standard_json(node: Any) -> Any:
    """The cql2-json document in the shape pygeofilter 0.4 reads (see the module doc)."""
    if isinstance(node, list):
        return [_standard_json(n) for n in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"bbox"} and isinstance(node["bbox"], list):
        return _bbox_polygon(node["bbox"])
    out = {k: _standard_json(v) for k, v in node.items()}
    args = out.get("args")
    if out.get("op") == "between" and isinstance(args, list) and len(args) == 3:
        out["args"] = [args[0], [args[1], args[2]]]
    return out


def parse_filter(text: str, lang: str) -> ast.Node:
    """The AST of a filter, or a 400 saying where it does not parse."""
    if lang not in LANGS:
        raise BadQuery(
            f"不支持的 filter-lang (filter-lang must be one of {', '.join(LANGS)})",
            parameter="filter-lang",
            value=lang,
        )
    if len(text) > MAX_FILTER_LENGTH:
        raise BadQuery(
            f"过滤条件超过 {MAX_FILTER_LENGTH} 个字符 ("
            f"filter is longer than {MAX_FILTER_LENGTH} characters)",
            parameter="filter",
        )
    try:
        if lang == "cql2-json":
            node = parse_json(_standard_json(json.loads(text)))
        else:
            node = parse_text(text)
    except RecursionError as exc:
        raise BadQuery(
            "过滤条件嵌套过深 (filter is nested too deeply)", parameter="filter"
        ) from exc
    except Exception as exc:  # a pure parse of client text: any failure means "does not parse"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BadQuery(
            f"过滤条件无法解析 (the {lang} filter does not parse: {first[:200]})",
            parameter="filter",
            filter=text[:200],
        ) from exc
    if not isinstance(node, ast.Node):
        raise BadQuery(
            f"该 {lang} 过滤表达式不是一个条件 (the {lang} filter is not a condition)",
            parameter="filter",
        )
    return node


def compile_filter(text: str, lang: str, collection: Collection, crs: OgcCrs) -> SqlFilter:
    """A CQL2 filter as a SQL condition over ``collection``'s queryables, with bound values."""
    compiler = _Compiler(collection, crs)
    node = parse_filter(text, lang)
    try:
        sql = compiler.condition(node)
    except RecursionError as exc:
        raise BadQuery(
            "过滤条件嵌套过深 (filter is nested too deeply)", parameter="filter"
        ) from exc
    return SqlFilter(sql, compiler.params)


class _Compiler:
    def __init__(self, collection: Collection, crs: OgcCrs) -> None:
        self.collection = collection
        self.queryables = collection.queryables()
        self.crs = crs
        self.params: dict[str, Any] = {}

    # ----------------------------------------------------------------- values

    def _bind(self, value: Any, kind: str) -> tuple[str, str]:
        name = f"cql_{len(self.params)}"
        self.params[name] = value
        return f"CAST(:{name} AS {_PG_TYPES[kind]})", kind

    def _geometry(self, geojson: dict[str, Any]) -> tuple[str, str]:
        try:
            geom = shapely.geometry.shape(geojson)
        except (ValueError, TypeError, AttributeError, IndexError) as exc:
            raise BadQuery(
                f"过滤条件中的几何无法读取 (filter has a geometry that cannot be read: {exc})"
            ) from exc
        if geom.is_empty or not shapely.is_valid(geom):
            reason = shapely.is_valid_reason(geom)
            raise BadQuery(
                f"过滤条件中的几何无效（{reason}） (filter has an invalid geometry ({reason}))",
                parameter="filter",
            )
        if self.crs.lat_first:  # lat/lon in EPSG:4326 and 4490: stored as lon/lat
            geom = shapely.transform(geom, lambda xy: xy[:, ::-1])
        name = f"cql_{len(self.params)}"
        self.params[name] = shapely.to_wkt(geom, rounding_precision=-1)
        return f"ST_GeomFromText(:{name}, 4326)", GEOMETRY

    def operand(self, node: Any) -> tuple[str, str]:
        """SQL and type of one side of a predicate."""
        if isinstance(node, ast.Attribute):
            return self.attribute(node.name)
        if isinstance(node, ast.Function):
            name = node.name.lower()
            if name == "lower" and len(node.arguments) == 1:
                sql, kind = self.operand(node.arguments[0])
                self._expect(kind, {"string"}, "CASEI")
                return f"lower({sql})", "string"
            if name == "bbox" and len(node.arguments) in (4, 6):
                return self._geometry(_bbox_polygon(list(node.arguments)))
            raise BadQuery(
                f"过滤条件使用了不支持的函数 {node.name!r} ("
                f"filter uses the function {node.name!r}, which is not offered)"
            )
        if isinstance(node, bool):
            return self._bind(node, "boolean")
        if isinstance(node, int | float):
            return self._bind(node, "integer" if isinstance(node, int) else "number")
        if isinstance(node, str):
            return self._bind(node, "string")
        if isinstance(node, dt.datetime):
            if node.tzinfo is None:
                node = node.replace(tzinfo=dt.UTC)
            return self._bind(node, "datetime")
        if isinstance(node, dt.date):
            return self._bind(node, "date")
        if isinstance(node, values.Geometry | values.Envelope):
            return self._geometry(node.geometry)
        raise BadQuery(
            f"过滤条件中有不支持的操作数：{type(node).__name__} ("
            f"filter has an operand of a kind not offered: {type(node).__name__})"
        )

    def attribute(self, name: str) -> tuple[str, str]:
        if name == GEOMETRY:
            return self.collection.geom_sql, GEOMETRY
        prop = self.queryables.get(name)
        if prop is None:
            known = ", ".join([*self.queryables, GEOMETRY])
            raise BadQuery(
                f"未知属性 {name!r} (unknown property {name!r} in the filter; the queryables of "
                f"{self.collection.id} are: {known})",
                parameter="filter",
                property=name,
            )
        return prop.sql, prop.type

    @staticmethod
    def _expect(kind: str, allowed: set[str], what: str) -> None:
        if kind not in allowed:
            raise BadQuery(
                f"{what} 需要 {' 或 '.join(sorted(allowed))} 类型的值，而"
                f"不是 {kind} ("
                f"{what} needs a {' or '.join(sorted(allowed))} value, not {kind})"
            )

    @staticmethod
    def _compatible(a: tuple[str, str], b: tuple[str, str], what: str) -> None:
        ka, kb = a[1], b[1]
        if GEOMETRY in (ka, kb):
            raise BadQuery(
                f"{what} 不能比较几何：请用 S_INTERSECTS 等空间函数 ("
                f"{what} cannot compare a geometry: use S_INTERSECTS and the like)"
            )
        if ka == kb or {ka, kb} <= _NUMERIC or {ka, kb} <= _TIME:
            return
        raise BadQuery(
            f"类型不符 (type mismatch in the filter: {what} compares a {ka} with a {kb})",
            parameter="filter",
        )

    # ----------------------------------------------------------------- conditions

    def condition(self, node: Any) -> str:
        if isinstance(node, ast.And | ast.Or):
            word = "AND" if isinstance(node, ast.And) else "OR"
            return f"({self.condition(node.lhs)} {word} {self.condition(node.rhs)})"
        if isinstance(node, ast.Not):
            return f"(NOT {self.condition(node.sub_node)})"
        if isinstance(node, ast.Include):
            return "false" if node.not_ else "true"
        if type(node) in _COMPARISONS:
            lhs, rhs = self.operand(node.lhs), self.operand(node.rhs)
            self._compatible(lhs, rhs, _COMPARISONS[type(node)])
            return f"({lhs[0]} {_COMPARISONS[type(node)]} {rhs[0]})"
        if isinstance(node, ast.Between):
            lhs, low, high = (self.operand(n) for n in (node.lhs, node.low, node.high))
            self._compatible(lhs, low, "BETWEEN")
            self._compatible(lhs, high, "BETWEEN")
            neg = "NOT " if node.not_ else ""
            return f"({lhs[0]} {neg}BETWEEN {low[0]} AND {high[0]})"
        if isinstance(node, ast.Like):
            lhs, pattern = self.operand(node.lhs), self.operand(node.pattern)
            self._expect(lhs[1], {"string"}, "LIKE")
            self._expect(pattern[1], {"string"}, "LIKE")
            return f"({lhs[0]} {'NOT ' if node.not_ else ''}LIKE {pattern[0]})"
        if isinstance(node, ast.In):
            lhs = self.operand(node.lhs)
            items = [self.operand(n) for n in node.sub_nodes]
            if not items:
                raise BadQuery(
                    "IN 至少需要一个值 (IN needs at least one value)", parameter="filter"
                )
            for item in items:
                self._compatible(lhs, item, "IN")
            listed = ", ".join(sql for sql, _ in items)
            return f"({lhs[0]} {'NOT ' if node.not_ else ''}IN ({listed}))"
        if isinstance(node, ast.IsNull):
            sql, _ = self.operand(node.lhs)
            return f"({sql} IS {'NOT ' if node.not_ else ''}NULL)"
        if type(node) in _SPATIAL:
            lhs, rhs = self.operand(node.lhs), self.operand(node.rhs)
            if lhs[1] != GEOMETRY or rhs[1] != GEOMETRY:
                raise BadQuery(
                    f"{_SPATIAL[type(node)]} 比较的是两个几何 ("
                    f"{_SPATIAL[type(node)]} compares two geometries)"
                )
            return f"{_SPATIAL[type(node)]}({lhs[0]}, {rhs[0]})"
        if isinstance(node, ast.BBox):
            lhs = self.operand(node.lhs)
            box = self._geometry(_bbox_polygon([node.minx, node.miny, node.maxx, node.maxy]))
            return f"ST_Intersects({lhs[0]}, {box[0]})"
        raise BadQuery(
            f"过滤条件使用了本服务不支持的 {type(node).__name__} ("
            f"filter uses {type(node).__name__}, which this server does not offer "
            "(comparisons, LIKE, IN, BETWEEN, IS NULL, AND/OR/NOT and S_* spatial functions))",
            parameter="filter",
        )
