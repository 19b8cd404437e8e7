"""Reporting an incident: where it is (building, grid, unit, community) and where it goes.

Location, in PostGIS with the GiST indexes:

- **building** — the nearest building within :data:`SNAP_METRES` (``ST_DWithin`` on the indexed
  geometry, then the distance in metres on the geography). A point inside a building stays where
  it is; a point just outside one is moved to a point on the building's surface, so that the
  incident is "at 锦绣花园3栋" and counts in that building's unit and grid.
- **grid** — the unified grid that covers the point (``ST_Covers``, so a point on a boundary is
  covered by both neighbours). Rule for a point exactly on the boundary of two grids: it belongs
  to the grid with the **smallest code** — deterministic, and a reader can check it on the map.
- **unit** and **community** — the base unit covering the point, preferring one of that grid
  (so unit, grid and community always agree); then the unit's community.

Routing: the category names the department. A category on the negative list (负面清单) is not
the grid's to handle: it is dispatched straight to its department at once, with the list item
and its reason recorded as the routing note and in the dispatch's history row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict

import h3
import numpy as np
from sqlalchemy import Connection, text

from gis import audit
from gis.access import Access
from gis.accounts import Permission
from gis.crs import TO_WGS84
from gis.errors import Forbidden, Invalid
from gis.incidents.access import require_any
from gis.incidents.catalogue import Category, get_category
from gis.incidents.workflow import record_transition
from gis.notify.addresses import check_email

#: A point this close to a building (metres) is taken to be at the building.
SNAP_METRES = 5.0
# Degrees that surely hold SNAP_METRES at any latitude of China (for the indexed pre-filter).
_SNAP_DEGREES = SNAP_METRES / 111_320 / 0.7
REPORTER_KINDS = ("resident", "grid_worker", "hotline")
INPUT_CRS = ("wgs84", "gcj02", "bd09")
MAX_DESCRIPTION = 4000
#: The actor recorded for the automatic dispatch of a negative-list category.
ROUTER_ACTOR = "system:admission-lists"


def to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """A point given in GCJ-02 (AMap, Tencent) or BD-09 (Baidu) back in WGS84 (gis.crs)."""
    if crs == "wgs84":
        return lon, lat
    if crs not in TO_WGS84:
        raise Invalid(
            f"坐标系须为 {', '.join(INPUT_CRS)} 之一，收到 {crs!r} ("
            f"crs must be one of {', '.join(INPUT_CRS)}; got {crs!r})",
            crs=crs,
        )
    back = TO_WGS84[crs](np.array([[lon, lat]]))
    return float(back[0, 0]), float(back[0, 1])


def h3_cell(lon: float, lat: float) -> int:
    """The resolution-15 H3 cell of a point, as the signed 64-bit integer stored in PostGIS."""
    return int(h3.str_to_int(h3.latlng_to_cell(lat, lon, 15)))


LOCATE_SQL = """
WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g),
near AS (
    SELECT b.id, b.code, b.name, ST_Covers(b.geom, p.g) AS inside,
           ST_Distance(b.geom::geography, p.g::geography) AS metres,
           ST_PointOnSurface(b.geom) AS anchor
    FROM building b, p
    WHERE ST_DWithin(b.geom, p.g, :deg)
      AND ST_DWithin(b.geom::geography, p.g::geography, :snap)
    ORDER BY ST_Distance(b.geom::geography, p.g::geography), b.id
    LIMIT 1
),
spot AS (
    SELECT CASE WHEN near.id IS NULL OR near.inside THEN p.g ELSE near.anchor END AS g,
           near.id AS building_id, near.code AS building_code, near.name AS building_name,
           near.metres, coalesce(NOT near.inside, false) AS moved
    FROM p LEFT JOIN near ON true
),
grid AS (
    SELECT g.id, g.code FROM grid g, spot
    WHERE g.layer_id = (SELECT id FROM grid_layer WHERE code = 'unified')
      AND ST_Covers(g.geom, spot.g)
    ORDER BY g.code LIMIT 1
),
unit AS (
    SELECT u.id, u.code, u.community_id FROM base_unit u, spot
    WHERE ST_Covers(u.geom, spot.g)
    ORDER BY (u.id IN (SELECT gu.unit_id FROM grid_unit gu WHERE gu.grid_id =
                       (SELECT id FROM grid))) DESC, u.id
    LIMIT 1
)
SELECT ST_X(spot.g) AS lon, ST_Y(spot.g) AS lat, spot.building_id, spot.building_code,
       spot.building_name, spot.metres, spot.moved,
       (SELECT id FROM grid) AS grid_id, (SELECT code FROM grid) AS grid_code,
       unit.id AS unit_id, unit.code AS unit_code, c.id AS community_id, c.code AS community_code
