"""The walking network: the roads of ``linear_feature`` noded for pgRouting.

Why our own noding instead of ``pgr_createTopology``: the sample city's roads are chains of base
unit edges that already share their vertices exactly (on the generator's 1e-7° grid), so cutting
every road at every vertex and naming a node by its coordinates (:data:`NODE_ID`) connects them
with no tolerance and no global renumbering — a rebuild of one county gives the same node ids to
the points it shares with its neighbour. Roads from a county's file may cross without a shared
vertex: such crossings are found with the GiST index and both roads are split there
(:data:`_HITS`), as ``ST_Node`` would, but only where needed. Rivers are not walked.

Each edge costs its length at 4.5 km/h (:data:`WALK_M_PER_S`), both ways. Connected pieces come
from ``pgr_connectedComponents``; every piece but the largest of its county is an island, and
:func:`network_report` names it by its roads.

The network is built by a road import (for its counties) and by ``gridmap walk-network`` (``make
demo`` runs it after loading the sample city: seconds, so not part of every load). The walks
never build it themselves: where it is missing, nobody is within reach and the coverage report
says how many edges it found (``network_edges``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, text

log = logging.getLogger(__name__)

#: Walking speed, 4.5 km/h, in metres per second.
WALK_M_PER_S = 4500 / 3600
#: A point farther than this from the nearest network node is flagged, never snapped.
MAX_SNAP_M = 200.0
#: Node id of a point: its coordinates on the 1e-7° grid, packed into one bigint (distinct for
#: every grid point on Earth: (x + 180°) · 2^31 + (y + 90°), both in 1e-7°).
NODE_ID = "((round((ST_X({p}) + 180) * 1e7)::bigint << 31) + round((ST_Y({p}) + 90) * 1e7)::bigint)"

_ROADS = """
    CREATE TEMP TABLE s_walk_road ON COMMIT DROP AS
    SELECT f.id AS road_id, ST_SnapToGrid(ST_Force2D(f.geom), 1e-7) AS geom
    FROM linear_feature f LEFT JOIN district c ON c.id = f.district_id
    WHERE f.kind <> 'river' AND (CAST(:all AS boolean) OR c.code = ANY(:districts))
"""
# Points where another road crosses (or ends on) a road away from the road's own vertices:
# they become vertices of both (ST_Snap inserts them), so both are cut there.
_HITS = """
    CREATE TEMP TABLE s_walk_hit ON COMMIT DROP AS
    SELECT a.road_id, ST_Collect(ST_SnapToGrid(p.geom, 1e-7)) AS points
    FROM s_walk_road a
    JOIN s_walk_road b ON a.geom && b.geom AND a.road_id <> b.road_id
    CROSS JOIN LATERAL ST_Dump(ST_Intersection(a.geom, b.geom)) AS p
    WHERE ST_GeometryType(p.geom) = 'ST_Point' AND NOT ST_DWithin(p.geom, ST_Points(a.geom), 1e-8)
    GROUP BY a.road_id
"""
_EDGES = f"""
    INSERT INTO walk_edge (source, target, length_m, cost_s, road_id, geom)
    SELECT {NODE_ID.format(p="ST_StartPoint(geom)")}, {NODE_ID.format(p="ST_EndPoint(geom)")},
           len, len / {WALK_M_PER_S}, road_id, geom
    FROM (
        SELECT r.road_id, d.geom, ST_Length(d.geom::geography) AS len
        FROM s_walk_road r LEFT JOIN s_walk_hit h ON h.road_id = r.road_id
        CROSS JOIN LATERAL ST_DumpSegments(
            CASE WHEN h.points IS NULL THEN r.geom ELSE ST_Snap(r.geom, h.points, 2e-7) END
        ) AS d
    ) AS measured
    WHERE len > 0
"""
_NODES = f"""
    INSERT INTO walk_node (id, geom)
    SELECT DISTINCT ON (id) id, p FROM (
        SELECT {NODE_ID.format(p="ST_StartPoint(geom)")} AS id, ST_StartPoint(geom) AS p
        FROM walk_edge
        UNION ALL
        SELECT {NODE_ID.format(p="ST_EndPoint(geom)")}, ST_EndPoint(geom) FROM walk_edge
    ) AS ends
    ON CONFLICT (id) DO NOTHING
