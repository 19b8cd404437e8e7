"""The server under a mixed load of real users, with locust: throughput, p50/p95 and errors.

A scratch PostGIS with the sample city, three users (county staff and a planner of 临川区, a
field worker of one of its grids) and ``gridmap serve`` in its own process, exactly as deployed.
Then locust (bench/load_mixed_users.py) plays 50, 200 and 500 concurrent users, each clicking
every 0.5–1.5 s: map views (the layer list and a community's grids), one grid, incident figures,
editor previews and applies, the field worker's grid page and ``/auth/me``.

Saturation is answered with ``503`` and ``Retry-After`` by the admission gate (api/capacity.py);
the table counts those apart from real errors. Needs locust: ``pip install -e '.[bench]'``.

Every level runs twice, side by side: with remembered answers (gis.infra.answers: the layer list
and incident figures served again until the data change) and with every answer computed.

    python bench/load_mixed.py [--users 50,200,500] [--seconds 30] [--database-url URL]
                               [--workers N] [--think LOW:HIGH] [--answer-cache on,off]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from scratch_city import sample_city_database
from sqlalchemy import Engine, text

from gis.access import Access
from gis.accounts import Role, SessionPolicy, create_user, get_user, open_session
from gis.infra.db import make_engine
from gis.scope import Scope

HERE = Path(__file__).resolve().parent
SECRET = "bench-load-secret-key-0123456789abcdefghijk"
PASSWORD = "quiet-harbour-lantern-0123"
DISTRICT = "361002"
POLICY = SessionPolicy(SECRET)


def _users_and_tokens(engine: Engine) -> dict[str, str]:
    """Role → bearer token of a committed session (users made if missing)."""
    with engine.begin() as conn:
        grid = conn.execute(
            text(
                "SELECT g.code FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
                "WHERE l.code = 'unified' AND g.community_count = 1 "
                "AND starts_with(g.code, :d) ORDER BY g.code LIMIT 1"
            ),
            {"d": DISTRICT},
        ).scalar_one()
        people = {
            "county": (Role.COUNTY, Scope.district(DISTRICT)),
            "planner": (Role.PLANNER, Scope.district(DISTRICT)),
            "worker": (Role.FIELD_WORKER, Scope.grid(grid)),
        }
        tokens = {}
        for role, (kind, scope) in people.items():
            name = f"load-{role}"
            exists = conn.execute(
                text("SELECT 1 FROM app_user WHERE username = :u"), {"u": name}
            ).first()
            if not exists:
                create_user(
                    conn,
                    username=name,
                    password=PASSWORD,
                    role=kind,
                    scope=scope,
                    access=Access.system("system:bench"),
                )
            session = open_session(conn, get_user(conn, name), policy=POLICY)
            tokens[role] = session.token
    return tokens


def _plan(engine: Engine, rng: random.Random) -> dict[str, Any]:
    """Codes the users ask for: communities, grids, and unit → other grid of its community."""
    with engine.connect() as conn:
        communities = list(
            conn.execute(
                text("SELECT code FROM community WHERE starts_with(code, :d) ORDER BY code"),
                {"d": DISTRICT},
            ).scalars()
        )
        rows = conn.execute(
            text(
                "SELECT c.code, u.code, g.code FROM grid_unit gu "
                "JOIN grid_layer l ON l.id = gu.layer_id AND l.code = 'unified' "
                "JOIN grid g ON g.id = gu.grid_id JOIN base_unit u ON u.id = gu.unit_id "
                "JOIN community c ON c.id = u.community_id WHERE starts_with(c.code, :d)"
            ),
            {"d": DISTRICT},
        ).all()
    by_community: dict[str, list[tuple[str, str]]] = {}
    for community, unit, grid in rows:
        by_community.setdefault(community, []).append((unit, grid))
    grids = sorted({g for _, _, g in rows})
    moves = []
    for members in by_community.values():
        community_grids = sorted({g for _, g in members})
        if len(community_grids) < 2:
            continue
        for unit, grid in rng.sample(members, min(4, len(members))):
            moves.append((unit, rng.choice([g for g in community_grids if g != grid])))
    return {"communities": communities, "grids": grids, "moves": moves}


@contextlib.contextmanager
def _server(
    url: str, data_dir: Path, slots: int | None, workers: int, answer_cache: bool = True
) -> Iterator[str]:
    """``gridmap serve`` in its own process, as deployed; yields its base URL."""
    with httpx.Client() as probe:
        port = 18000 + random.Random().randrange(1000)
        env = os.environ | {
            "GRIDMAP_DATABASE_URL": url,
            "GRIDMAP_SECRET_KEY": SECRET,
            "GRIDMAP_DATA_DIR": str(data_dir),
            "GRIDMAP_ANSWER_CACHE": "1" if answer_cache else "0",
        }
        if slots:
            env["GRIDMAP_REQUEST_SLOTS"] = str(slots)
        gridmap = Path(sys.executable).with_name("gridmap")
        proc = subprocess.Popen(
            [str(gridmap), "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                with contextlib.suppress(httpx.HTTPError):
                    if probe.get(f"{base}/health").status_code == 200:
                        break
                time.sleep(0.1)
            else:
                raise RuntimeError("the server did not start")
            yield base
        finally:
            proc.terminate()
            proc.wait(30)


def _run_locust(
    base: str, users: int, seconds: int, work: Path, plan: Path, think: str = "0.5:1.5"
) -> dict[str, Any]:
    prefix = work / f"u{users}"
    statuses = work / f"u{users}.json"
    locust = shutil.which("locust") or str(Path(sys.executable).with_name("locust"))
    subprocess.run(
        [
            locust,
            "-f",
            str(HERE / "load_mixed_users.py"),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(max(1, users // 5)),
            "--run-time",
            f"{seconds}s",
            "--host",
            base,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "ERROR",
        ],
        env=os.environ
        | {
            "GRIDMAP_LOAD_PLAN": str(plan),
            "GRIDMAP_LOAD_STATUSES": str(statuses),
            "GRIDMAP_LOAD_THINK": think,
        },
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with open(f"{prefix}_stats.csv", newline="") as f:
        rows = {r["Name"]: r for r in csv.DictReader(f)}
    counts = json.loads(statuses.read_text())
    with open(f"{prefix}_failures.csv", newline="") as f:
        errors = [
            (r["Name"], r["Error"], r["Occurrences"])
            for r in csv.DictReader(f)
            if "503" not in r["Error"]
        ]
    return {"all": rows.pop("Aggregated"), "rows": rows, "statuses": counts, "errors": errors}


def _table(results: dict[int, dict[str, Any]], label: str) -> None:
    print(
        f"{'answers':>8} {'users':>6} {'requests':>9} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'ok':>7} {'503':>6} {'409/4xx':>8} {'errors':>7}"
    )
    for users, res in results.items():
        a, s = res["all"], res["statuses"]
        print(
            f"{label:>8} {users:>6} {a['Request Count']:>9} {float(a['Requests/s']):>7.1f} "
            f"{a['50%']:>7} {a['95%']:>7} {s['ok']:>7} {s['busy']:>6} {s['conflict']:>8} "
            f"{s['error']:>7}"
        )
    for users, res in results.items():
        for name, error, times in res["errors"]:
            print(f"  {users} users: {name}: {error} ×{times}")
    print()
    print("per request, at the highest load:")
    last = results[max(results)]
    for name, row in sorted(last["rows"].items()):
        print(
            f"  {name:<22} {row['Request Count']:>7} requests  p50 {row['50%']:>6} ms  "
            f"p95 {row['95%']:>6} ms  failures {row['Failure Count']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="50,200,500")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--slots", type=int, default=None, help="GRIDMAP_REQUEST_SLOTS")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--workers", type=int, default=1, help="gridmap serve --workers")
    parser.add_argument(
        "--think", default="0.5:1.5", help="seconds between one user's clicks, LOW:HIGH"
    )
    parser.add_argument(
        "--answer-cache",
        default="on,off",
        help="serve remembered answers (gis.infra.answers): on, off or both, side by side",
    )
    args = parser.parse_args()
    configs = [c == "on" for c in args.answer_cache.split(",")]
    levels = [int(u) for u in args.users.split(",")]
    with contextlib.ExitStack() as stack:
        url = args.database_url or stack.enter_context(sample_city_database())
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gridmap-load-")))
        engine = make_engine(url)
        # Fresh tables have no statistics until autovacuum comes by: without them PostgreSQL
        # plans the field worker's page at 3 s instead of 20 ms. A loaded city is analysed.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
        plan = _plan(engine, random.Random(7)) | {"tokens": _users_and_tokens(engine)}
        engine.dispose()
        plan_file = work / "plan.json"
        plan_file.write_text(json.dumps(plan))
        by_config = {}
        for cached in configs:
            with _server(url, work / "data", args.slots, args.workers, cached) as base:
                results = {}
                for users in levels:
                    results[users] = _run_locust(
                        base, users, args.seconds, work, plan_file, args.think
                    )
                    print(f"  answers {'on' if cached else 'off'}, {users} users done", flush=True)
            by_config["cached" if cached else "computed"] = results
        print()
        print(
            f"Mixed load on {os.cpu_count()} cores, {args.seconds} s per level, "
            f"{args.workers} server process(es), a click every {args.think} s per user:"
        )
        for label, results in by_config.items():
            _table(results, label)


if __name__ == "__main__":
    main()
