"""How long the party queries take on the sample city: coverage, lists, the coverage map,
suggestions and the field view — p50 and p95 over repeated runs.

Suggestions are also timed the naive way (every member in scope sorted by exact geography
distance, no index), the peer the KNN walk of ``ix_party_member_geog`` is there to beat; both
must name the same nearest members.

Needs PostGIS with the sample city loaded (`gridmap load-sample`, or GRIDMAP_DATABASE_URL).

    python bench/party.py [--repeat 20] [--buildings 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from gis.access import Access
from gis.geojson import BBox
from gis.infra.db import make_engine, resolve_url
from gis.infra.settings import load_settings
from gis.party import coverage, coverage_geojson, field_view, suggest_leaders, uncovered
from gis.scope import Scope

ACTOR = "system:bench"
NAIVE_SQL = """
    WITH t AS (SELECT geom::geography AS geog FROM building WHERE code = :b)
    SELECT m.code, round(ST_Distance(m.geom::geography, t.geog)::numeric, 1)::float AS d
    FROM party_member m, t
    WHERE (SELECT count(DISTINCT coalesce(a.building_id, e.building_id)) FROM assignment a
           LEFT JOIN building_entrance e ON e.id = a.entrance_id
           WHERE a.member_id = m.id AND a.role IN ('building_leader', 'unit_leader')
             AND (a.ends_on IS NULL OR a.ends_on >= current_date)) < :cap
    ORDER BY d, m.code LIMIT :k
"""


def percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def run(fn: Callable[[Any], Any], inputs: list[Any]) -> tuple[float, float]:
    times = []
    for item in inputs:
        start = time.perf_counter()
        fn(item)
        times.append(time.perf_counter() - start)
    return percentiles(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="runs of each whole-scope query")
    parser.add_argument("--buildings", type=int, default=50, help="buildings to suggest for")
    args = parser.parse_args()
    settings = load_settings()
    engine = make_engine(resolve_url(settings))
    cap = settings.party_max_buildings
    with engine.connect() as conn:
        counts = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM building), (SELECT count(*) FROM party_member), "
                "(SELECT count(*) FROM assignment), (SELECT count(*) FROM incident)"
            )
        ).one()
        targets = list(
            conn.execute(
                text(
                    "SELECT b.code FROM building b JOIN base_unit u ON u.id = b.base_unit_id "
                    "JOIN community c ON c.id = u.community_id WHERE c.code LIKE '361002%' "
                    "AND NOT EXISTS (SELECT 1 FROM assignment a WHERE a.building_id = b.id) "
                    "ORDER BY md5(b.code) LIMIT :n"
                ),
                {"n": args.buildings},
            ).scalars()
        )
        grids = list(
            conn.execute(
                text(
                    "SELECT g.code FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
                    "WHERE l.code = 'unified' AND g.code LIKE '3610%' ORDER BY md5(g.code) "
                    "LIMIT :n"
                ),
                {"n": args.buildings},
            ).scalars()
        )
        district = Scope.district("361002")
        community = Scope.community(grids[0][:12])
        bbox = BBox(116.33, 27.96, 116.37, 27.99)  # central Linchuan, ~4 km × 3 km
        rep = list(range(args.repeat))
        rows: list[tuple[str, str, tuple[float, float]]] = []

        def add(name: str, scope: str, fn: Callable[[Any], Any], inputs: list[Any]) -> None:
            fn(inputs[0])  # warm the caches once
            rows.append((name, scope, run(fn, inputs)))

        for by in ("street", "community", "grid"):
            add(f"coverage by {by}", "city", lambda _, b=by: coverage(conn, by=b), rep)
        add(
            "coverage by community",
            "district",
            lambda _: coverage(conn, access=Access.system(scope=district)),
            rep,
        )
        add(
            "coverage by grid",
            "community",
            lambda _: coverage(conn, by="grid", access=Access.system(scope=community)),
            rep,
        )
        add(
            "uncovered buildings, page 100",
            "city",
            lambda _: uncovered(conn, "building", access=Access.system(ACTOR)),
            rep,
        )
        add(
            "members with no role, page 100",
            "district",
            lambda _: uncovered(conn, "member", access=Access.system(ACTOR, scope=district)),
            rep,
        )
        system = Access.system(ACTOR)
        add("coverage map, buildings in bbox", "city",
            lambda _: coverage_geojson(conn, "buildings", bbox=bbox, access=system),
            rep)  # fmt: skip
        add(
            "coverage map, all grids",
            "city",
            lambda _: coverage_geojson(conn, "grids", access=Access.system(ACTOR)),
            rep,
        )
        for label, scope in (("city", Scope.city()), ("district", district)):
            add("suggest 5 (KNN <-> geography)", label,
                lambda b, s=scope: suggest_leaders(
                    conn, b, max_buildings=cap, access=Access.system(ACTOR, scope=s)),
                targets)  # fmt: skip
        add("suggest 5, naive full sort (peer)", "city",
            lambda b: conn.execute(text(NAIVE_SQL), {"b": b, "cap": cap, "k": 5}).all(),
            targets)  # fmt: skip
        add(
            "field view of one grid",
            "grid",
            lambda g: field_view(conn, g, access=Access.system(ACTOR)),
            grids,
        )

        # The KNN answer must be the naive one (same members, same distances).
        same = 0
        for b in targets:
            ours = suggest_leaders(conn, b, max_buildings=cap, access=Access.system(ACTOR))["items"]
            naive = conn.execute(text(NAIVE_SQL), {"b": b, "cap": cap, "k": 5}).all()
            same += [round(i["distance_m"], 1) for i in ours] == [r.d for r in naive]

    load = os.getloadavg()[0]
    print(
        f"sample city: {counts[0]:,} buildings, {counts[1]:,} members, {counts[2]:,} "
        f"assignments, {counts[3]:,} incidents; load average {load:.2f}"
    )
    print(f"{'query':36} {'scope':9} {'p50 ms':>8} {'p95 ms':>8}")
    for name, scope, (p50, p95) in rows:
        print(f"{name:36} {scope:9} {p50 * 1000:8.1f} {p95 * 1000:8.1f}")
    print(f"KNN suggestions equal to the naive full sort: {same}/{len(targets)} buildings")


if __name__ == "__main__":
    main()
