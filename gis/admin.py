"""The admin hierarchy as GeoJSON: districts (区县), streets (街道/乡镇), communities (社区/村)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from gis.errors import NotFound
from gis.geojson import BBOX_SQL, BBox, collection, feature_sql

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


def _features(level: str) -> str:
    spec = _LEVELS[level]
    return f"SELECT {feature_sql('x.code', 'x.geom', spec['props'])} FROM {spec['from']}"


def list_areas(
    conn: Connection,
    level: str,
    *,
    parent: str | None = None,
    bbox: BBox | None = None,
) -> str:
    """All districts, streets or communities (optionally under a parent code, or in a bbox)."""
    where: list[str] = ["true"]
    params: dict[str, Any] = {}
    if parent:
        parent_level = {"street": "district", "community": "street"}[level]
        _require(conn, parent_level, parent)
        where.append("x.code LIKE :prefix")
        params["prefix"] = parent + "%"
    if bbox:
        where.append(f"x.geom && {BBOX_SQL}")
        params |= bbox.params()
    sql = f"{_features(level)} WHERE {' AND '.join(where)} ORDER BY x.code"
    return collection(conn, sql, params)


def get_area(conn: Connection, level: str, code: str) -> str:
    """One district, street or community as a GeoJSON Feature; unknown code → NotFound."""
    row = conn.execute(
        text(f"SELECT q.feature::text FROM ({_features(level)} WHERE x.code = :code) q"),
        {"code": code},
    ).first()
    if row is None:
        raise NotFound(f"no {_LABEL[level]} with code {code!r}", code=code)
    return str(row[0])


def _require(conn: Connection, level: str, code: str) -> None:
    found = conn.execute(text(f"SELECT 1 FROM {level} WHERE code = :c"), {"c": code}).first()
    if not found:
        raise NotFound(f"no {_LABEL[level]} with code {code!r}", code=code)
