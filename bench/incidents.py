"""How fast the incident endpoints answer on the sample city's 30,000 incidents (p50 / p95).

Each endpoint is called through the real app (in process, as the administrator of everything and
as a district planner of 临川区) against a throwaway PostGIS holding the sample city, or against
GRIDMAP_DATABASE_URL with ``--url-from-env`` (the sample city must be loaded there).

    python bench/incidents.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import time

from fastapi.testclient import TestClient
from scratch_city import sample_city_database
from sqlalchemy import text

from api.app import create_app
from gis.access import Access
from gis.accounts import Role, create_user, get_user, open_session
from gis.infra.db import make_engine
from gis.infra.settings import load_settings
from gis.scope import Scope

SECRET = "bench-secret-key-0123456789abcdefghijklmnop"
CALLS = [
    ("figures by grid", "/incidents/figures?by=grid"),
    ("figures by department", "/incidents/figures?by=department"),
    ("figures, one month", "/incidents/figures?by=grid&since=2025-06-01&until=2025-07-01"),
    ("hexagons zoom 11 (res 6)", "/incidents/hexagons?zoom=11"),
    ("hexagons zoom 14 (res 8)", "/incidents/hexagons?zoom=14"),
    ("hexagons res 9, open only", "/incidents/hexagons?resolution=9&status=open"),
    ("points (all)", "/incidents/points"),
    ("queue 城管局", "/incidents/queue?department=城管局"),
    ("list 500 newest", "/incidents?limit=500"),
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(url: str, repeat: int) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        for name, role, scope in (
            ("bench-root", Role.ADMIN, Scope.city()),
            ("bench-planner", Role.PLANNER, Scope.district("361002")),
        ):
            if not conn.execute(
                text("SELECT 1 FROM app_user WHERE username = :u"), {"u": name}
            ).first():
                create_user(
                    conn,
                    username=name,
                    password="bench-password-123",
                    role=role,
                    scope=scope,
                    access=Access.system("system:bench"),
                )
        n = conn.execute(text("SELECT count(*) FROM incident")).scalar_one()
    settings = load_settings(database_url=url, secret_key=SECRET)
    app = create_app(settings)
    print(f"incidents in the database: {n:,}; {repeat} calls each, after one warm-up\n")
    print(f"{'user':14} {'call':28} {'p50 ms':>8} {'p95 ms':>8} {'KB':>8}")
    with TestClient(app) as client:
        for username in ("bench-root", "bench-planner"):
            with engine.begin() as conn:
                token = open_session(conn, get_user(conn, username), policy=app.state.policy).token
            headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
            for label, path in CALLS:
                answer = client.get(path, headers=headers)
                assert answer.status_code == 200, (path, answer.text[:200])
                times = []
                for _ in range(repeat):
                    start = time.perf_counter()
                    client.get(path, headers=headers)
                    times.append(time.perf_counter() - start)
                print(
                    f"{username[6:]:14} {label:28} {1000 * statistics.median(times):8.1f} "
                    f"{1000 * percentile(times, 0.95):8.1f} {len(answer.content) / 1024:8.0f}"
                )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--url-from-env", action="store_true")
    args = parser.parse_args()
    if args.url_from_env:
        url = load_settings().database_url
        assert url, "GRIDMAP_DATABASE_URL is not set"
        run(url, args.repeat)
        return
    with sample_city_database() as url:
        run(url, args.repeat)


if __name__ == "__main__":
    main()
