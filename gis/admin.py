"""The admin hierarchy as GeoJSON: districts (区县), streets (街道/乡镇), communities (社区/村).

Every function takes the caller's :class:`~gis.access.Access` (keyword-only, required): a user
sees the areas inside their scope and the areas that hold it (their own district's outline),
nothing else.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.errors import Forbidden, NotFound
from gis.geojson import BBOX_SQL, BBox, collection, feature_sql
from gis.scope import Scope

_LEVELS: dict[str, dict[str, Any]] = {
    "district": {
        "from": "district x",
        "props": {
            "code": "x.code",
            "name": "x.name",
            "street_count": "(SELECT count(*) FROM street s WHERE s.district_id = x.id)",
        },
    },
    "street": {
        "from": "street x JOIN district d ON d.id = x.district_id",
        "props": {
            "code": "x.code",
            "name": "x.name",
            "district_code": "d.code",
            "district_name": "d.name",
        },
    },
    "community": {
        "from": "community x JOIN street s ON s.id = x.street_id "
        "JOIN district d ON d.id = s.district_id",
        "props": {
            "code": "x.code",
            "name": "x.name",
            "kind": "x.kind",
            "street_code": "s.code",
            "street_name": "s.name",
            "district_code": "d.code",
            "households": "(SELECT coalesce(sum(households), 0) FROM base_unit u "
            "WHERE u.community_id = x.id)",
            "unit_count": "(SELECT count(*) FROM base_unit u WHERE u.community_id = x.id)",
        },
    },
}

_LABEL = {"district": "district", "street": "street", "community": "community"}
_ZH = {"district": "区县", "street": "街道", "community": "社区"}


def _features(level: str) -> str:
    spec = _LEVELS[level]
    return f"SELECT {feature_sql('x.code', 'x.geom', spec['props'])} FROM {spec['from']}"


def list_areas(
    conn: Connection,
    level: str,
    *,
    access: Access,
    parent: str | None = None,
    bbox: BBox | None = None,
) -> str:
    """The districts, streets or communities ``access.scope`` sees (optionally under a parent
    code, or in a bbox). A parent outside the scope is :class:`Forbidden`."""
    scope = access.scope
    visible = scope.area_sql("x.code")
    where: list[str] = [visible.sql]
    params: dict[str, Any] = dict(visible.params)
    if parent:
        parent_level = {"street": "district", "community": "street"}[level]
        _require(conn, parent_level, parent)
        _check_sees(scope, parent_level, parent)
        where.append("starts_with(x.code, :parent)")
        params["parent"] = parent
    if bbox:
        where.append(f"x.geom && {BBOX_SQL}")
        params |= bbox.params()
    sql = f"{_features(level)} WHERE {' AND '.join(where)} ORDER BY x.code"
    return collection(conn, sql, params)


def get_area(conn: Connection, level: str, code: str, *, access: Access) -> str:
    """One district, street or community as a GeoJSON Feature; unknown code → NotFound, one
    the scope does not see → Forbidden."""
    scope = access.scope
    row = conn.execute(
        text(f"SELECT q.feature::text FROM ({_features(level)} WHERE x.code = :code) q"),
        {"code": code},
    ).first()
    if row is None:
        raise NotFound(
            f"没有代码为 {code!r} 的{_ZH[level]} (no {_LABEL[level]} with code {code!r})", code=code
        )
    _check_sees(scope, level, code)
    return str(row[0])


def _check_sees(scope: Scope, level: str, code: str) -> None:
    if not scope.sees_area(code):
        raise Forbidden(
            f"{_ZH[level]} {code} 不在您的权限范围（{scope}）内 ("
            f"{_LABEL[level]} {code} is outside your scope ({scope}))",
            code=code,
            scope=str(scope),
        )


def _require(conn: Connection, level: str, code: str) -> None:
    found = conn.execute(text(f"SELECT 1 FROM {level} WHERE code = :c"), {"c": code}).first()
    if not found:
        raise NotFound(
            f"没有代码为 {code!r} 的{_ZH[level]} (no {_LABEL[level]} with code {code!r})", code=code
        )
