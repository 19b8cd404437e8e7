"""What grid boundaries run along, on the sample city: the unit-edge way against the direct one.

Gridmap judges every shared unit boundary once (``gis.boundaries.refresh_unit_edges``: pairs of
units, their common line, three probes per edge against the roads and the river) and then sums
``unit_edge`` rows per layer. The peer is the direct geometric way (the textbook one): the
layer's grid boundary as the union of its grids' boundaries minus the city's outline, cut with
each kind's roads buffered by the same tolerance, measured. Both run in the same PostGIS on the
same data; the table shows their time and their shares side by side.

    python bench/streets.py [--database-url URL] [--layers unified,zongzhi] [--area 361002]
"""

from __future__ import annotations

import argparse
import statistics
import time

from sqlalchemy import Connection, text

from gis.boundaries import boundary_shares
from gis.infra.db import make_engine, resolve_url
from gis.infra.settings import load_settings
from gis.unit_edges import PRIORITY, TOLERANCE_DEG, refresh_unit_edges

#: The direct way for one layer over one area: grid boundary lines, then per kind the length
#: inside the buffered roads of that kind (a stretch near two kinds goes to the first in
#: PRIORITY, as in gis.boundaries).
PEER = """
WITH units AS (
    SELECT u.id, u.geom FROM base_unit u JOIN community c ON c.id = u.community_id
    WHERE starts_with(c.code, :area)
),
grids AS (
    SELECT gu.grid_id, ST_Union(u.geom) AS geom FROM grid_unit gu JOIN units u ON u.id = gu.unit_id
    WHERE gu.layer_id = (SELECT id FROM grid_layer WHERE code = :layer) GROUP BY gu.grid_id
),
outline AS (SELECT ST_Boundary(ST_Union(geom)) AS geom FROM units),
lines AS (
    SELECT ST_Difference(ST_Union(ST_Boundary(g.geom)), ST_Buffer(o.geom, 1e-7)) AS geom
    FROM grids g, outline o GROUP BY o.geom
),
zones AS (
    SELECT f.kind, ST_Union(ST_Buffer(f.geom, :tol)) AS geom FROM linear_feature f, lines l
    WHERE ST_DWithin(f.geom, l.geom, :tol) GROUP BY f.kind
)
SELECT z.kind, ST_Length(ST_Intersection(l.geom, z.geom)::geography) AS metres,
       ST_Length(l.geom::geography) AS total
FROM zones z, lines l
"""


def _timed(fn, runs: int = 3):  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _peer(conn: Connection, layer: str, area: str) -> dict[str, float]:
    rows = conn.execute(text(PEER), {"layer": layer, "area": area, "tol": TOLERANCE_DEG}).all()
    if not rows:
        return {}
    total = rows[0].total
    covered = {r.kind: r.metres for r in rows}
    # Overlapping buffers count a stretch twice; the share by priority is an upper bound.
    out = {k: covered.get(k, 0.0) / total for k in PRIORITY}
    out["km"] = total / 1000
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--layers", default="unified,zongzhi,chengguan")
    parser.add_argument("--area", default="361002")
    args = parser.parse_args()
    layers = args.layers.split(",")
    engine = make_engine(args.database_url or resolve_url(load_settings()))
    with engine.connect() as conn:
        edges = conn.execute(text("SELECT count(*) FROM unit_edge")).scalar_one()
        seconds, _ = _timed(lambda: refresh_unit_edges(conn))
        conn.rollback()  # measured, not kept
        print(f"refresh_unit_edges: {edges:,} edges judged, median of 3 {seconds:.2f} s")  # noqa: T201
        for area in (None, [args.area]):
            s, _ = _timed(lambda a=area: boundary_shares(conn, layers, a), runs=5)
            shown = "whole city" if area is None else area[0]
            print(f"boundary_shares of {len(layers)} layers, {shown}: median {s * 1000:.0f} ms")  # noqa: T201
        ours = boundary_shares(conn, layers, [args.area])
        header = f"{'layer':<10} {'way':<9} {'km':>7} {'secs':>6} " + " ".join(
            f"{k:>9}" for k in (*PRIORITY, "none")
        )
        print(header)  # noqa: T201
        for layer in layers:
            o = ours[layer]
            cells = " ".join(f"{getattr(o, k):>9.1%}" for k in (*PRIORITY, "none"))
            print(f"{layer:<10} {'unit_edge':<9} {o.length_km:>7.1f} {'':>6} {cells}")  # noqa: T201
            s, peer = _timed(lambda lay=layer: _peer(conn, lay, args.area), runs=1)
            rest = 1 - sum(peer.get(k, 0.0) for k in PRIORITY)
            cells = " ".join(f"{peer.get(k, 0.0):>9.1%}" for k in PRIORITY) + f" {rest:>9.1%}"
            print(f"{layer:<10} {'direct':<9} {peer.get('km', 0):>7.1f} {s:>6.1f} {cells}")  # noqa: T201


if __name__ == "__main__":
    main()
