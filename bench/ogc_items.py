"""A whole grid layer through OGC API Features: Gridmap's /ogc items against Gridmap's own
GeoJSON endpoint (what the map pages fetch) and TiPg, serving the same PostGIS, in one run.

A scratch PostGIS with the sample city (or ``--database-url``), ``gridmap serve`` in its own
process as deployed, and TiPg (developmentseed's OGC API server for PostGIS, from PyPI, in its
own venv: ``make bench-ogc`` builds ``.venv-tipg``) under uvicorn on the same database, serving a
view of the unified layer with the same columns. Each request asks for the whole layer in one
page, uncompressed and gzipped; p50 and min over ``--repeat`` rounds, the requests of a round
in turn (after one warm-up each), so a shared machine's load falls on every row alike.

    make bench-ogc
    .venv/bin/python bench/ogc_items.py [--repeat 7] [--tipg .venv-tipg/bin/python]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
from scratch_city import sample_city_database
from sqlalchemy import text

from gis.access import Access
from gis.accounts import Role, SessionPolicy, create_user, get_user, open_session
from gis.infra.db import make_engine
from gis.scope import Scope

HERE = Path(__file__).resolve().parent
SECRET = "bench-ogc-secret-key-0123456789abcdefghijkl"
USER, PASSWORD = "bench-ogc", "quiet-harbour-lantern-0123"
VIEW = """
CREATE OR REPLACE VIEW bench_unified_grid AS
SELECT g.code, g.name, c.code AS community_code, c.name AS community_name, g.community_count,
       g.unit_count, g.households, g.population, g.buildings, g.incidents_per_year,
       g.care_people, round(g.workload::numeric, 1) AS workload,
       round((g.area_m2 / 1e6)::numeric, 3) AS area_km2, g.geom
FROM grid g JOIN grid_layer l ON l.id = g.layer_id LEFT JOIN community c ON c.id = g.community_id
WHERE l.code = 'unified' AND g.geom IS NOT NULL
"""


def _wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    with httpx.Client() as probe:
        for _ in range(900):
            if proc.poll() is not None:
                raise RuntimeError(f"{url} exited with {proc.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if probe.get(url).status_code < 500:
                    return
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


@contextlib.contextmanager
def _process(args: list[str], env: dict[str, str], probe: str) -> Iterator[None]:
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(probe, proc)
        yield
    finally:
        proc.terminate()
        proc.wait(30)


def _prepare(url: str) -> str:
    """The bench user (whole city), the view TiPg serves, statistics; the user's bearer token."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM app_user WHERE username = :u"), {"u": USER})
        create_user(
            conn,
            access=Access.system("system:bench"),
            username=USER,
            password=PASSWORD,
            role=Role.ADMIN,
            scope=Scope.city(),
            display_name="bench",
        )
        token = open_session(conn, get_user(conn, USER), policy=SessionPolicy(SECRET)).token
        conn.execute(text(VIEW))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return token