FROM spot LEFT JOIN unit ON true LEFT JOIN community c ON c.id = unit.community_id
"""


def locate(conn: Connection, lon: float, lat: float) -> dict[str, Any]:
    """The building, grid, unit and community of a WGS84 point (see the module doc)."""
    row = (
        conn.execute(
            text(LOCATE_SQL),
            {"lon": lon, "lat": lat, "deg": _SNAP_DEGREES, "snap": SNAP_METRES},
        )
        .mappings()
        .one()
    )
    return dict(row)


def _check_point(lon: float, lat: float) -> None:
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise Invalid(
            f"({lon}, {lat}) 不是经纬度：是否为投影坐标，或经纬度颠倒"
            "？ ("
            f"({lon}, {lat}) is not a longitude/latitude pair: is it projected, or swapped?)",
            lon=lon,
            lat=lat,
        )


def _next_code(conn: Connection, now: dt.datetime) -> str:
    """R + yymmdd + a 5-digit number of the day (serialised by an advisory lock)."""
    conn.execute(text("SELECT pg_advisory_xact_lock(8004)"))
    prefix = f"R{now.astimezone(dt.timezone(dt.timedelta(hours=8))):%y%m%d}"
    last = conn.execute(
        text("SELECT max(code) FROM incident WHERE starts_with(code, :p) AND length(code) = 12"),
        {"p": prefix},
    ).scalar()
    number = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{number:05d}"


def _checked_text(
    reporter_kind: str, description: str, reporter_name: str | None, reporter_phone: str | None
) -> str:
    """The description, stripped, once the reporter's kind and the texts' lengths are fine."""
    if reporter_kind not in REPORTER_KINDS:
        raise Invalid(
            f"上报人类型须为 {', '.join(REPORTER_KINDS)} 之一，收到 "
            f"{reporter_kind!r} ("
            f"reporter_kind must be one of {', '.join(REPORTER_KINDS)}; got {reporter_kind!r})",
            reporter_kind=reporter_kind,
        )
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise Invalid(
            f"描述最多 {MAX_DESCRIPTION} 个字符 ("
            f"a description has at most {MAX_DESCRIPTION} characters)"
        )
    if reporter_name and len(reporter_name) > 32 or reporter_phone and len(reporter_phone) > 20:
        raise Invalid(
            "上报人姓名最多 32 个字符，电话最多 20 个字符 ("
            "reporter_name has at most 32 characters and reporter_phone 20)"
        )
    return description


def _place_in_scope(conn: Connection, lon: float, lat: float, *, access: Access) -> dict[str, Any]:
    """Where a WGS84 point lies (:func:`locate`): refused outside every base unit of the city, and
    outside the reporter's scope."""
    place = locate(conn, lon, lat)
    if place["unit_id"] is None:
        raise Invalid(
            f"({lon:.6f}, {lat:.6f}) 不在本市任何基础单元内：坐标是否"
            "为 WGS84（或注明 crs=gcj02/bd09），且按经度、纬度顺序？ "
            "("
            f"({lon:.6f}, {lat:.6f}) lies outside every base unit of the city: is the point in "
            "WGS84 (or say crs=gcj02/bd09), in lon/lat order?)",
            lon=lon,
            lat=lat,
        )
    scope = access.scope
    if not scope.is_everything:
        units = scope.unit_sql("su0")
        inside = conn.execute(
            text(f"SELECT 1 FROM base_unit su0 WHERE su0.id = :unit AND {units.sql}"),
            {"unit": place["unit_id"]} | units.params,
        ).first()
        if inside is None:
            raise Forbidden(
                f"该点位于单元 {place['unit_code']}，不在您的权限范围（"
                f"{scope}）内：请上报您负责区域内的事件 ("
                f"the point lies in unit {place['unit_code']}, outside your scope ({scope}): "
                "report incidents where you work)",
                unit=place["unit_code"],
            )
    return place


def _record_report(
    conn: Connection,
    incident_id: int,
    code: str,
    cat: Category,
    place: dict[str, Any],
    routing_note: str,
    now: dt.datetime,
    *,
    access: Access,
) -> None:
    """The history and audit rows of a report, and of the router's dispatch when the negative
    list routes it at once."""
    negative = cat.negative
    where = f"grid {place['grid_code'] or '—'}, unit {place['unit_code']}"
    if place["building_id"] is not None:
        how = f"{place['metres']:.1f} m away, moved onto it" if place["moved"] else "inside"
        where = f"building {place['building_name']} ({how}); {where}"
    record_transition(conn, incident_id, "report", None, "reported", now, where, access=access)
    audit.record(
        conn,
        access.actor,
        "incident.report",
        "incident",
        code,
        None,
        {"category": cat.code, "grid": place["grid_code"], "unit": place["unit_code"]},
    )
    if negative:
        record_transition(
            conn,
            incident_id,
            "dispatch",
            "reported",
            "dispatched",
            now,
            routing_note,
            cat.department,
            access=Access.system(ROUTER_ACTOR, scope=access.scope),
        )
        audit.record(
            conn,
            ROUTER_ACTOR,
            "incident.dispatch",
            "incident",
            code,
            {"state": "reported"},
            {"state": "dispatched", "department": cat.department, "note": routing_note},
        )


