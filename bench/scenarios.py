"""Scenario run time on the whole sample city, and the compare / crosswalk endpoint times.

Everything happens in one transaction that is rolled back at the end, so the database is left as
it was: a scenario of the whole city is created and run with the worker's code (progress written
community by community), then the endpoints are called over HTTP on the real app (in process)
as an administrator made inside that transaction.

    python bench/scenarios.py [--repeat 3] [--throwaway]

``--throwaway`` starts a private PostGIS in a temporary directory and loads the sample city
into it (about a minute); otherwise the configured database (embedded cluster or
GRIDMAP_DATABASE_URL) must hold the sample city (`gridmap load-sample`).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from scratch_city import sample_city_database
from sqlalchemy import Connection

from api.app import create_app
from api.deps import get_connection
from gis.access import Access
from gis.accounts import Role, create_user, get_user, open_session
from gis.infra.db import make_engine, resolve_url
from gis.infra.settings import load_settings
from gis.scenarios.run import savepoint_tx
from gis.scenarios.store import ScenarioSpec, create_scenario
from gis.scenarios.worker import run_queued
from gis.scope import Scope

SECRET = "bench-secret-key-0123456789abcdefghijklmnop"


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--throwaway", action="store_true")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        if args.throwaway:
            url = stack.enter_context(sample_city_database())
        else:
            url = resolve_url(load_settings())
        settings = load_settings(database_url=url, secret_key=SECRET, data_dir=Path(tmp))
        engine = make_engine(url)
        rows: list[tuple[str, float, float, str]] = []
        with engine.connect() as conn:
            outer = conn.begin()
            try:
                _bench(conn, settings, args.repeat, rows)
            finally:
                outer.rollback()
        engine.dispose()
    print(f"{'step':52} {'p50 s':>8} {'min s':>8}  result")
    for step, p50, best, note in rows:
        print(f"{step:52} {p50:>8.3f} {best:>8.3f}  {note}")


def _bench(conn: Connection, settings: Any, repeat: int, rows: list) -> None:
    made: list[int] = []

    def run(from_unified: bool) -> Any:
        scenario = create_scenario(
            conn,
            ScenarioSpec(name="bench", area=["3610"], from_unified=from_unified),
            settings,
            access=Access.system("system:bench"),
        )
        made.append(scenario.id)
        return run_queued(savepoint_tx(conn))

    for label, start in (("fresh", False), ("from the unified layer", True)):
        p50, best, ran = timed(lambda s=start: run(s), repeat)
        rows.append((f"scenario run, whole sample city, {label}", p50, best, str(ran[-1][1])))

    app = create_app(settings)

    def shared() -> Iterator[Connection]:
        savepoint = conn.begin_nested()
        try:
            yield conn
        except Exception:
            savepoint.rollback()
            raise
        else:
            savepoint.commit()

    app.dependency_overrides[get_connection] = shared
    create_user(
        conn,
        username="bench-root",
        password="bench-password-long",
        role=Role.ADMIN,
        scope=Scope.city(),
        department=None,
        access=Access.system("system:bench"),
    )
    session = open_session(conn, get_user(conn, "bench-root"), policy=app.state.policy)
    a, b = made[-1], made[-2]
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {session.token}"
        calls = [
            (f"GET /scenarios/compare?a={a}&b={b}&layers=unified", "compare 2 scenarios + unified"),
            (
                f"GET /scenarios/compare?a={a}&b={b}&layers=unified,zongzhi,chengguan,xinfang,"
                "dangjian,minzheng,yingji",
                "compare 2 scenarios + all 7 layers",
            ),
            (f"GET /scenarios/compare/changes?a=unified&b={a}", "what changed (GeoJSON)"),
            (f"GET /scenarios/{a}/crosswalk", "crosswalk JSON"),
            (f"GET /scenarios/{a}/crosswalk?format=csv", "crosswalk CSV"),
            (f"GET /scenarios/{a}/crosswalk?format=xlsx", "crosswalk XLSX"),
            (f"GET /scenarios/{a}/figures", "county figures"),
            (f"GET /scenarios/{a}/report", "printable report"),
        ]
        for call, label in calls:
            path = call.removeprefix("GET ")

            def get(p: str = path) -> Any:
                r = client.get(p)
                r.raise_for_status()
                return r

            p50, best, answer = timed(get, repeat)
            rows.append((label, p50, best, f"{len(answer.content) / 1e6:.2f} MB"))
        figures = client.get(f"/scenarios/{a}/figures").json()
        rows.append(
            (
                "figures: grids before → after",
                0.0,
                0.0,
                f"{figures['before']['grids']:,} → {figures['after']['grids']:,}",
            )
        )


if __name__ == "__main__":
    main()
