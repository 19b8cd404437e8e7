"""What grid boundaries run along: main roads, secondary roads, the river — or nothing visible.

The seeds ask for grids whose boundaries are clear (界定清晰): a line that follows a road, a
river or a wall everyone can see. So every boundary two adjacent base units share is measured
once, in PostGIS, and matched against the roads and rivers (``linear_feature``): it runs along
the most important kind (river, main, secondary, branch road, lane) that lies within
:data:`TOLERANCE_DEG` of at least half its length — probed at its quarter points, 1/4, 1/2 and
3/4, with the GiST index (cutting the edges with buffered roads took 16 s for the sample city,
the probes take about 1) — else along nothing visible (``none``). That is ``unit_edge``,
refreshed when units, roads or rivers are loaded or imported.

A layer's (or a scenario's, or a plan's) grid boundary is then the set of unit edges whose two
units are in different grids of that layer — the boundary of the dissolved grids without the
city's outline, because an edge on the outline has no second unit. Its length by kind is a
join and a sum over ``grid_unit``, so the compare table asks it for five layers at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis.access import Access
from gis.layers import get_layer
from gis.optimizer.io import area_filter

#: How far (degrees, about 10 m at Fuzhou's latitude) a road or river may lie from a unit
#: boundary and still count as what the boundary runs along: drawn lines rarely coincide.
TOLERANCE_DEG = 1e-4
#: Kinds a boundary is judged by, most telling first: a boundary on the river bank is the
#: river's even if a road runs beside it.
PRIORITY = ("river", "primary", "secondary", "branch", "lane")
#: Labels of what a boundary runs along (``unit_edge.kind``), Chinese first.
EDGE_KIND_LABELS: dict[str, str] = {
    "river": "河流 River",
    "primary": "主干道 Main road",
    "secondary": "次干道 Secondary road",
    "branch": "支路 Branch road",
    "lane": "巷道 Lane",
    "none": "无明显地物 Nothing visible",
}


@dataclass(frozen=True)
class BoundaryShares:
    """A layer's grid boundary: its length and the share of it along each kind (0–1).

    Shares are None (and the length 0) where no road or river is known: "nothing visible"
    would then be a guess, not a measurement.
    """

    code: str
    length_km: float
    river: float | None
    primary: float | None
    secondary: float | None
    branch: float | None
    lane: float | None
    none: float | None
    #: Along a road or the river: what makes a boundary clear on the ground.
    visible: float | None


#: Units of the districts being judged again (all when ``:area`` is NULL).
_UNITS = """
SELECT u.id FROM base_unit u JOIN community c ON c.id = u.community_id
WHERE CAST(:area AS text[]) IS NULL OR {area}
"""

_PAIRS = """
CREATE TEMP TABLE tmp_edge ON COMMIT DROP AS
SELECT a.id AS unit_a, b.id AS unit_b,
       ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 2) AS geom
