"""Council venues (议事场所): 居民之家, 议事厅 and 议事坪 — points on the map, each in one
community (the point must lie inside it). 17,900 of them serve Jiangxi's communities."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission
from gis.audit import record
from gis.councils.common import community_row, council_scope_sql, locate, require_reach
from gis.errors import Conflict, Invalid
from gis.labels import VENUE_KINDS, label

_CODE = re.compile(r"[0-9A-Za-z_-]{1,24}")


@dataclass(frozen=True)
class VenueView:
    code: str
    name: str
    kind: str
    kind_label: str
    community_code: str
    community_name: str
    lon: float
    lat: float
    councils: int  # councils held there (any status)


def add_venue(
    conn: Connection,
    code: str,
    name: str,
    kind: str,
    community: str,
    lon: float,
    lat: float,
    *,
    access: Access,
) -> VenueView:
    """A venue at (lon, lat) inside ``community`` (outside it → 422; a code taken → 409)."""
    access.require(Permission.HOLD_COUNCILS)
    if not _CODE.fullmatch(code):
        raise Invalid(f"场所编码须为 1 至 24 位字母数字 (a venue code, not {code!r})", venue=code)
    if kind not in VENUE_KINDS:
        raise Invalid(
            f"未知的场所类别 {kind!r}：可选 {', '.join(VENUE_KINDS)} (unknown venue kind)",
            kind=kind,
        )
    if not name.strip() or len(name) > 128:
        raise Invalid("场所名称须为 1 至 128 个字 (a venue name of 1 to 128 characters)")
    place = community_row(conn, community)
    require_reach(access.scope, place.code, None, "该场所")
    spot = locate(conn, lon, lat)
    if spot.community_id != place.id:
        raise Invalid(
            f"位置 {lon}, {lat} 不在社区 {community} 内 (the point lies outside community "
            f"{community})",
            community=community,
        )
    taken = conn.execute(text("SELECT 1 FROM council_venue WHERE code = :c"), {"c": code}).first()
    if taken:
        raise Conflict(f"场所编码 {code} 已被使用 (venue code {code} is taken)", venue=code)
    conn.execute(
        text(
            "INSERT INTO council_venue (code, name, kind, community_id, geom) VALUES "
            "(:code, :name, :kind, :c, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"
        ),
        {"code": code, "name": name.strip(), "kind": kind, "c": place.id, "lon": lon, "lat": lat},
    )
    record(conn, access.actor, "councils.venue", "council_venue", code, after={"kind": kind})
    return list_venues(conn, access=access, code=code)[0]


def list_venues(
    conn: Connection, *, access: Access, community: str | None = None, code: str | None = None
) -> list[VenueView]:
    """Venues the caller's scope reaches (a grid scope: those of its grid's community)."""
    access.require(Permission.VIEW_MAP)
    scope = access.scope
    if scope.level == "grid":
        grid = scope.grid_sql("sg")
        seen_sql = (
            "v.community_id IN (SELECT u.community_id FROM grid sg JOIN grid_unit gu "
            f"ON gu.grid_id = sg.id JOIN base_unit u ON u.id = gu.unit_id WHERE {grid.sql})"
        )
        params: dict[str, Any] = dict(grid.params)
    else:
        seen = council_scope_sql(scope)
        seen_sql, params = seen.sql, dict(seen.params)
    where = [seen_sql]
    if community is not None:
        where.append("starts_with(c.code, :community)")
        params["community"] = community
    if code is not None:
        where.append("v.code = :code")
        params["code"] = code
    rows = conn.execute(
        text(
            "SELECT v.code, v.name, v.kind, c.code AS community_code, c.name AS community_name, "
            "ST_X(v.geom) AS lon, ST_Y(v.geom) AS lat, "
            "(SELECT count(*) FROM council k WHERE k.venue_id = v.id) AS councils "
            f"FROM council_venue v JOIN community c ON c.id = v.community_id "
            f"WHERE {' AND '.join(where)} ORDER BY c.code, v.code LIMIT 5000"
        ),
        params,
    )
    return [
        VenueView(
            code=r.code, name=r.name, kind=r.kind, kind_label=label(VENUE_KINDS, r.kind),
            community_code=r.community_code, community_name=r.community_name,
            lon=round(r.lon, 7), lat=round(r.lat, 7), councils=r.councils,
        )
        for r in rows
    ]  # fmt: skip
