"""Coverage: what has a leader and what has none, counted per grid, community and street.

A **building** is covered when it has a building leader (楼栋长) on the day asked about; an
**entrance unit** when it has a unit leader (单元长); a **grid** of a layer when it has a grid
leader (网格长). A **member** has a role when any assignment of theirs is current. Everything is
counted in one SQL statement over the scope (buildings by the base unit they stand on, grids by
the layer's membership), so a county-wide report is one round trip.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, NotRequired, TypedDict

from sqlalchemy import Connection, text

from gis.access import Access
from gis.errors import Invalid, NotFound
from gis.geojson import BBOX_SQL, BBox, collection, feature_sql
from gis.party.common import current, member_scope_sql, today
from gis.scope import DEFAULT_GRID_LAYER, Scope

Level = Literal["street", "community", "grid"]
LEVELS: tuple[Level, ...] = ("street", "community", "grid")


def layer_id(conn: Connection, layer: str) -> int:
    found = conn.execute(text("SELECT id FROM grid_layer WHERE code = :c"), {"c": layer}).scalar()
    if found is None:
        raise NotFound(
            f"没有代码为 {layer!r} 的网格图层 (no grid layer with code {layer!r})", layer=layer
        )
    return int(found)


def coverage_bases(scope: Scope, *, bbox: BBox | None = None) -> tuple[str, dict[str, Any]]:
    """CTEs ``bld``, ``ent``, ``grd``, ``mem``: the scope's buildings, entrances, grids of the
    layer and members, each with whether it is covered on ``:on``; with ``bbox``, only the
    buildings and grids it touches (filtered inside the CTEs, where the GiST indexes help)."""
    units = scope.unit_sql("u")
    grids = scope.grid_sql("g")
    members = member_scope_sql(scope)
    in_box = "true" if bbox is None else "{geom} && " + BBOX_SQL
    sql = f"""
    WITH cur AS MATERIALIZED (
        SELECT a.role, a.member_id, a.grid_id, a.building_id, a.entrance_id
        FROM assignment a WHERE {current()}
    ), bld AS (
        SELECT b.id, b.code, b.name, b.households, b.entrance_units, b.geom,
               u.community_id, bc.street_id, gu.grid_id, lb.building_id IS NOT NULL AS covered
        FROM building b JOIN base_unit u ON u.id = b.base_unit_id
        JOIN community bc ON bc.id = u.community_id
        LEFT JOIN grid_unit gu ON gu.unit_id = u.id AND gu.layer_id = :layer_id
        LEFT JOIN (SELECT DISTINCT building_id FROM cur WHERE role = 'building_leader') lb
               ON lb.building_id = b.id
        WHERE {units.sql} AND {in_box.format(geom="b.geom")}
    ), ent AS (
        SELECT e.id, e.number, e.households, bld.id AS building_id, bld.community_id,
               bld.street_id, bld.grid_id, le.entrance_id IS NOT NULL AS covered
        FROM building_entrance e JOIN bld ON bld.id = e.building_id
        LEFT JOIN (SELECT DISTINCT entrance_id FROM cur WHERE role = 'unit_leader') le
               ON le.entrance_id = e.id
    ), grd AS (
        SELECT g.id, g.code, g.name, g.community_id, gc.street_id, g.households,
               coalesce(ga.has_leader, false) AS covered, coalesce(ga.cadres, 0) AS cadres
        FROM grid g LEFT JOIN community gc ON gc.id = g.community_id
        LEFT JOIN (SELECT grid_id, bool_or(role = 'grid_leader') AS has_leader,
                          count(*) FILTER (WHERE role = 'cadre') AS cadres
                   FROM cur WHERE grid_id IS NOT NULL GROUP BY grid_id) ga ON ga.grid_id = g.id
        WHERE g.layer_id = :layer_id AND {grids.sql} AND {in_box.format(geom="g.geom")}
    ), mem AS (
        SELECT m.id, m.community_id, mc.street_id, r.member_id IS NOT NULL AS has_role
        FROM party_member m LEFT JOIN community mc ON mc.id = m.community_id
        LEFT JOIN (SELECT DISTINCT member_id FROM cur) r ON r.member_id = m.id
        WHERE {members.sql}
    )"""
    params = units.params | grids.params | members.params
    return sql, params | (bbox.params() if bbox else {})


_COUNTS = """
    coalesce(bs.buildings, 0) AS buildings, coalesce(bs.covered, 0) AS buildings_covered,
    coalesce(es.entrances, 0) AS entrances, coalesce(es.covered, 0) AS entrances_covered
