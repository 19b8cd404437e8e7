"""Grid editor latency: moves of 1, 20 and 200 base units on the sample city, over the API.

Each trial takes random units of the unified layer and moves them, community by community,
into another grid of their own community (one edit, ``moves: [{units, to}, …]``: a 200-unit
move spans several communities, as the sample's communities hold 8–56 units). It is timed as a
dry run (the preview), as applied, and as undone (which also puts the city back). Requests go
through the real app in process (FastAPI TestClient, bearer token), into PostGIS.

By default the script starts a throwaway PostGIS cluster in a temporary directory, loads the
sample city and drops everything at the end; ``--database-url`` uses a database that already
holds the sample city instead (it is left as it was: every move is undone).

    python bench/editor.py [--trials 40] [--sizes 1,20,200] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from scratch_city import sample_city_database
from sqlalchemy import Engine, text

from api.app import create_app
from gis.access import Access
from gis.accounts import Role, create_user
from gis.infra.db import make_engine
from gis.infra.settings import load_settings
from gis.scope import Scope

BENCH_USER = "bench-editor"
BENCH_PASSWORD = "quiet-harbour-lantern-0123"
SECRET = "bench-editor-secret-key-0123456789abcdefgh"


def _plan(engine: Engine) -> dict[str, list[tuple[str, str]]]:
    """Community code → [(unit code, grid code)] of the unified layer."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.code, u.code, g.code FROM grid_unit gu "
                "JOIN grid_layer l ON l.id = gu.layer_id AND l.code = 'unified' "
                "JOIN grid g ON g.id = gu.grid_id JOIN base_unit u ON u.id = gu.unit_id "
                "JOIN community c ON c.id = u.community_id"
            )
        ).all()
    plan: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for community, unit, grid in rows:
        plan[community].append((unit, grid))
    return plan


def _moves(plan: dict[str, list[tuple[str, str]]], size: int, rng: random.Random) -> list[dict]:
    """``size`` units in groups by community, each group into a grid of its community."""
    moves, left = [], size
    communities = [c for c in plan if len({g for _, g in plan[c]}) > 1]
    rng.shuffle(communities)
    for community in communities:
        if left == 0:
            break
        members = plan[community]
        target = rng.choice(sorted({g for _, g in members}))
        candidates = [u for u, g in members if g != target]
        take = rng.sample(candidates, min(left, len(candidates), max(1, len(members) // 2)))
        moves.append({"units": take, "to": target})
        left -= len(take)
    return moves


def _timed(client: TestClient, path: str, body: dict[str, Any]) -> tuple[float, dict]:
    start = time.perf_counter()
    response = client.post(path, json=body)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{path} → {response.status_code}: {response.text[:300]}")
    return elapsed, response.json()


def _views(client: TestClient, engine: Engine, trials: int) -> list[tuple[str, int, list[float]]]:
    """What the page loads: the whole city's grids zoomed out (simplified) and in full, and the
    units of a zoom-15 view (about 2 × 1.5 km) in the city centre."""
    with engine.connect() as conn:
        w, s, e, n, x, y = conn.execute(
            text(
                "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b), ST_X(c), ST_Y(c) FROM "
                "(SELECT ST_Extent(geom)::geometry AS b, ST_Centroid(ST_Collect(geom)) AS c "
                "FROM grid g JOIN grid_layer l ON l.id = g.layer_id AND l.code = 'unified' "
                "WHERE starts_with(g.code, '3610')) q"
            )
        ).one()
    city = f"{w},{s},{e},{n}"
    centre = f"{x - 0.01},{y - 0.0075},{x + 0.01},{y + 0.0075}"
    cases = [
        (
            "grids, whole city, zoom 11",
            "/layers/unified/editor/grids",
            {"bbox": city, "tolerance": 0.00016},
        ),
        ("grids, whole city, full detail", "/layers/unified/editor/grids", {"bbox": city}),
        ("units, zoom-15 view", "/layers/unified/units", {"bbox": centre}),
    ]
    out = []
    for label, path, params in cases:
        times, count = [], 0
        for _ in range(max(5, trials // 4)):
            start = time.perf_counter()
            response = client.get(path, params=params)
            times.append((time.perf_counter() - start) * 1000)
            count = len(response.json()["features"])
        out.append((label, count, sorted(times)))
    return out


def run(url: str, trials: int, sizes: list[int], seed: int) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM app_user WHERE username = :u"), {"u": BENCH_USER})
        create_user(
            conn,
            username=BENCH_USER,
            password=BENCH_PASSWORD,
            role=Role.ADMIN,
            scope=Scope.city(),
            access=Access.system("system:bench"),
        )
    plan = _plan(engine)
    settings = load_settings(database_url=url, secret_key=SECRET, data_dir=Path(tempfile.mkdtemp()))
    rng = random.Random(seed)
    times: dict[tuple[int, str], list[float]] = defaultdict(list)
    touched: dict[int, list[int]] = defaultdict(list)
    with TestClient(create_app(settings)) as client:
        login = client.post(
            "/auth/login", json={"username": BENCH_USER, "password": BENCH_PASSWORD}
        )
        client.headers["Authorization"] = f"Bearer {login.json()['token']}"
        version = client.get("/layers/unified").json()["version"]
        for size in sizes:
            for _ in range(trials):
                moves = _moves(plan, size, rng)
                body = {"moves": moves, "version": version, "confirm": True}
                t, _ = _timed(client, "/layers/unified/edits", body | {"dry_run": True})
                times[(size, "dry run")].append(t)
                t, done = _timed(client, "/layers/unified/edits", body)
                times[(size, "apply")].append(t)
                touched[size].append(len(done["grids"]))
                t, undone = _timed(client, "/layers/unified/undo", {"version": done["version"]})
                times[(size, "undo")].append(t)
                version = undone["version"]
                assert done["moved"] == sum(len(m["units"]) for m in moves)
        views = _views(client, engine, trials)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM app_user WHERE username = :u"), {"u": BENCH_USER})
    engine.dispose()

    load = os.getloadavg()
    print(f"grid editor over the API, unified layer of the sample city, {trials} edits per row")
    print("(grids: mean number of grids one edit touches)")
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(
        f"{'units':>5} | {'grids':>5} | {'operation':9} | {'p50 ms':>7} | {'p95 ms':>7} | "
        f"{'max ms':>7}"
    )
    print("-" * 58)
    for (size, op), values in times.items():
        values = sorted(values)
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        grids = statistics.mean(touched[size])
        print(
            f"{size:>5} | {grids:5.0f} | {op:9} | {statistics.median(values):7.1f} | "
            f"{p95:7.1f} | {values[-1]:7.1f}"
        )
    _print_views(views)


def _print_views(views: list[tuple[str, int, list[float]]]) -> None:
    print()
    print(f"{'what the page loads':32} | {'features':>8} | {'p50 ms':>7} | {'max ms':>7}")
    print("-" * 64)
    for label, count, values in views:
        print(f"{label:32} | {count:8} | {statistics.median(values):7.1f} | {values[-1]:7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--sizes", default="1,20,200")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=os.environ.get("GRIDMAP_BENCH_DATABASE_URL"))
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.database_url:
        run(args.database_url, args.trials, sizes, args.seed)
        return
    with sample_city_database() as url:
        run(url, args.trials, sizes, args.seed)


if __name__ == "__main__":
    main()
