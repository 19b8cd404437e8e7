"""Walking isochrones (等时圈): where one facility, or a point where one might open, can be
reached on foot in 5, 10 and 15 minutes.

``pgr_drivingDistance`` runs on the edges inside a box the walk cannot leave (the straight-line
reach at walking speed), from a virtual node joined to the nearest network node by the straight
walk to it. An edge whose two ends are reached is taken whole; an edge reached from one end only
is cut where the time runs out (``ST_LineSubstring``). The concave hull of the reached lines,
widened by :data:`SIDE_M` (the houses along a street), is the band's area: buffering the lines
themselves is exact but costs seconds for a 15-minute walk (thousands of short pieces), the hull
tens of milliseconds. A point more than 200 m from
the network is refused by name, never snapped.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission
from gis.errors import Forbidden, Invalid, NotFound
from gis.facilities.network import MAX_SNAP_M, WALK_M_PER_S
from gis.facilities.reach import EDGES, NEAREST

#: The houses along a reached street: how far either side of it the area reaches.
SIDE_M = 50.0
#: ``ST_ConcaveHull``'s share of convexity: low enough to leave out blocks no street reaches.
CONVEX = 0.2
#: Degrees of latitude per metre (the box the walk cannot leave is widened for longitude).
DEG_PER_M = 1 / 111_000


@dataclass(frozen=True)
class Band:
    """The area reached within ``minutes``, as GeoJSON, and its size."""

    minutes: int
    area_m2: float
    edges: int
    geometry: dict[str, Any]


@dataclass
class Isochrone:
    """The walk from one point: where it joined the network, and one area per band."""

    lon: float
    lat: float
    snap_m: float
    bands: list[Band]
    seconds: float = 0.0
    facility: str | None = None


_BANDS = """
WITH dd AS (
    SELECT node, agg_cost FROM pgr_drivingDistance(
        :edges, -1, :limit, directed => true)
),
e AS (
    SELECT w.geom, w.cost_s, s.agg_cost AS sa, t.agg_cost AS ta
    FROM walk_edge w
    LEFT JOIN dd s ON s.node = w.source LEFT JOIN dd t ON t.node = w.target
    WHERE w.geom && :box AND (s.node IS NOT NULL OR t.node IS NOT NULL)
),
pieces AS (
    SELECT b.limit_s, CASE
        WHEN least(e.sa, e.ta) + e.cost_s <= b.limit_s THEN e.geom
        ELSE ST_Collect(
            CASE WHEN e.sa < b.limit_s THEN
                ST_LineSubstring(e.geom, 0, least(1, (b.limit_s - e.sa) / e.cost_s)) END,
            CASE WHEN e.ta < b.limit_s THEN
                ST_LineSubstring(e.geom, greatest(0, 1 - (b.limit_s - e.ta) / e.cost_s), 1) END)
        END AS geom
    FROM e CROSS JOIN unnest(CAST(:limits AS float[])) AS b(limit_s)
    WHERE least(e.sa, e.ta) < b.limit_s
    UNION ALL
    SELECT b.limit_s, ST_MakeLine(:point, n.geom)
    FROM unnest(CAST(:limits AS float[])) AS b(limit_s), walk_node n
    WHERE n.id = :node AND :access_s <= b.limit_s
),
areas AS (
    SELECT limit_s, count(*) AS edges,
           ST_Buffer(ST_ConcaveHull(ST_Collect(geom), :convex)::geography, :side)::geometry
               AS geom
    FROM pieces WHERE geom IS NOT NULL GROUP BY limit_s
)
SELECT limit_s, edges, ST_Area(geom::geography), ST_AsGeoJSON(geom, 6) FROM areas
ORDER BY limit_s
"""


def isochrone_at(
    conn: Connection,
    lon: float,
    lat: float,
    *,
    access: Access,
    minutes: int = 15,
    facility: str | None = None,
) -> Isochrone:
    """The 5-, 10- and 15-minute walks (those not beyond ``minutes``, and ``minutes`` itself)
    from the point (``lon``, ``lat``, WGS84)."""
    access.require(Permission.VIEW_MAP)
    if not 1 <= minutes <= 60:
        raise Invalid(f"步行时间应在 1–60 分钟之间 (minutes must be 1–60, got {minutes})")
    started = time.perf_counter()
    if facility is None:
        _check_scope(conn, lon, lat, access)
    point = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
    near = conn.execute(text(NEAREST.format(p=point)), {"lon": lon, "lat": lat}).first()
    if near is None or near.dist > MAX_SNAP_M:
        where = "没有步行路网" if near is None else f"最近的路网节点在 {near.dist:.0f} 米外"
        raise Invalid(
            f"该点距步行路网超过 {MAX_SNAP_M:.0f} 米（{where}），不作吸附 (the point is more than "
            f"{MAX_SNAP_M:.0f} m from the walking network; it is flagged, not snapped)"
        )
    limits = sorted({m * 60.0 for m in (5, 10, 15) if m < minutes} | {minutes * 60.0})
    reach_m = limits[-1] * WALK_M_PER_S + SIDE_M
    box = f"ST_Expand({point}, {reach_m * DEG_PER_M * 1.3}, {reach_m * DEG_PER_M})"
    access_s = float(near.dist) / WALK_M_PER_S
    edges = (
        f"{EDGES} WHERE geom && ST_Expand(ST_SetSRID(ST_MakePoint({lon!r}, {lat!r}), 4326), "
        f"{reach_m * DEG_PER_M * 1.3}, {reach_m * DEG_PER_M}) "
        f"UNION ALL SELECT -1, -1, {int(near.node)}, {access_s!r}, -1"
    )
    rows = conn.execute(
        text(_BANDS.replace(":box", box).replace(":point", point)),
        {
            "edges": edges,
            "limit": limits[-1],
            "limits": limits,
            "lon": lon,
            "lat": lat,
            "node": int(near.node),
            "access_s": access_s,
            "side": SIDE_M,
            "convex": CONVEX,
        },
    ).all()
    bands = [Band(round(r[0] / 60), float(r[2]), int(r[1]), json.loads(r[3])) for r in rows]
    return Isochrone(lon, lat, float(near.dist), bands, time.perf_counter() - started, facility)


def _check_scope(conn: Connection, lon: float, lat: float, access: Access) -> None:
    """A scoped caller walks only from points inside their communities."""
    if access.scope.is_everything:
        return
    where = access.scope.filter_sql("c.code")
    inside = conn.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM community c WHERE ST_Intersects(c.geom, "
            f"ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) AND {where.sql})"
        ),
        {"lon": lon, "lat": lat, **where.params},
    ).scalar()
    if not inside:
        raise Forbidden(
            f"该点不在您的权限范围（{access.scope}）内 (the point lies outside your scope)",
            scope=str(access.scope),
        )


def facility_isochrone(
    conn: Connection, code: str, *, access: Access, minutes: int = 15
) -> Isochrone:
    """The isochrone of the facility ``code`` (one outside the caller's scope is forbidden)."""
    row = conn.execute(
        text(
            "SELECT ST_X(f.geom), ST_Y(f.geom), c.code FROM facility f "
            "JOIN community c ON c.id = f.community_id WHERE f.code = :code"
        ),
        {"code": code},
    ).first()
    if row is None:
        raise NotFound(f"没有设施 {code} (no facility {code})")
    if not access.scope.reaches(row[2]):
        raise Forbidden(
            f"设施 {code} 不在您的权限范围（{access.scope}）内 (facility {code} lies outside your "
            "scope)",
            scope=str(access.scope),
        )
    return isochrone_at(
        conn, float(row[0]), float(row[1]), access=access, minutes=minutes, facility=code
    )
