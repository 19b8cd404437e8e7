"""Suggest in the editor (POST /layers/unified/suggest) on the sample city, beside the scenario
repair of the same community.

For a random sample of communities with at least two unified grids, the editor's Suggest is
timed over the API (in process, bearer token) with the dry run of its first alternative — what a
planner waits for before seeing a preview (goal: p95 ≤ 300 ms for a community). The peer is the
optimizer's repair of that community alone (``optimize(..., band, from_plan=today)``, what a
scenario run does to it), timed in process on the same graph. Both are scored the same way:
grids in band after, units moved.

    python bench/suggest.py [--communities 60] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from scratch_city import sample_city_database
from sqlalchemy import text

from api.app import create_app
from gis.access import Access
from gis.accounts import Role, create_user
from gis.errors import Infeasible
from gis.infra.db import make_engine
from gis.infra.settings import load_settings
from gis.optimizer import optimize
from gis.optimizer.io import read_units
from gis.scope import Scope

BENCH_USER = "bench-suggest"
BENCH_PASSWORD = "quiet-harbour-lantern-0123"
SECRET = "bench-suggest-secret-key-0123456789abcdefgh"


def _p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]


def run(url: str, communities: int, seed: int) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM app_user WHERE username = :u"), {"u": BENCH_USER})
        create_user(
            conn, username=BENCH_USER, password=BENCH_PASSWORD, role=Role.ADMIN,
            scope=Scope.city(), access=Access.system("system:bench"),
        )  # fmt: skip
        codes = list(
            conn.execute(
                text(
                    "SELECT c.code FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
                    "JOIN community c ON c.id = g.community_id WHERE l.code = 'unified' "
                    "GROUP BY c.code HAVING count(*) >= 2 ORDER BY c.code"
                )
            ).scalars()
        )
    chosen = random.Random(seed).sample(codes, min(communities, len(codes)))
    settings = load_settings(database_url=url, secret_key=SECRET, data_dir=Path(tempfile.mkdtemp()))
    band = (settings.band_low, settings.band_high)
    rows = []
    with TestClient(create_app(settings)) as client:
        login = client.post(
            "/auth/login", json={"username": BENCH_USER, "password": BENCH_PASSWORD}
        )
        client.headers["Authorization"] = f"Bearer {login.json()['token']}"
        for code in chosen:
            started = time.perf_counter()
            found = client.post("/layers/unified/suggest", json={"community": code}).json()
            asked = time.perf_counter() - started
            best = found["suggestions"][0] if found["suggestions"] else None
            previewed = 0.0
            if best:
                body = {"moves": best["moves"], "version": found["version"], "dry_run": True}
                started = time.perf_counter()
                client.post("/layers/unified/edits", json=body).raise_for_status()
                previewed = time.perf_counter() - started
            units = read_units(
                f"db:{code}", id_column="code", workload_column="workload",
                group_column="community_code", engine=engine, weights=settings.weights,
                min_shared=settings.min_shared_m,
            )  # fmt: skip
            started = time.perf_counter()
            try:
                report = optimize(
                    units.graph, band=band, seed=7, workers=1,
                    from_plan=[str(x) for x in units.column("unified_grid")],
                ).report  # fmt: skip
                repair = (round(report.share_in_band * report.count), report.count,
                          report.units_moved or 0)  # fmt: skip
            except Infeasible:  # no count fits the band (575 households): it leaves it as it is
                repair = (found["in_band"], found["grids"], 0)
            repaired = time.perf_counter() - started
            rows.append((code, found, best, asked, previewed, repair, repaired))
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM app_user WHERE username = :u"), {"u": BENCH_USER})
    engine.dispose()
    _print(rows)


def _print(rows: list[tuple]) -> None:
    load = os.getloadavg()
    print(f"Suggest on {len(rows)} communities of the sample city (unified layer, band 300–500)")
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    suggest_ms = [1000 * (r[3] + r[4]) for r in rows]
    repair_ms = [1000 * r[6] for r in rows]
    grids = sum(r[1]["grids"] for r in rows)
    before = sum(r[1]["in_band"] for r in rows)
    after_s = sum(r[2]["in_band_after"] if r[2] else r[1]["in_band"] for r in rows)
    grids_s = sum(r[2]["grids_after"] if r[2] else r[1]["grids"] for r in rows)
    moved_s = sum(r[2]["units_moved"] if r[2] else 0 for r in rows)
    after_r = sum(r[5][0] for r in rows)
    grids_r = sum(r[5][1] for r in rows)
    moved_r = sum(r[5][2] for r in rows)
    print(f"today: {before} of {grids} grids in band")
    print(f"{'method':34} | {'p50 ms':>7} | {'p95 ms':>7} | {'in band after':>16} | {'moved':>6}")
    print("-" * 82)
    for name, ms, inb, cnt, moved in (
        ("Suggest, best + its preview (API)", suggest_ms, after_s, grids_s, moved_s),
        ("scenario repair of the community", repair_ms, after_r, grids_r, moved_r),
    ):
        share = f"{inb}/{cnt} ({inb / cnt:.0%})"
        print(
            f"{name:34} | {statistics.median(ms):7.1f} | {_p95(ms):7.1f} | {share:>16} | {moved:6}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communities", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=os.environ.get("GRIDMAP_BENCH_DATABASE_URL"))
    args = parser.parse_args()
    if args.database_url:
        run(args.database_url, args.communities, args.seed)
        return
    with sample_city_database() as url:
        run(url, args.communities, args.seed)


if __name__ == "__main__":
    main()
