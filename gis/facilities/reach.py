"""Walking reach on the network with pgRouting: how many seconds from a unit to the nearest
facility of a kind, and the nodes one point reaches.

Where people live is their base unit's point on surface; where they step onto the network is the
nearest node, and the straight walk there counts at the same speed. A facility steps on the same
way, through a virtual edge from a virtual source (one per kind) to its nearest node, costing its
own straight walk: so one ``pgr_drivingDistance`` call from the virtual sources is a multi-source
Dijkstra that gives every node its time to the nearest facility of each kind. A facility or a
unit farther than :data:`~gis.facilities.network.MAX_SNAP_M` from every node is not snapped: it is
left out of the walk and flagged in the report.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, text

from gis.facilities.network import MAX_SNAP_M, WALK_M_PER_S
from gis.scope import SqlFilter

#: Nearest node of a point expression ``{p}`` (geometry, 4326): its id and distance in metres.
NEAREST = """
    SELECT w.id AS node, ST_Distance(w.geom::geography, {p}::geography) AS dist
    FROM walk_node w ORDER BY w.geom <-> {p} LIMIT 1
"""
#: The network's edges, as pgRouting reads them (both ways), inside an optional box.
EDGES = "SELECT id, source, target, cost_s AS cost, cost_s AS reverse_cost FROM walk_edge"


def stage_units(conn: Connection, where: SqlFilter) -> int:
    """``s_cov_units``: the base units ``where`` selects (alias ``u``), their people and the node
    they step onto (``node`` NULL when it is more than 200 m away)."""
    conn.exec_driver_sql("DROP TABLE IF EXISTS s_cov_units")
    nearest = NEAREST.format(p="ST_PointOnSurface(u.geom)")
    conn.execute(
        text(
            f"""CREATE TEMP TABLE s_cov_units ON COMMIT DROP AS
                SELECT u.id, u.community_id, u.households, u.population, u.care_people,
                       CASE WHEN n.dist <= {MAX_SNAP_M} THEN n.node END AS node,
                       n.dist / {WALK_M_PER_S} AS access_s
                FROM base_unit u LEFT JOIN LATERAL ({nearest}) AS n ON true
                WHERE {where.sql}"""
        ),
        where.params,
    )
    conn.exec_driver_sql("ANALYZE s_cov_units")
    return int(conn.exec_driver_sql("SELECT count(*) FROM s_cov_units").scalar_one())


def stage_sources(conn: Connection, kinds: Sequence[str], limit_s: float) -> None:
    """``s_cov_src``: every facility of ``kinds`` with its nearest node and the virtual source
    of its kind (``-1 - position``); ``node`` NULL when more than 200 m from the network. Only
    facilities a walk of ``limit_s`` could bring to the staged units (:func:`stage_units`)."""
    conn.exec_driver_sql("DROP TABLE IF EXISTS s_cov_src")
    nearest = NEAREST.format(p="f.geom")
    conn.execute(
        text(
            f"""CREATE TEMP TABLE s_cov_src ON COMMIT DROP AS
                SELECT f.id, f.code, f.name, f.kind, -array_position(:kinds, f.kind) AS source,
                       CASE WHEN n.dist <= {MAX_SNAP_M} THEN n.node END AS node, n.dist,
                       n.dist / {WALK_M_PER_S} AS access_s
                FROM facility f LEFT JOIN LATERAL ({nearest}) AS n ON true
                {near_units(conn, limit_s, "f.geom")} AND f.kind = ANY(:kinds)"""
        ),
        {"kinds": list(kinds)},
    )


def stage_reach(conn: Connection, limit_s: float) -> None:
    """``s_cov_reach (source, node, seconds)``: every node within ``limit_s`` of a facility of
    each kind staged by :func:`stage_sources` (``source`` = ``-1 - position`` of the kind),
    in one pgRouting call."""
    conn.exec_driver_sql("DROP TABLE IF EXISTS s_cov_reach")
    conn.exec_driver_sql(
        "CREATE TEMP TABLE s_cov_reach (source bigint, node bigint, seconds float) ON COMMIT DROP"
    )
    sources = [
        int(r[0])
        for r in conn.exec_driver_sql(
            "SELECT DISTINCT source FROM s_cov_src WHERE node IS NOT NULL ORDER BY 1"
        )
    ]
    if not sources:
        return
    virtual = (
        "SELECT -row_number() OVER (ORDER BY id), source, node, access_s, -1 "
        "FROM s_cov_src WHERE node IS NOT NULL"
    )
    conn.execute(
        text(
            """INSERT INTO s_cov_reach
               SELECT d.from_v, d.node, d.agg_cost
               FROM pgr_drivingDistance(:edges, CAST(:sources AS bigint[]), :limit,
                                        directed => true, equicost => false) AS d"""
        ),
        {
            "edges": f"{EDGES} {near_units(conn, limit_s)} UNION ALL {virtual}",
            "sources": sources,
            "limit": limit_s,
        },
    )
    conn.exec_driver_sql("CREATE INDEX ON s_cov_reach (node)")
    conn.exec_driver_sql("ANALYZE s_cov_reach")


def near_units(conn: Connection, limit_s: float, column: str = "geom") -> str:
    """A WHERE clause keeping the rows (by ``column``) a walk of ``limit_s`` to or from the
    staged units may use: everything else is too far to matter."""
    box = conn.exec_driver_sql(
        "SELECT ST_Extent(u.geom) FROM s_cov_units s JOIN base_unit u ON u.id = s.id"
    ).scalar()
    if box is None:
        return "WHERE false"
    pad = (limit_s * WALK_M_PER_S + MAX_SNAP_M) / 111_000
    return (
        f"WHERE {column} && ST_Expand(ST_SetSRID('{box}'::box2d::geometry, 4326), "
        f"{pad * 1.3}, {pad})"
    )


def unit_seconds_sql(limit_s: float) -> str:
    """SQL of ``(unit id, source, seconds)``: a unit's walk to the nearest facility of a kind,
    when it is within ``limit_s`` (needs :func:`stage_units` and :func:`stage_reach`)."""
    return f"""
        SELECT u.id AS unit_id, r.source, r.seconds + u.access_s AS seconds
        FROM s_cov_units u JOIN s_cov_reach r ON r.node = u.node
        WHERE r.seconds + u.access_s <= {limit_s}
    """
