"""The boundaries adjacent base units share (``unit_edge``): measured once, judged where roads
are known.

Two things need them, and both read this one table:

- a grid's pieces (:func:`gis.grids.refresh_grids`): two units of a grid hold together only
  where they share at least ``Settings.min_shared_m`` metres — a 0.2 m corner is no way
  through for a grid worker;
- what a grid boundary runs along (:mod:`gis.boundaries`): the main road, the river, or
  nothing visible.

**Measured** (:func:`measure_unit_edges`): which pairs touch along a line and how long it is, in
metres, by the optimizer's own vectorised measure (:func:`gis.optimizer.graph.shared_boundaries`,
matched ring segments, about 1 s for the sample city's 5,562 units), so the editor, the loader
and the optimizer agree on who is a neighbour.

**Judged** (:func:`judge_unit_edges`): only where roads or rivers are known (a province package
without them loads without cutting two million edges for nothing). The shared line is cut once
(``ST_Intersection`` of the pair, kept in ``geom``); it runs along the most telling kind (river,
main, secondary, branch road, lane) that lies within :data:`TOLERANCE_DEG` of at least half its
length — probed at its quarter points 1/4, 1/2 and 3/4 with the GiST index (cutting the edges
with buffered roads took 16 s for the sample city) — else along nothing visible (``none``).
``kind`` is NULL where nothing was judged: "nothing visible" would then be a guess.

:func:`refresh_unit_edges` does both, after a load or an import of units; an import of roads or
rivers judges again only.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
from sqlalchemy import Connection, text

from gis.optimizer.graph import shared_boundaries
from gis.optimizer.io import area_filter

#: How far (degrees, about 10 m at Fuzhou's latitude) a road or river may lie from a unit
#: boundary and still count as what the boundary runs along: drawn lines rarely coincide.
TOLERANCE_DEG = 1e-4
#: Kinds a boundary is judged by, most telling first: a boundary on the river bank is the
#: river's even if a road runs beside it.
PRIORITY = ("river", "primary", "secondary", "branch", "lane")

#: Units of the districts (streets, communities …) measured again; all when ``:area`` is NULL.
_UNITS = """
SELECT u.id FROM base_unit u JOIN community c ON c.id = u.community_id
WHERE CAST(:area AS text[]) IS NULL OR {area}
"""

#: The area's units and every unit whose box meets theirs: an edge with one unit inside the area
#: and one outside it is the area's too.
_NEIGHBOURHOOD = """
WITH inside AS ({units}),
box AS (
    SELECT ST_Extent(u.geom)::geometry AS b FROM base_unit u WHERE u.id IN (SELECT id FROM inside)
)
SELECT u.id, u.id IN (SELECT id FROM inside) AS inside, u.geom
FROM base_unit u, box WHERE u.geom && box.b
"""

_IN_AREA = "(e.unit_a IN ({units}) OR e.unit_b IN ({units}))"

_CUT = """
UPDATE unit_edge e
SET geom = ST_Multi(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 2))
FROM base_unit a, base_unit b
WHERE a.id = e.unit_a AND b.id = e.unit_b AND e.geom IS NULL AND {in_area}
"""

#: Roads and rivers cut into short pieces: a probe then meets a few small boxes of the index
#: instead of the whole river's, and measures its distance to a few segments.
_PIECES = """
CREATE TEMP TABLE tmp_feature ON COMMIT DROP AS
SELECT kind, ST_Subdivide(geom, 8) AS geom FROM linear_feature
"""

_CLASSIFY = """
WITH edge AS MATERIALIZED (
    SELECT e.unit_a, e.unit_b, e.geom FROM unit_edge e WHERE {in_area}
),
part AS (
    SELECT e.unit_a, e.unit_b, d.geom, ST_Length(d.geom) AS len
    FROM edge e CROSS JOIN LATERAL ST_Dump(ST_LineMerge(e.geom)) AS d
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
UPDATE unit_edge u SET kind = coalesce(b.kind, 'none')
FROM edge e LEFT JOIN best b ON b.unit_a = e.unit_a AND b.unit_b = e.unit_b
WHERE u.unit_a = e.unit_a AND u.unit_b = e.unit_b
"""


def _params(area: Sequence[str] | None) -> dict[str, list[str] | None]:
    return {"area": list(area) if area is not None else None}


def measure_unit_edges(conn: Connection, area: Sequence[str] | None = None) -> int:
    """Measure again which units of ``area`` share a boundary and how long (metres); returns the
    number of edges. ``area``: codes (district, street …) whose units are measured (an edge with
    one unit inside counts); None: every unit. Their judgement is dropped with them: call
    :func:`judge_unit_edges` next (:func:`refresh_unit_edges` does both)."""
    units = _UNITS.format(area=area_filter("c.code"))
    params = _params(area)
    frame = gpd.read_postgis(
        text(_NEIGHBOURHOOD.format(units=units)), conn, geom_col="geom", params=params
    )
    conn.execute(text(f"DELETE FROM unit_edge e WHERE {_IN_AREA.format(units=units)}"), params)
    if frame.empty:
        return 0
    i, j, metres = shared_boundaries(frame)
    inside = frame["inside"].to_numpy(dtype=bool)
    keep = inside[i] | inside[j]
    ids = frame["id"].to_numpy(dtype=np.int64)
    a, b = ids[i[keep]], ids[j[keep]]
    conn.execute(
        text(
            "INSERT INTO unit_edge (unit_a, unit_b, length_m) SELECT * FROM unnest("
            "CAST(:a AS int[]), CAST(:b AS int[]), CAST(:m AS float8[]))"
        ),
        {
            "a": np.minimum(a, b).tolist(),
            "b": np.maximum(a, b).tolist(),
            "m": metres[keep].tolist(),
        },
    )
    return int(keep.sum())


def judge_unit_edges(conn: Connection, area: Sequence[str] | None = None) -> int:
    """Say what each measured edge of ``area`` runs along; returns the number judged (0, with
    every kind NULL, where no road or river is known there). Inside the caller's transaction."""
    units = _UNITS.format(area=area_filter("c.code"))
    in_area = _IN_AREA.format(units=units)
    params = _params(area)
    lines = conn.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM linear_feature f JOIN district c "
            "ON c.id = f.district_id WHERE CAST(:area AS text[]) IS NULL OR "
            f"{area_filter('c.code')})"
        ),
        params,
    ).scalar_one()
    if not lines:
        conn.execute(text(f"UPDATE unit_edge e SET kind = NULL WHERE {in_area}"), params)
        return 0
    conn.execute(text(_CUT.format(in_area=in_area)), params)
    conn.execute(text("DROP TABLE IF EXISTS tmp_feature"))
    conn.execute(text(_PIECES))
    conn.execute(text("CREATE INDEX ON tmp_feature USING gist (geom)"))
    conn.execute(text("ANALYZE tmp_feature"))
    count = conn.execute(
        text(_CLASSIFY.format(in_area=in_area)),
        params | {"tol": TOLERANCE_DEG, "priority": list(PRIORITY)},
    ).rowcount
    conn.execute(text("DROP TABLE tmp_feature"))
    return int(count)


def refresh_unit_edges(conn: Connection, area: Sequence[str] | None = None) -> int:
    """Measure the units' shared boundaries of ``area`` again and judge them; returns the number
    judged. Run after a load or an import of units, before the grids' pieces are counted."""
    measure_unit_edges(conn, area)
    return judge_unit_edges(conn, area)