FROM base_unit a JOIN base_unit b ON a.id < b.id AND ST_Intersects(a.geom, b.geom)
WHERE a.id IN ({units}) OR b.id IN ({units})
"""

#: Roads and rivers cut into short pieces: a probe then meets a few small boxes of the index
#: instead of the whole river's, and measures its distance to a few segments.
_PIECES = """
CREATE TEMP TABLE tmp_feature ON COMMIT DROP AS
SELECT kind, ST_Subdivide(geom, 8) AS geom FROM linear_feature
"""

_CLASSIFY = """
WITH part AS (
    SELECT e.unit_a, e.unit_b, d.geom, ST_Length(d.geom) AS len
    FROM tmp_edge e CROSS JOIN LATERAL ST_Dump(ST_LineMerge(e.geom)) AS d
),
probe AS (
    SELECT p.unit_a, p.unit_b, p.len / 3 AS w, ST_LineInterpolatePoint(p.geom, q.at) AS pt
    FROM part p CROSS JOIN (VALUES (0.25), (0.5), (0.75)) AS q(at)
),
covered AS (
    SELECT pr.unit_a, pr.unit_b, k.kind, sum(pr.w) AS len
    FROM probe pr CROSS JOIN LATERAL (
        SELECT DISTINCT f.kind FROM tmp_feature f WHERE ST_DWithin(f.geom, pr.pt, :tol)
    ) AS k
    GROUP BY 1, 2, 3
),
total AS (SELECT unit_a, unit_b, sum(len) AS len FROM part GROUP BY 1, 2),
best AS (
    SELECT DISTINCT ON (c.unit_a, c.unit_b) c.unit_a, c.unit_b, c.kind
    FROM covered c JOIN total t ON t.unit_a = c.unit_a AND t.unit_b = c.unit_b
    WHERE c.len >= 0.5 * t.len
    ORDER BY c.unit_a, c.unit_b, array_position(CAST(:priority AS text[]), c.kind::text)
)
INSERT INTO unit_edge (unit_a, unit_b, length_m, kind)
SELECT e.unit_a, e.unit_b, ST_Length(e.geom::geography), coalesce(b.kind, 'none')
FROM tmp_edge e LEFT JOIN best b ON b.unit_a = e.unit_a AND b.unit_b = e.unit_b
WHERE NOT ST_IsEmpty(e.geom) AND ST_Length(e.geom) > 0
"""


def refresh_unit_edges(conn: Connection, area: Sequence[str] | None = None) -> int:
    """Measure the shared unit boundaries again and say what they run along; returns the count.

    ``area``: codes (district, street …) whose units' edges are judged again (an edge with one
    unit inside counts); None: the whole database (about 6 s for the sample city's 5,562
    units on the 2-core machine, bench/streets.py). Where no road or river is known, the old
    edges are removed and none measured. Run after a load or an import of units, roads or
    rivers, inside the caller's transaction.
    """
    units = _UNITS.format(area=area_filter("c.code"))
    params = {"area": list(area) if area is not None else None}
    conn.execute(
        text(f"DELETE FROM unit_edge WHERE unit_a IN ({units}) OR unit_b IN ({units})"), params
    )
    lines = conn.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM linear_feature f JOIN district c "
            "ON c.id = f.district_id WHERE CAST(:area AS text[]) IS NULL OR "
            f"{area_filter('c.code')})"
        ),
        params,
    ).scalar_one()
    if not lines:  # no roads or rivers known there: nothing to judge against (a province
        return 0  # package without them loads without cutting 2 million edges for nothing)
    conn.execute(text("DROP TABLE IF EXISTS tmp_edge"))
    conn.execute(text(_PAIRS.format(units=units)), params)
    conn.execute(text("DROP TABLE IF EXISTS tmp_feature"))
    conn.execute(text(_PIECES))
    conn.execute(text("CREATE INDEX ON tmp_feature USING gist (geom)"))
    conn.execute(text("ANALYZE tmp_edge"))
    conn.execute(text("ANALYZE tmp_feature"))
    count = conn.execute(
        text(_CLASSIFY), {"tol": TOLERANCE_DEG, "priority": list(PRIORITY)}
    ).rowcount
    conn.execute(text("DROP TABLE tmp_edge"))
    conn.execute(text("DROP TABLE tmp_feature"))
    return int(count)


#: The second unit of an edge is found through grid_unit's primary key, not a second scan of
#: ``member``: once psycopg prepares the statement (fifth run on a connection) PostgreSQL may
#: plan it generically, guess one member row and nest-loop a CTE scan inside (99 s for 临川
#: instead of 0.1 s). Index lookups stay fast whatever the guess.
_SHARES = """
WITH member AS MATERIALIZED (
    SELECT l.code AS layer, l.id AS layer_id, gu.unit_id, gu.grid_id
    FROM grid_layer l JOIN grid_unit gu ON gu.layer_id = l.id
    JOIN base_unit u ON u.id = gu.unit_id JOIN community c ON c.id = u.community_id
    WHERE l.code = ANY(:codes) AND {area}
)
SELECT a.layer, e.kind, sum(e.length_m) AS metres
FROM member a JOIN unit_edge e ON e.unit_a = a.unit_id
JOIN grid_unit b ON b.layer_id = a.layer_id AND b.unit_id = e.unit_b
JOIN base_unit ub ON ub.id = e.unit_b JOIN community cb ON cb.id = ub.community_id
WHERE a.grid_id <> b.grid_id AND {area_b}
GROUP BY a.layer, e.kind
"""


def boundary_shares(
    conn: Connection, codes: Sequence[str], area: list[str] | None = None
) -> dict[str, BoundaryShares]:
    """The grid boundary of each layer in ``codes`` over the units of ``area`` (codes of
    districts, streets or communities; None: every unit), split by what it runs along.

    Callers check access to the layers and the area (the compare and report functions do).
    """
    where = area_filter("c.code") if area is not None else "true"
    where_b = area_filter("cb.code") if area is not None else "true"
    metres: dict[str, dict[str, float]] = {code: {} for code in codes}
    for layer, kind, length in conn.execute(
        text(_SHARES.format(area=where, area_b=where_b)), {"codes": list(codes), "area": area}
    ):
        metres[layer][kind] = float(length)
    out = {}
    for code, by_kind in metres.items():
        total = sum(by_kind.values())
        shares: dict[str, float | None] = {
            k: round(by_kind.get(k, 0.0) / total, 4) if total else None for k in EDGE_KIND_LABELS
        }
        visible = round(1.0 - by_kind.get("none", 0.0) / total, 4) if total else None
        out[code] = BoundaryShares(
            code=code, length_km=round(total / 1000, 3), visible=visible, **shares
        )
    return out


def layer_boundaries(
    conn: Connection, code: str, band: tuple[float, float], *, access: Access
) -> BoundaryShares:
    """What the grid boundary of layer ``code`` runs along, within the user's scope.

    The layer must be one the user may see (:func:`gis.layers.get_layer`, NotFound otherwise).
    A grid-level scope (a field worker) is measured over the grid's community: the figure is
    about lines on the ground, not about people.
    """
    get_layer(conn, code, band, access=access)
    scope = access.scope.code
    return boundary_shares(conn, [code], [scope[:12]] if scope else None)[code]
