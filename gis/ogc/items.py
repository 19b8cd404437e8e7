"""The items of a collection: one page of features (GeoJSON built in PostGIS), one feature, and
a collection's extent — every query within the collection's ``where`` (the caller's access).

Paging is by offset over a stable order (each collection's unique code), and every page carries
``numberMatched`` (the count under the same conditions), so a client walking ``next`` links sees
each feature exactly once. The page is one ``json_agg`` in PostGIS, as Gridmap's own GeoJSON
endpoints build theirs: a whole layer never passes through Python feature by feature — except
incidents for a role that sees no personal data, whose reporters are masked by the very
functions the incidents API uses (:mod:`gis.personal`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from gis.chinatime import CHINA
from gis.errors import NotFound
from gis.geojson import BBOX_SQL, PRECISION, BBox
from gis.ogc.collections import Collection
from gis.ogc.crs import SUPPORTED_CRS, OgcCrs
from gis.ogc.errors import BadQuery
from gis.personal import mask_name, mask_phone
from gis.scope import SqlFilter

DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
Interval = tuple[dt.datetime | None, dt.datetime | None]
_MASKS = {"reporter_name": mask_name, "reporter_phone": mask_phone}
_TRUE = {"true": True, "1": True, "false": False, "0": False}


@dataclass(frozen=True)
class ItemsQuery:
    """What a client asked of ``/items`` (parsed and checked by the caller)."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    bbox: BBox | None = None
    datetime: Interval | None = None
    filter: SqlFilter | None = None
    equals: dict[str, str] = field(default_factory=dict)  # queryables as query parameters
    crs: OgcCrs = SUPPORTED_CRS[0]


@dataclass(frozen=True)
class ItemsPage:
    """A page: the ``features`` array as JSON text, and the counts the links are made from."""

    features: str
    matched: int
    returned: int


@dataclass(frozen=True)
class Extent:
    bbox: tuple[float, float, float, float] | None
    interval: tuple[str | None, str | None] | None = None


def _instant(value: str, end: bool) -> dt.datetime | None:
    if value in ("..", ""):
        return None
    try:
        if len(value) == 10:  # a date: the whole day, in China time
            day = dt.date.fromisoformat(value)
            start = dt.datetime.combine(day, dt.time(), CHINA)
            return start + dt.timedelta(days=1, microseconds=-1) if end else start
        moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise BadQuery(
            f"datetime 须为 RFC 3339 时间或区间 (datetime must be an RFC 3339 date-time, or an "
            f"interval a/b with '..' for an open end): {value!r}",
            parameter="datetime",
            value=value,
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)


def parse_datetime(value: str) -> Interval:
    """``2024-05-01T08:00:00Z``, ``2024-05-01``, ``a/b``, ``../b`` or ``a/..`` as [start, end]."""
    parts = value.strip().split("/")
    if len(parts) == 1:
        return _instant(parts[0], False), _instant(parts[0], True)
    if len(parts) != 2:
        raise BadQuery(
            f"datetime 中的 '/' 过多：{value!r} (datetime has too many '/': {value!r})",
            parameter="datetime",
        )
    start, end = _instant(parts[0], False), _instant(parts[1], True)
    if start and end and start > end:
        raise BadQuery(
            f"datetime 区间的结束早于开始：{value!r} ("
            f"datetime interval ends before it starts: {value!r})",
            parameter="datetime",
        )
    return start, end


def _typed(collection: Collection, name: str, value: str) -> tuple[str, Any]:
    prop = collection.queryables()[name]
    try:
        if prop.type == "integer":
            return "numeric", int(value)
        if prop.type == "number":
            return "numeric", float(value)
        if prop.type == "boolean":
            return "boolean", _TRUE[value.lower()]
        if prop.type == "datetime":
            return "timestamptz", dt.datetime.fromisoformat(value)
    except (ValueError, KeyError) as exc:
        raise BadQuery(
            f"{name} 的类型是 {prop.type}，不能为 {value!r} ("
            f"{name} is a {prop.type}, not {value!r})",
            parameter=name,
            value=value,
        ) from exc
    return "text", value


