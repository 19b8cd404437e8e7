"""Suggestions: the nearest members with free capacity to lead a building.

Distance is straight-line, in metres, from the member's home to the building's outline (0 for
a member living in it), computed in PostGIS. The nearest candidates come from a KNN walk
(``<->`` on geography) of the GiST index ``ix_party_member_geog`` (migration 0005), filtered on
the way by scope and free capacity, so the database reads a few dozen members, not all of
them; those are then ranked by the exact (spheroid) distance, fewer buildings already led,
and code. Walking distance would need a road network the sample city does not have.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict

from sqlalchemy import Connection, text

from gis.access import Access
from gis.errors import Forbidden, Invalid, NotFound
from gis.party.common import BUILDING_ROLES, member_scope_sql, person, today
from gis.scope import Scope

#: Candidates read from the index per suggestion wanted (re-ranked on the exact distance).
POOL_FACTOR = 4
MAX_SUGGESTIONS = 50

_LOAD = """(SELECT count(DISTINCT coalesce(a.building_id, e.building_id))
            FROM assignment a LEFT JOIN building_entrance e ON e.id = a.entrance_id
            WHERE a.member_id = m.id AND a.role = ANY(:roles)
              AND (a.ends_on IS NULL OR a.ends_on >= :on))"""


#: Members with free capacity nearest to a building (index-assisted ``<->``), then ranked.
_NEAREST = """
WITH t AS (SELECT geom::geography AS geog FROM building WHERE id = :building)
SELECT c.code, c.name, c.phone, c.load, o.code AS organisation_code,
       o.name AS organisation_name, mc.code AS community_code,
       round(ST_Distance(c.geom::geography, t.geog)::numeric, 1)::float
           AS distance_m
FROM t, LATERAL (
    SELECT m.id, m.code, m.name, m.phone, m.geom, m.organisation_id,
           m.community_id, {load} AS load
    FROM party_member m
    WHERE {members}
      AND {load} < :max_buildings
      AND NOT EXISTS (
          SELECT 1 FROM assignment a
          LEFT JOIN building_entrance e ON e.id = a.entrance_id
          WHERE a.member_id = m.id AND a.role = ANY(:roles)
            AND coalesce(a.building_id, e.building_id) = :building
            AND (a.ends_on IS NULL OR a.ends_on >= :on))
    ORDER BY m.geom::geography <-> t.geog
    LIMIT :pool
) c
LEFT JOIN party_organisation o ON o.id = c.organisation_id
LEFT JOIN community mc ON mc.id = c.community_id
ORDER BY distance_m, c.load, c.code
LIMIT :limit
"""


class SuggestedBuilding(TypedDict):
    code: str
    name: str | None
    households: int | None
    covered: bool


class Suggestions(TypedDict):
    """The members nearest to a building with room to lead it, ranked (each a member as
    :func:`~gis.party.common.person` shows them, with rank, distance and load). A TypedDict:
    the answer of ``GET /party/suggestions``, sent as it is."""

    building: SuggestedBuilding
    max_buildings: int
    distance: str
    personal_data: str
    items: list[dict[str, Any]]


def suggest_leaders(
    conn: Connection,
    building: str,
    *,
    access: Access,
    max_buildings: int,
    limit: int = 5,
    on: dt.date | None = None,
) -> Suggestions:
    """The ``limit`` nearest members in the scope who lead fewer than ``max_buildings``
    buildings from ``on`` onwards and do not already lead this one, ranked by distance."""
    scope = access.scope
    if not 1 <= limit <= MAX_SUGGESTIONS:
        raise Invalid(
            f"建议数须为 1 至 {MAX_SUGGESTIONS}，而不是 {limit} ("
            f"ask for 1 to {MAX_SUGGESTIONS} suggestions, not {limit})",
            limit=limit,
        )
    target = _building(conn, building, on or today(), scope)
    members = member_scope_sql(scope)
    rows = conn.execute(
        text(_NEAREST.format(load=_LOAD, members=members.sql)),
        {
            "building": target.id,
            "roles": list(BUILDING_ROLES),
            "on": on or today(),
            "max_buildings": max_buildings,
            "pool": limit * POOL_FACTOR + 16,
            "limit": limit,
        }
        | members.params,
    ).mappings()
    full = access.personal_data
    items = []
    for rank, r in enumerate(rows, start=1):
        shown = person({"code": r["code"], "name": r["name"], "phone": r["phone"]}, full)
        items.append(
            (shown or {})
            | {
                "rank": rank,
                "distance_m": r["distance_m"],
                "buildings_led": r["load"],
                "free_capacity": max_buildings - r["load"],
                "organisation": {"code": r["organisation_code"], "name": r["organisation_name"]}
                if r["organisation_code"]
                else None,
                "community_code": r["community_code"],
            }
        )
    return {
        "building": {
            "code": target.code,
            "name": target.name,
            "households": target.households,
            "covered": target.covered,
        },
        "max_buildings": max_buildings,
        "distance": "straight line, metres (PostGIS geography)",
        "personal_data": "full" if full else "masked",
        "items": items,
    }


def _building(conn: Connection, building: str, on: dt.date, scope: Scope) -> Any:
    """The building (id, code, name, households, covered on ``on``); refused outside ``scope``."""
    units = scope.unit_sql("u")
    target = conn.execute(
        text(
            f"SELECT b.id, b.code, b.name, b.households, ({units.sql}) AS inside, "
            "EXISTS (SELECT 1 FROM assignment a WHERE a.building_id = b.id "
            "AND a.role = 'building_leader' AND a.starts_on <= :on "
            "AND (a.ends_on IS NULL OR a.ends_on >= :on)) AS covered "
            "FROM building b JOIN base_unit u ON u.id = b.base_unit_id WHERE b.code = :code"
        ),
        {"code": building, "on": on} | units.params,
    ).first()
    if target is None:
        raise NotFound(f"没有楼栋 {building!r} (no building {building!r})", building=building)
    if not target.inside:
        raise Forbidden(
            f"楼栋 {building} 不在您的权限范围（{scope}）内 ("
            f"building {building} is outside your scope ({scope}))"
        )
    return target
