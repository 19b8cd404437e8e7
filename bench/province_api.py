"""API latency at province scale (issue 18): p50/p95 of what the provincial office and the editor
ask, against a generated Jiangxi package loaded into a throwaway PostGIS.

Goals (p95): layer list and figures ≤ 500 ms, one grid ≤ 100 ms, a community's grids ≤ 300 ms,
the editor's preview (a dry-run move) on a grid inside the province-sized database ≤ 300 ms.

Requests go through the real app in process (FastAPI TestClient, bearer token), into PostGIS;
the provincial office's user has a ``province:36`` scope, the editor's an administrator's.

    python bench/province_api.py                      # --scale 0.2: generate + load ≈ 2 min
    python bench/province_api.py --scale 1 --trials 40
    python bench/province_api.py --database-url URL   # a database already holding a province
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api.app import create_app
from gis.access import Access
from gis.accounts import Role, create_user
from gis.infra.db import make_engine, migrate
from gis.infra.pgcluster import Cluster
from gis.infra.settings import load_settings
from gis.loader import load_city
from gis.scope import Scope

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "quiet-harbour-lantern-0123"
SECRET = "bench-province-secret-key-0123456789abcdef"
USERS = {"bench-province": (Role.PROVINCE, Scope.province("36")),
         "bench-admin": (Role.ADMIN, Scope.city())}  # fmt: skip


@contextmanager
def province_database(scale: float, seed: int) -> Iterator[str]:
    """A scratch PostGIS holding a generated province at ``scale``."""
    sys.path.insert(0, str(ROOT / "data"))
    from provincegen.package import generate, write_package

    with tempfile.TemporaryDirectory(prefix="gridmap-province-api-") as tmp:
        cluster = Cluster(Path(tmp) / "pg", fast=True)
        cluster.start()
        try:
            url = cluster.url()
            migrate(url)
            started = time.perf_counter()
            package = Path(tmp) / "province.gpkg"
            write_package(generate(scale=scale, seed=seed), package)
            generated = time.perf_counter() - started
            engine = make_engine(url)
            load_city(engine, package, access=Access.system())
            engine.dispose()
            print(f"(scale {scale}: generated in {generated:.0f} s, loaded in "
                  f"{time.perf_counter() - started - generated:.0f} s)")  # fmt: skip
            yield url
        finally:
            cluster.destroy()


def _users(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM app_user WHERE username = ANY(:u)"), {"u": list(USERS)})
        for name, (role, scope) in USERS.items():
            create_user(conn, username=name, password=PASSWORD, role=role, scope=scope,
                        access=Access.system("system:bench"))  # fmt: skip


def _client(app: Any, username: str) -> TestClient:
    client = TestClient(app)
    token = client.post("/auth/login", json={"username": username, "password": PASSWORD})
    client.headers["Authorization"] = f"Bearer {token.json()['token']}"
    return client


def _samples(engine: Engine, n: int) -> dict[str, Any]:
    """Random grids, communities, a county and one-unit moves of the unified layer."""
    with engine.connect() as conn:
        grids = (
            conn.execute(
                text(
                    "SELECT g.code FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
                    "WHERE l.code = 'unified' ORDER BY random() LIMIT :n"
                ),
                {"n": n},
            )
            .scalars()
            .all()
        )
        communities = (
            conn.execute(text("SELECT code FROM community ORDER BY random() LIMIT :n"), {"n": n})
            .scalars()
            .all()
        )
        county = conn.execute(
            text(
                "SELECT left(c.code, 6) FROM community c GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
            )
        ).scalar_one()
        # a unit and another grid of its community (what a planner drags in the editor)
        moves = conn.execute(text(
            """SELECT u.code, other.code FROM base_unit u
               JOIN grid_unit gu ON gu.unit_id = u.id
               JOIN grid_layer l ON l.id = gu.layer_id AND l.code = 'unified'
               JOIN grid g ON g.id = gu.grid_id
               JOIN LATERAL (SELECT o.code FROM grid o WHERE o.layer_id = l.id
                             AND o.community_id = g.community_id AND o.id <> g.id LIMIT 1) other
                 ON true
               WHERE g.unit_count > 1 ORDER BY random() LIMIT :n"""), {"n": n}).all()  # fmt: skip
        # the tile holding each sampled grid's centre at z13 (distinct tiles: each is made, not
        # served from the cache — what a planner pays panning into a new area)
        tiles = conn.execute(text(
            """SELECT DISTINCT ON (x, y) 13, x, y FROM (
                 SELECT floor((ST_X(c) + 180) / 360 * 8192)::int AS x,
                        floor((1 - ln(tan(radians(ST_Y(c))) + 1 / cos(radians(ST_Y(c)))) / pi())
                              / 2 * 8192)::int AS y
                 FROM (SELECT ST_PointOnSurface(g.geom) AS c FROM grid g
                       WHERE g.code = ANY(:codes) AND g.geom IS NOT NULL) p) t"""),
            {"codes": list(grids)}).all()  # fmt: skip
    return {"grids": grids, "communities": communities, "county": county, "moves": moves,
            "tiles": tiles}  # fmt: skip


def _time(call: Callable[[], Any], trials: int) -> list[float]:
    times = []
    for _ in range(trials):
        start = time.perf_counter()
        response = call()
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code not in (200, 204):  # 204: a tile with nothing in it
            raise SystemExit(f"{response.request.url} → {response.status_code}: {response.text}")
    return sorted(times)


def _p(times: list[float], q: float) -> float:
    return times[min(len(times) - 1, math.ceil(q * len(times)) - 1)]


def run(url: str, trials: int, seed: int) -> None:
    engine = make_engine(url)
    _users(engine)
    with engine.begin() as conn:  # the same sample for the same seed
        conn.execute(text("SELECT setseed(:s)"), {"s": (seed % 1000) / 1000})
    s = _samples(engine, trials)
    counts = {}
    with engine.connect() as conn:
        for table in ("district", "community", "base_unit", "grid", "incident", "party_member"):
            counts[table] = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
        counts["database MB"] = conn.execute(
            text("SELECT pg_database_size(current_database()) / 1048576")
        ).scalar_one()
    settings = load_settings(database_url=url, secret_key=SECRET, data_dir=Path(tempfile.mkdtemp()))
    app = create_app(settings)
    rows = []
    with TestClient(app):
        office, admin = _client(app, "bench-province"), _client(app, "bench-admin")
        version = admin.get("/layers/unified").json()["version"]
        tilejson = office.get("/tiles/grids.unified.json").json()["tiles"][0]
        path = tilejson[tilejson.index("/tiles/") :].split("?")[0]
        it = {k: iter(v * 2) for k, v in s.items() if isinstance(v, list)}
        cases: list[tuple[str, str, Callable[[], Any]]] = [
            ("layer list (province)", "500", lambda: office.get("/layers")),
            ("figures by city", "500", lambda: office.get("/rollups", params={"by": "city"})),
            ("figures by county", "500", lambda: office.get("/rollups", params={"by": "district"})),
            ("figures by street, one county", "500",
             lambda: office.get("/rollups", params={"by": "street", "within": s["county"]})),
            ("incident figures by community", "500",
             lambda: office.get("/incidents/figures", params={"by": "community"})),
            ("one grid", "100", lambda: office.get(f"/layers/unified/grids/{next(it['grids'])}")),
            ("a community's grids", "300", lambda: office.get(
                "/layers/unified/grids", params={"community": next(it["communities"])})),
            ("a grid tile z13, made (not cached)", "–", lambda: office.get(
                path.format_map(dict(zip("zxy", next(it["tiles"]), strict=True))))),
            ("editor preview (1-unit dry run)", "300", lambda: admin.post(
                "/layers/unified/edits", json=_move(next(it["moves"]), version))),
        ]  # fmt: skip
        for label, goal, call in cases:
            call()  # warm: plans cached, pages in shared buffers
            times = _time(call, trials)
            rows.append((label, goal, _p(times, 0.5), _p(times, 0.95), times[-1]))
    engine.dispose()
    print(", ".join(f"{k} {v:,}" for k, v in counts.items()) + f"; {trials} trials each")
    print(f"{'request':<34} {'goal':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  ok")
    for label, goal, p50, p95, worst in rows:
        ok = "–" if goal == "–" else "yes" if p95 <= float(goal) else "NO"
        goal = goal if goal == "–" else "≤" + goal
        print(f"{label:<34} {goal:>6} {p50:>8.1f} {p95:>8.1f} {worst:>8.1f}  {ok}")


def _move(move: tuple[str, str], version: int) -> dict[str, Any]:
    unit, to = move
    return {"moves": [{"units": [unit], "to": to}], "version": version, "dry_run": True,
            "confirm": True}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--seed", type=int, default=36)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    if args.database_url:
        run(args.database_url, args.trials, args.seed)
        return
    with province_database(args.scale, args.seed) as url:
        run(url, args.trials, args.seed)


if __name__ == "__main__":
    main()