def _interleaved(
    fetches: list[Callable[[], httpx.Response]], repeat: int
) -> list[tuple[float, float, httpx.Response]]:
    """p50, min and the last answer of each fetch, run round-robin (one warm-up each first), so
    that the load of a shared machine falls on every row alike."""
    answers = [fetch() for fetch in fetches]
    for answer in answers:
        answer.raise_for_status()
    times: list[list[float]] = [[] for _ in fetches]
    for _ in range(repeat):
        for n, fetch in enumerate(fetches):
            start = time.perf_counter()
            answers[n] = fetch()
            times[n].append(time.perf_counter() - start)
            answers[n].raise_for_status()
    return [(statistics.median(t), min(t), a) for t, a in zip(times, answers, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--tipg", default=str(HERE.parent / ".venv-tipg" / "bin" / "python"))
    args = parser.parse_args()
    rng = random.Random()
    with contextlib.ExitStack() as stack:
        url = args.database_url or stack.enter_context(sample_city_database())
        token = _prepare(url)
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gridmap-ogc-")))
        ours = f"http://127.0.0.1:{18000 + rng.randrange(1000)}"
        env = os.environ | {
            "GRIDMAP_DATABASE_URL": url,
            "GRIDMAP_SECRET_KEY": SECRET,
            "GRIDMAP_DATA_DIR": str(work),
        }
        gridmap = Path(sys.executable).with_name("gridmap")
        stack.enter_context(
            _process(
                [str(gridmap), "serve", "--port", ours.rsplit(":", 1)[1]], env, f"{ours}/health"
            )
        )
        rows: list[tuple[str, str, Callable[[dict[str, str]], httpx.Response]]] = []
        client = stack.enter_context(httpx.Client(timeout=120))
        bearer = {"Authorization": f"Bearer {token}"}
        basic = {
            "Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        }

        def get(
            path: str, auth: dict[str, str], **params: object
        ) -> Callable[[dict[str, str]], httpx.Response]:
            return lambda enc: client.get(path, params=params, headers=auth | enc)

        rows.append(
            (
                "Gridmap GeoJSON /layers/unified/grids",
                "bearer",
                get(f"{ours}/layers/unified/grids", bearer, limit=20000),
            )
        )
        items = f"{ours}/ogc/collections/grids-unified/items"
        rows.append(("Gridmap OGC items", "bearer", get(items, bearer, limit=10000)))
        rows.append(("Gridmap OGC items", "Basic", get(items, basic, limit=10000)))
        rows.append(
            (
                "Gridmap OGC items crs=EPSG:4490",
                "Basic",
                get(items, basic, limit=10000, crs="http://www.opengis.net/def/crs/EPSG/0/4490"),
            )
        )
        if Path(args.tipg).exists():
            tipg = f"http://127.0.0.1:{19000 + rng.randrange(1000)}"
            tipg_env = os.environ | {
                "DATABASE_URL": url.replace("+psycopg", ""),
                "TIPG_MAX_FEATURES_PER_QUERY": "10000",
            }
            stack.enter_context(
                _process(
                    [args.tipg, "-m", "uvicorn", "tipg.main:app", "--port", tipg.rsplit(":", 1)[1]],
                    tipg_env,
                    f"{tipg}/healthz",
                )
            )
            rows.append(
                (
                    "TiPg 1.x items (public.bench_unified_grid)",
                    "none",
                    get(f"{tipg}/collections/public.bench_unified_grid/items", {}, limit=10000),
                )
            )
        else:
            print(f"(TiPg skipped: {args.tipg} is missing; `make bench-ogc` builds it)")
        print(
            f"\nA whole layer (the sample city's unified grids) in one page, {args.repeat} runs, "
            f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}:"
        )
        print(
            f"{'server / request':44} {'auth':6} {'grids':>6} | {'p50 s':>6} {'min s':>6} "
            f"{'MB':>5} | {'gzip p50 s':>10} {'wire MB':>7}"
        )
        plain = _interleaved(
            [lambda f=fetch: f({"Accept-Encoding": "identity"}) for _, _, fetch in rows],
            args.repeat,
        )
        zipped = _interleaved(
            [lambda f=fetch: f({"Accept-Encoding": "gzip"}) for _, _, fetch in rows], args.repeat
        )
        for (name, auth, _), (p50, low, answer), (zp50, _, zanswer) in zip(
            rows, plain, zipped, strict=True
        ):
            doc = answer.json()
            count = doc.get("numberReturned", len(doc["features"]))
            wire = int(zanswer.headers.get("content-length") or len(zanswer.content))
            print(
                f"{name:44} {auth:6} {count:>6} | {p50:>6.3f} {low:>6.3f} "
                f"{len(answer.content) / 1e6:>5.2f} | {zp50:>10.3f} {wire / 1e6:>7.2f}"
            )
        print(f"(load at the end {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
