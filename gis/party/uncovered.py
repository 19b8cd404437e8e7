"""What has no leader: buildings, entrance units and grids with none, members with no role —
a page at a time, the most households first, within the scope (the same bases as the counts in
:mod:`gis.party.coverage`)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, NotRequired, TypedDict

from sqlalchemy import Connection, text

from gis.access import Access
from gis.errors import Invalid
from gis.party.common import person, today
from gis.party.coverage import coverage_bases, layer_id
from gis.scope import DEFAULT_GRID_LAYER

UncoveredKind = Literal["building", "entrance", "grid", "member"]
UNCOVERED_KINDS: tuple[UncoveredKind, ...] = ("building", "entrance", "grid", "member")


class UncoveredPage(TypedDict):
    """A page of what has no leader (or of members with no role), with OGC API paging counts;
    ``personal_data`` only for members, ``next_offset`` only when there is more."""

    kind: str
    items: list[dict[str, Any]]
    numberMatched: int
    numberReturned: int
    personal_data: NotRequired[str]
    next_offset: NotRequired[int]


#: What has no leader (or no role), per kind; ``{narrow}`` narrows it to one community.
_UNCOVERED_SQL = {
    "building": """
            SELECT x.code, x.name, x.households, x.entrance_units, c.code AS community_code,
                   g.code AS grid_code, ST_X(ST_PointOnSurface(x.geom)) AS lon,
                   ST_Y(ST_PointOnSurface(x.geom)) AS lat
            FROM bld x LEFT JOIN community c ON c.id = x.community_id
            LEFT JOIN grid g ON g.id = x.grid_id
            WHERE NOT x.covered AND {narrow}
            ORDER BY x.households DESC, x.code""",
    "entrance": """
            SELECT b.code AS building_code, b.name AS building_name, x.number, x.households,
                   c.code AS community_code, g.code AS grid_code
            FROM ent x JOIN bld b ON b.id = x.building_id
            LEFT JOIN community c ON c.id = x.community_id LEFT JOIN grid g ON g.id = x.grid_id
            WHERE NOT x.covered AND {narrow}
            ORDER BY x.households DESC, b.code, x.number""",
    "grid": """
            SELECT x.code, x.name, x.households, c.code AS community_code, x.cadres::int
            FROM grd x LEFT JOIN community c ON c.id = x.community_id
            WHERE NOT x.covered AND {narrow}
            ORDER BY x.households DESC, x.code""",
    "member": """
            SELECT m.code, m.name, m.phone, o.code AS organisation_code,
                   o.name AS organisation_name, c.code AS community_code
            FROM mem x JOIN party_member m ON m.id = x.id
            LEFT JOIN party_organisation o ON o.id = m.organisation_id
            LEFT JOIN community c ON c.id = x.community_id
            WHERE NOT x.has_role AND {narrow}
            ORDER BY m.code""",
}


def uncovered(
    conn: Connection,
    kind: UncoveredKind,
    *,
    access: Access,
    layer: str = DEFAULT_GRID_LAYER,
    on: dt.date | None = None,
    community: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> UncoveredPage:
    """A page of what has no leader (buildings, entrances, grids) or no role (members), the
    most households first; ``community`` narrows it to one community (12-digit code)."""
    scope = access.scope
    if kind not in UNCOVERED_KINDS:
        raise Invalid(
            f"未覆盖清单的类别为 {', '.join(UNCOVERED_KINDS)}，而不是 "
            f"{kind!r} ("
            f"uncovered lists are of {', '.join(UNCOVERED_KINDS)}, not {kind!r})"
        )
    if limit < 1 or offset < 0:
        raise Invalid(
            "limit 须 ≥ 1，offset 须 ≥ 0 (limit must be ≥ 1 and offset ≥ 0)",
            limit=limit,
            offset=offset,
        )
    bases, params = coverage_bases(scope)
    params |= {"layer_id": layer_id(conn, layer), "on": on or today()}
    narrow = "true"
    if community is not None:
        narrow = "x.community_id = (SELECT id FROM community WHERE code = :community)"
        params["community"] = community
    select = _UNCOVERED_SQL[kind].format(narrow=narrow)
    matched = conn.execute(text(f"{bases} SELECT count(*) FROM ({select}) q"), params).scalar_one()
    rows = [
        dict(r)
        for r in conn.execute(
            text(f"{bases} {select} LIMIT :limit OFFSET :offset"),
            params | {"limit": limit, "offset": offset},
        ).mappings()
    ]
    full = access.personal_data
    if kind == "member":
        rows = [
            r | (person({"code": r["code"], "name": r["name"], "phone": r["phone"]}, full) or {})
            for r in rows
        ]
    page: UncoveredPage = {
        "kind": kind,
        "items": rows,
        "numberMatched": int(matched),
        "numberReturned": len(rows),
    }
    if kind == "member":
        page["personal_data"] = "full" if full else "masked"
    if offset + len(rows) < matched:
        page["next_offset"] = offset + len(rows)
    return page