_INSERT_SQL = """INSERT INTO incident (code, category, description, reported_at, reporter_kind,
       department, state, base_unit_id, community_id, geom, grid_id, building_id,
       h3_cell, reporter_name, reporter_phone, reporter_email, source, source_client, routing_note,
       dispatched_at, sign_due_at, due_at, updated_at)
   VALUES (:code, :category, :description, :reported_at, :reporter_kind,
       :department, :state, :unit, :community,
       ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :grid, :building, :h3, :rname,
       :rphone, :remail, :source, :client, :note, :dispatched, :sign_due, :due, :reported_at)
   RETURNING id"""


class ReportedIncident(TypedDict):
    """A new incident: its code and state, where it was placed (``snapped`` when moved onto a
    building) and how it was routed. A TypedDict: the answer of ``POST /incidents``, sent as
    it is."""

    code: str
    state: str
    category: str
    department: str
    routing_note: str
    grid: str | None
    unit: str
    community: str
    building: str | None
    snapped: bool
    lon: float
    lat: float


def create_incident(
    conn: Connection,
    *,
    access: Access,
    lon: float,
    lat: float,
    category: str,
    description: str = "",
    reporter_kind: str = "resident",
    reporter_name: str | None = None,
    reporter_phone: str | None = None,
    reporter_email: str | None = None,
    crs: str = "wgs84",
    source: str = "app",
    now: dt.datetime | None = None,
) -> ReportedIncident:
    """Report an incident at a point; returns its code, state, place and routing.

    One reports within the scope of ``access`` (an Open311 client: the scope it was given).
    Audited as ``incident.report`` (and ``incident.dispatch`` when the
    negative list routes it at once).
    """
    require_any(
        "report incidents",
        Permission.REPORT_INCIDENTS,
        Permission.DISPATCH_INCIDENTS,
        access=access,
    )
    now = now or dt.datetime.now(dt.UTC)
    description = _checked_text(reporter_kind, description, reporter_name, reporter_phone)
    reporter_email = reporter_email or ""
    _check_point(lon, lat)
    lon, lat = to_wgs84(lon, lat, crs)
    cat = get_category(conn, category)
    place = _place_in_scope(conn, lon, lat, access=access)
    code = _next_code(conn, now)
    negative = cat.negative
    routing_note = ""
    if negative:
        routing_note = f"负面清单「{negative[0]}」：{negative[1]} → {cat.department}"
    state = "dispatched" if negative else "reported"
    values = {
        "code": code,
        "category": cat.code,
        "description": description,
        "reported_at": now,
        "reporter_kind": reporter_kind,
        "department": cat.department,
        "state": state,
        "unit": place["unit_id"],
        "community": place["community_id"],
        "lon": place["lon"],
        "lat": place["lat"],
        "grid": place["grid_id"],
        "building": place["building_id"],
        "h3": h3_cell(place["lon"], place["lat"]),
        "rname": (reporter_name or "").strip() or None,
        "rphone": (reporter_phone or "").strip() or None,
        # Told of progress by email (gis.notify), if given.
        "remail": check_email(reporter_email)
        if reporter_email and reporter_email.strip()
        else None,
        "source": source[:16],
        "client": None if access.user is not None else access.name,
        "note": routing_note,
        "dispatched": now if negative else None,
        "sign_due": now + dt.timedelta(hours=cat.sign_hours) if negative else None,
        "due": now + dt.timedelta(hours=cat.handle_hours) if negative else None,
    }
    incident_id = conn.execute(
        text(_INSERT_SQL),
        values,
    ).scalar_one()
    _record_report(conn, incident_id, code, cat, place, routing_note, now, access=access)
    return {
        "code": code,
        "state": state,
        "category": cat.code,
        "department": cat.department,
        "routing_note": routing_note,
        "grid": place["grid_code"],
        "unit": place["unit_code"],
        "community": place["community_code"],
        "building": place["building_code"],
        "snapped": bool(place["moved"]),
        "lon": place["lon"],
        "lat": place["lat"],
    }