def _where(collection: Collection, query: ItemsQuery) -> SqlFilter:
    where = collection.where
    if query.bbox is not None:
        where = where & SqlFilter(
            f"{collection.geom_sql} && {BBOX_SQL} AND ST_Intersects({collection.geom_sql}, "
            f"{BBOX_SQL})",
            query.bbox.params(),
        )
    if query.datetime is not None and collection.time_sql:
        start, end = query.datetime
        if start is not None:
            where = where & SqlFilter(f"{collection.time_sql} >= :ogc_t0", {"ogc_t0": start})
        if end is not None:
            where = where & SqlFilter(f"{collection.time_sql} <= :ogc_t1", {"ogc_t1": end})
    for n, (name, value) in enumerate(sorted(query.equals.items())):
        pg, typed = _typed(collection, name, value)
        prop = collection.properties[name]
        where = where & SqlFilter(f"{prop.sql} = CAST(:ogc_eq{n} AS {pg})", {f"ogc_eq{n}": typed})
    if query.filter is not None:
        where = where & query.filter
    return where


def _feature_sql(collection: Collection, crs: OgcCrs) -> str:
    geom = collection.geom_sql
    if crs.lat_first:
        geom = f"ST_FlipCoordinates({geom})"
    props = ", ".join(f"'{name}', {p.sql}" for name, p in collection.properties.items())
    return (
        f"json_build_object('type', 'Feature', 'id', {collection.id_sql}, "
        f"'geometry', ST_AsGeoJSON({geom}, {PRECISION})::json, "
        f"'properties', json_build_object({props}))"
    )


def _masked(collection: Collection, features: str) -> str:
    """Personal fields masked with :mod:`gis.personal` (the same masks as the incidents API)."""
    if not collection.masked:
        return features
    items: list[dict[str, Any]] = json.loads(features)
    for item in items:
        props = item["properties"]
        for name in collection.masked:
            props[name] = _MASKS[name](props.get(name))
    return json.dumps(items, ensure_ascii=False, separators=(",", ":"))


def get_items(conn: Connection, collection: Collection, query: ItemsQuery) -> ItemsPage:
    """One page of ``collection``'s features under ``query``, with the count of all matches."""
    if not 1 <= query.limit <= MAX_LIMIT or query.offset < 0:
        raise BadQuery(
            f"limit 须在 1–{MAX_LIMIT} 之间 (limit must be 1..{MAX_LIMIT}, offset ≥ 0)",
            parameter="limit",
        )
    where = _where(collection, query)
    matched = int(
        conn.execute(
            text(f"SELECT count(*) FROM {collection.source} WHERE {where.sql}"), where.params
        ).scalar_one()
    )
    features = conn.execute(
        text(
            f"SELECT coalesce(json_agg(q.f), '[]'::json)::text FROM ("
            f"SELECT {_feature_sql(collection, query.crs)} AS f FROM {collection.source} "
            f"WHERE {where.sql} ORDER BY {collection.order_sql} LIMIT :ogc_limit "
            f"OFFSET :ogc_offset) q"
        ),
        where.params | {"ogc_limit": query.limit, "ogc_offset": query.offset},
    ).scalar_one()
    returned = max(0, min(query.limit, matched - query.offset))
    return ItemsPage(_masked(collection, features), matched, returned)


def get_item(conn: Connection, collection: Collection, fid: str, crs: OgcCrs) -> str:
    """One feature by id, as GeoJSON text; absent, or outside the caller's access, is 404."""
    where = collection.where
    row = conn.execute(
        text(
            f"SELECT ({_feature_sql(collection, crs)})::text FROM {collection.source} "
            f"WHERE {collection.id_sql} = :ogc_fid AND ({where.sql}) LIMIT 1"
        ),
        where.params | {"ogc_fid": fid},
    ).first()
    if row is None:
        raise NotFound(
            f"{collection.id} 中没有要素 {fid!r} (no feature {fid!r} in {collection.id})",
            collection=collection.id,
            feature=fid,
        )
    if collection.masked:
        return _masked(collection, f"[{row[0]}]")[1:-1]
    return str(row[0])


def collection_extent(conn: Connection, collection: Collection) -> Extent:
    """The bbox (lon/lat) of what the caller reaches in ``collection``, and its time span."""
    where = collection.where
    span = (
        f", min({collection.time_sql}), max({collection.time_sql})"
        if collection.time_sql
        else ", NULL, NULL"
    )
    row = conn.execute(
        text(
            f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), t0, t1 FROM ("
            f"SELECT ST_Extent({collection.geom_sql}){span} "
            f"FROM {collection.source} WHERE {where.sql}) q(e, t0, t1)"
        ),
        where.params,
    ).one()
    bbox = None if row[0] is None else (row[0], row[1], row[2], row[3])
    interval = None
    if collection.time_sql:
        interval = (
            row[4].isoformat() if row[4] else None,
            row[5].isoformat() if row[5] else None,
        )
    return Extent(bbox, interval)