"""
_COMPONENTS = """
    UPDATE walk_node n SET component = c.component
    FROM pgr_connectedComponents(
        'SELECT id, source, target, cost_s AS cost, cost_s AS reverse_cost FROM walk_edge'
    ) AS c
    WHERE c.node = n.id
"""


@dataclass(frozen=True)
class Island:
    """A piece of the network that no walk reaches from the largest piece."""

    component: int
    nodes: int
    length_m: float
    roads: list[str]  # the first dozen names, sorted


@dataclass
class NetworkReport:
    """The network after a build: its size, and its islands named by their roads."""

    nodes: int
    edges: int
    length_km: float
    components: int
    islands: list[Island] = field(default_factory=list)
    seconds: float = 0.0


def build_network(conn: Connection, districts: Sequence[str] | None = None) -> NetworkReport:
    """(Re)build the walking network from the roads of ``districts`` (every road: ``None``).

    Runs inside the caller's transaction; the old edges of those roads go first, nodes that no
    edge uses any more go after.
    """
    started = time.perf_counter()
    params = {"all": districts is None, "districts": list(districts or [])}
    conn.execute(
        text(
            "DELETE FROM walk_edge e WHERE e.road_id IS NULL OR CAST(:all AS boolean) "
            "OR e.road_id IN (SELECT f.id FROM linear_feature f JOIN district c "
            "ON c.id = f.district_id WHERE c.code = ANY(:districts))"
        ),
        params,
    )
    conn.exec_driver_sql("DROP TABLE IF EXISTS s_walk_road")
    conn.exec_driver_sql("DROP TABLE IF EXISTS s_walk_hit")
    conn.execute(text(_ROADS), params)
    conn.exec_driver_sql("CREATE INDEX ON s_walk_road USING gist (geom)")
    conn.exec_driver_sql("ANALYZE s_walk_road")
    conn.exec_driver_sql(_HITS)
    conn.exec_driver_sql(_EDGES)
    conn.exec_driver_sql(
        "DELETE FROM walk_node n WHERE n.id NOT IN "
        "(SELECT source FROM walk_edge UNION SELECT target FROM walk_edge)"
    )
    conn.exec_driver_sql(_NODES)
    conn.exec_driver_sql("ANALYZE walk_edge")
    conn.exec_driver_sql("ANALYZE walk_node")
    conn.exec_driver_sql(_COMPONENTS)
    report = network_report(conn)
    report.seconds = time.perf_counter() - started
    log.info("walking network: %d edges, %d islands", report.edges, len(report.islands))
    return report


def network_report(conn: Connection) -> NetworkReport:
    """The network's size and its islands, each named by the roads it is made of: every
    connected piece but the largest of its county (two counties need not be joined)."""
    size = conn.exec_driver_sql(
        "SELECT (SELECT count(*) FROM walk_node), count(*), coalesce(sum(length_m), 0) / 1000, "
        "(SELECT count(DISTINCT component) FROM walk_node) FROM walk_edge"
    ).one()
    rows = conn.exec_driver_sql(
        """WITH sizes AS (SELECT component, count(*) AS nodes FROM walk_node GROUP BY 1),
           pieces AS (
               SELECT n.component, min(z.nodes) AS nodes, sum(e.length_m) AS length,
                      min(f.district_id) AS district,
                      array_agg(DISTINCT coalesce(nullif(f.name, ''), f.code)) AS roads
               FROM walk_node n JOIN walk_edge e ON e.source = n.id
               JOIN sizes z ON z.component = n.component
               LEFT JOIN linear_feature f ON f.id = e.road_id
               GROUP BY n.component),
           main AS (SELECT DISTINCT ON (district) component FROM pieces
                    ORDER BY district, nodes DESC, component)
           SELECT component, nodes, length, roads FROM pieces
           WHERE component NOT IN (SELECT component FROM main)
           ORDER BY nodes DESC, component"""
    ).all()
    islands = [Island(int(r[0]), int(r[1]), float(r[2] or 0), sorted(r[3])[:12]) for r in rows]
    return NetworkReport(int(size[0]), int(size[1]), float(size[2]), int(size[3]), islands)