"""
_BLD_BY = """(SELECT {key} AS k, count(*) AS buildings, count(*) FILTER (WHERE covered) AS covered
             FROM bld GROUP BY 1)"""
_ENT_BY = """(SELECT {key} AS k, count(*) AS entrances, count(*) FILTER (WHERE covered) AS covered
             FROM ent GROUP BY 1)"""
_GRD_BY = """(SELECT {key} AS k, count(*) AS grids, count(*) FILTER (WHERE covered) AS covered,
                    sum(cadres) AS cadres FROM grd GROUP BY 1)"""
_MEM_BY = """(SELECT {key} AS k, count(*) AS members, count(*) FILTER (WHERE has_role) AS with_role
             FROM mem GROUP BY 1)"""
_AREA_COUNTS = (
    _COUNTS
    + """, coalesce(gs.grids, 0) AS grids, coalesce(gs.covered, 0) AS grids_with_leader,
    coalesce(gs.cadres, 0)::int AS cadres,
    coalesce(ms.members, 0) AS members, coalesce(ms.with_role, 0) AS members_with_role"""
)


def _level_sql(level: Level) -> str:
    """The rows of one level, from the CTEs of :func:`bases`."""
    if level == "grid":
        return f"""
        SELECT grd.code, grd.name, c.code AS community_code, grd.households,
               grd.covered AS has_grid_leader, grd.cadres::int AS cadres, {_COUNTS}
        FROM grd LEFT JOIN community c ON c.id = grd.community_id
        LEFT JOIN {_BLD_BY.format(key="grid_id")} bs ON bs.k = grd.id
        LEFT JOIN {_ENT_BY.format(key="grid_id")} es ON es.k = grd.id
        ORDER BY grd.code"""
    if level == "community":
        return f"""
        SELECT c.code, c.name, s.code AS street_code, {_AREA_COUNTS}
        FROM community c JOIN street s ON s.id = c.street_id
        LEFT JOIN {_BLD_BY.format(key="community_id")} bs ON bs.k = c.id
        LEFT JOIN {_ENT_BY.format(key="community_id")} es ON es.k = c.id
        LEFT JOIN {_GRD_BY.format(key="community_id")} gs ON gs.k = c.id
        LEFT JOIN {_MEM_BY.format(key="community_id")} ms ON ms.k = c.id
        WHERE coalesce(bs.buildings, es.entrances, gs.grids, ms.members) IS NOT NULL
        ORDER BY c.code"""
    return f"""
        SELECT s.code, s.name, d.code AS district_code, {_AREA_COUNTS}
        FROM street s JOIN district d ON d.id = s.district_id
        LEFT JOIN {_BLD_BY.format(key="street_id")} bs ON bs.k = s.id
        LEFT JOIN {_ENT_BY.format(key="street_id")} es ON es.k = s.id
        LEFT JOIN {_GRD_BY.format(key="street_id")} gs ON gs.k = s.id
        LEFT JOIN {_MEM_BY.format(key="street_id")} ms ON ms.k = s.id
        WHERE coalesce(bs.buildings, es.entrances, gs.grids, ms.members) IS NOT NULL
        ORDER BY s.code"""


_TOTALS = """
    SELECT (SELECT count(*) FROM bld) AS buildings,
           (SELECT count(*) FROM bld WHERE covered) AS buildings_covered,
           (SELECT count(*) FROM ent) AS entrances,
           (SELECT count(*) FROM ent WHERE covered) AS entrances_covered,
           (SELECT count(*) FROM grd) AS grids,
           (SELECT count(*) FROM grd WHERE covered) AS grids_with_leader,
           (SELECT coalesce(sum(cadres), 0)::int FROM grd) AS cadres,
           (SELECT count(*) FROM mem) AS members,
           (SELECT count(*) FROM mem WHERE has_role) AS members_with_role
"""


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class CoverageTotals(TypedDict):
    """What has a leader over a scope: counts, and the shares covered (None where none)."""

    buildings: int
    buildings_covered: int
    entrances: int
    entrances_covered: int
    grids: int
    grids_with_leader: int
    cadres: int
    members: int
    members_with_role: int
    buildings_share: float | None
    entrances_share: float | None
    grids_share: float | None
    members_share: float | None


class Coverage(TypedDict):
    """Totals over a scope and, when asked ``by`` a level, one row per area. A TypedDict, not a
    dataclass: sent as it is, and ``by``/``rows`` are absent (not null) when not asked for."""

    on: str
    layer: str
    scope: str
    totals: CoverageTotals
    by: NotRequired[str]
    rows: NotRequired[list[dict[str, Any]]]


def coverage(
    conn: Connection,
    *,
    access: Access,
    layer: str = DEFAULT_GRID_LAYER,
    on: dt.date | None = None,
    by: Level | None = "community",
) -> Coverage:
    """Totals over the scope, and (``by``) one row per street, community or grid.

    Grids are those of ``layer`` (the unified net by default) that the scope reaches; a grid is
    counted under the community holding most of its households.
    """
    scope = access.scope
    if by is not None and by not in LEVELS:
        raise Invalid(
            f"覆盖率按 {', '.join(LEVELS)} 统计，而不是 {by!r} ("
            f"coverage is counted by {', '.join(LEVELS)}, not {by!r})",
            by=by,
        )
    on = on or today()
    bases, params = coverage_bases(scope)
    params |= {"layer_id": layer_id(conn, layer), "on": on}
    t = conn.execute(text(bases + _TOTALS), params).mappings().one()
    totals: CoverageTotals = {
        "buildings": t["buildings"],
        "buildings_covered": t["buildings_covered"],
        "entrances": t["entrances"],
        "entrances_covered": t["entrances_covered"],
        "grids": t["grids"],
        "grids_with_leader": t["grids_with_leader"],
        "cadres": t["cadres"],
        "members": t["members"],
        "members_with_role": t["members_with_role"],
        "buildings_share": _share(t["buildings_covered"], t["buildings"]),
        "entrances_share": _share(t["entrances_covered"], t["entrances"]),
        "grids_share": _share(t["grids_with_leader"], t["grids"]),
        "members_share": _share(t["members_with_role"], t["members"]),
    }
    out: Coverage = {"on": on.isoformat(), "layer": layer, "scope": str(scope), "totals": totals}
    if by is not None:
        rows = conn.execute(text(bases + _level_sql(by)), params).mappings()
        out["by"] = by
        out["rows"] = [dict(r) for r in rows]
    return out


# ----------------------------------------------------------------------------- the map


def coverage_geojson(
    conn: Connection,
    what: Literal["buildings", "grids"],
    *,
    access: Access,
    layer: str = DEFAULT_GRID_LAYER,
    on: dt.date | None = None,
    bbox: BBox | None = None,
    only_uncovered: bool = False,
    limit: int = 5000,
    offset: int = 0,
) -> str:
    """The coverage map: buildings (covered by a building leader or not) or the layer's grids
    (with a grid leader or not), as a GeoJSON page built in PostGIS."""
    scope = access.scope
    if what not in ("buildings", "grids"):
        raise Invalid(
            f"覆盖地图只显示楼栋或网格，而不是 {what!r} ("
            f"the coverage map shows buildings or grids, not {what!r})"
        )
    if limit < 1 or offset < 0:
        raise Invalid(
            "limit 须 ≥ 1，offset 须 ≥ 0 (limit must be ≥ 1 and offset ≥ 0)",
            limit=limit,
            offset=offset,
        )
    bases, params = coverage_bases(scope, bbox=bbox)
    params |= {"layer_id": layer_id(conn, layer), "on": on or today()}
    where = ["x.geom IS NOT NULL"]
    if only_uncovered:
        where.append("NOT x.covered")
    condition = " AND ".join(where)
    if what == "buildings":
        source = "bld x LEFT JOIN grid xg ON xg.id = x.grid_id"
        props = {
            "code": "x.code",
            "name": "x.name",
            "households": "x.households",
            "grid_code": "xg.code",
            "covered": "x.covered",
        }
    else:
        source = "grd x JOIN grid xg ON xg.id = x.id"
        props = {
            "code": "x.code",
            "name": "x.name",
            "households": "x.households",
            "covered": "x.covered",
            "cadres": "x.cadres",
        }
        condition = condition.replace("x.geom", "xg.geom")
    # The CTEs do not carry a grid's geometry: it comes from the joined row.
    geom = "x.geom" if what == "buildings" else "xg.geom"
    matched = conn.execute(
        text(f"{bases} SELECT count(*) FROM {source} WHERE {condition}"), params
    ).scalar_one()
    features = f"""{bases}
        SELECT {feature_sql("x.code", geom, props)} FROM {source} WHERE {condition}
        ORDER BY x.code LIMIT :limit OFFSET :offset"""
    returned = max(0, min(limit, int(matched) - offset))
    extra: dict[str, Any] = {
        "layer": layer,
        "numberMatched": int(matched),
        "numberReturned": returned,
    }
    if offset + returned < matched:
        extra["next_offset"] = offset + returned
    return collection(conn, features, params | {"limit": limit, "offset": offset}, extra=extra)
