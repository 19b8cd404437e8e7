"""Vector tiles: Gridmap's (/tiles, made in PostGIS, cached by version) against TiPg's, one run.

Both servers run as their own processes on this machine, over the same PostGIS holding the
sample city (`gridmap load-sample`), and are asked for every tile a map view of the unified
layer's extent needs at z11, z13 and z15, one request at a time over HTTP, gzip accepted as a
browser would. TiPg serves a view of the unified grids with the same attributes
(``bench_tipg_unified``, made for the run and dropped after). Gridmap is asked as a logged-in
administrator (the scope check is part of every request, as for a user).

Passes per zoom, in this order: TiPg 1, Gridmap cold (tile cache emptied), TiPg 2, Gridmap warm
(every tile cached). TiPg has no tile cache: its two passes differ only by the database's own
buffers. Then the bytes of the city map's first view (1280×800 window fitted to the grids) as
today's pages fetched them (the whole layer as GeoJSON, the communities, the districts) and as
the tiled page does (districts, two TileJSONs, the grid and community tiles in view).

    make bench-tiles
    .venv/bin/python bench/tiles.py [--tipg .venv-tipg/bin/uvicorn] [--zooms 11,13,15]
    .venv/bin/python bench/tiles.py --mercator   # SQL only: does the stored geom_3857 pay?

``--mercator`` answers whether migration 0010's stored Web Mercator geometry pays: the unified
layer's tiles made in SQL alone (no HTTP, no cache), from ``ST_Transform(geom, 3857)`` filtered
through the envelope in WGS84 (what the tiles would do without it) against the stored, indexed
``geom_3857`` (what gis.tiles does); both simplified the same way.
"""

from __future__ import annotations

import argparse
import math
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import text

from gis.access import Access
from gis.accounts import Role, create_user
from gis.infra.db import make_engine, resolve_url
from gis.infra.settings import load_settings
from gis.scope import Scope
from gis.tiles.coords import TileCoord, tiles_covering

REPO = Path(__file__).resolve().parents[1]
USER = "bench-tiles"
VIEW = "bench_tipg_unified"
VIEW_SQL = f"""CREATE OR REPLACE VIEW {VIEW} AS
    SELECT g.id, g.code, g.name, c.code AS community_code, c.name AS community_name,
           g.community_count, g.unit_count, g.households, g.population, g.buildings,
           g.incidents_per_year, g.care_people, round(g.workload::numeric, 1)::float8 AS workload,
           round((g.area_m2 / 1e6)::numeric, 3)::float8 AS area_km2, g.locked, g.geom
    FROM grid g JOIN grid_layer l ON l.id = g.layer_id
    LEFT JOIN community c ON c.id = g.community_id
    WHERE l.code = 'unified'"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(args: list[str], env: dict[str, str], probe: str) -> Iterator[None]:
    """A server process, up when ``probe`` answers, stopped (by its own pid) at the end."""
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(args, env=os.environ | env, stdout=log, stderr=subprocess.STDOUT)
        yield from _serve(proc, log, args, probe)


def _serve(proc: subprocess.Popen[bytes], log, args: list[str], probe: str) -> Iterator[None]:  # noqa: ANN001
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(probe, timeout=2).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                sys.exit(f"server did not start: {' '.join(args)}\n{log.read().decode()[-3000:]}")
            time.sleep(0.3)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def walk(client: httpx.Client, template: str, tiles: list[TileCoord]) -> tuple[list[float], int]:
    """Ask for every tile in turn; the times in ms and the bytes on the wire."""
    times, wire = [], 0
    for t in tiles:
        url = template.format(z=t.z, x=t.x, y=t.y)
        start = time.perf_counter()
        response = client.get(url)
        response.read()
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code not in (200, 204):
            sys.exit(f"{url} → {response.status_code} {response.text[:300]}")
        wire += response.num_bytes_downloaded
    return times, wire


def pct(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def first_view_tiles(bounds: list[float], width: int = 1280, height: int = 748) -> list[TileCoord]:
    """The z-tiles Leaflet asks for when the page fits the grids into the window (the panels
    take 270 + 320 px across; zoom snaps to quarters; tiles at the rounded zoom)."""
    west, south, east, north = bounds

    def px(lon: float, lat: float, z: float) -> tuple[float, float]:
        n = 256 * 2**z
        y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
        return (lon + 180) / 360 * n, y

    zoom = 18.0
    while zoom > 0:
        (x0, y0), (x1, y1) = px(west, north, zoom), px(east, south, zoom)
        if x1 - x0 <= width - 590 - 32 and y1 - y0 <= height - 32:
            break
        zoom -= 0.25
    z = round(zoom)
    cx, cy = [(a + b) / 2 for a, b in zip(px(west, north, z), px(east, south, z), strict=True)]
    scale = 2 ** (z - zoom)
    half_w, half_h = width * scale / 2, height * scale / 2
    x0, x1 = int((cx - half_w) // 256), int((cx + half_w) // 256)
    y0, y1 = int((cy - half_h) // 256), int((cy + half_h) // 256)
    return [TileCoord(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def wire_bytes(client: httpx.Client, urls: list[str]) -> int:
    total = 0
    for url in urls:
        response = client.get(url)
        response.read()
        total += response.num_bytes_downloaded
    return total


MERCATOR_SQL = """SELECT ST_AsMVT(t, 'grids', 4096, 'geom') FROM (
    SELECT g.code, g.name, g.workload, g.households,
           ST_AsMVTGeom(ST_Simplify({geom}, :tolerance, true), ST_TileEnvelope(:z, :x, :y),
                        4096, 64, true) AS geom
    FROM grid g WHERE g.layer_id = :layer_id AND {filter}) t"""
ON_THE_FLY = MERCATOR_SQL.format(
    geom="ST_Transform(g.geom, 3857)",
    filter="g.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 0.015625), 4326)",
)
STORED = MERCATOR_SQL.format(
    geom="g.geom_3857", filter="g.geom_3857 && ST_TileEnvelope(:z, :x, :y, margin => 0.015625)"
)


def mercator(engine, zooms: list[int]) -> None:  # noqa: ANN001
    """SQL-only tile times: geometry transformed per request against the stored geom_3857."""
    with engine.connect() as conn:
        conn.execute(
            text(
                "ALTER TABLE grid ADD COLUMN geom_3857 geometry(MultiPolygon, 3857) "
                "GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED"
            )  # fmt: skip
        )
        conn.execute(text("CREATE INDEX bench_grid_geom_3857 ON grid USING gist (geom_3857)"))
        conn.execute(text("ANALYZE grid"))
        layer_id = conn.execute(text("SELECT id FROM grid_layer WHERE code = 'unified'")).scalar()
        box = conn.execute(
            text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                "(SELECT ST_Extent(geom) e FROM grid WHERE layer_id = :l) q"
            ),  # fmt: skip
            {"l": layer_id},
        ).one()
        print(f"{'zoom':>4} {'tiles':>5} | {'on the fly p50':>14} {'p95':>6} | "
              f"{'geom_3857 p50':>13} {'p95':>6}")  # fmt: skip
        for z in zooms:
            tiles = tiles_covering(list(box), z)
            runs: dict[str, list[float]] = {"fly": [], "stored": []}
            for _ in range(2):  # the second pass is kept: both read warm buffers
                for name, sql in (("fly", ON_THE_FLY), ("stored", STORED)):
                    runs[name] = []
                    for t in tiles:
                        params = {"z": t.z, "x": t.x, "y": t.y, "layer_id": layer_id,
                                  "tolerance": t.metres_per_unit / 2}  # fmt: skip
                        start = time.perf_counter()
                        conn.execute(text(sql), params).scalar()
                        runs[name].append((time.perf_counter() - start) * 1000)
            fly, stored = runs["fly"], runs["stored"]
            print(f"{z:>4} {len(tiles):>5} | {statistics.median(fly):>14.1f} "
                  f"{pct(fly, .95):>6.1f} | {statistics.median(stored):>13.1f} "
                  f"{pct(stored, .95):>6.1f}")  # fmt: skip
    print("(ms per tile, SQL only, second of two passes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tipg", default=str(REPO / ".venv-tipg" / "bin" / "uvicorn"))
    parser.add_argument("--zooms", default="11,13,15")
    parser.add_argument("--mercator", action="store_true", help="SQL only: geom_3857 or not")
    args = parser.parse_args()
    zooms = [int(z) for z in args.zooms.split(",")]
    settings = load_settings()
    url = resolve_url(settings)
    engine = make_engine(url)
    if args.mercator:
        mercator(engine, zooms)
        return
    password = secrets.token_urlsafe(24)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM app_user WHERE username = :u"), {"u": USER})
        create_user(conn, access=Access.system("system:bench"), username=USER,
                    password=password, role=Role.ADMIN, scope=Scope.city())  # fmt: skip
        conn.execute(text(VIEW_SQL))
    ours_port, peer_port = free_port(), free_port()
    ours, peer = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{peer_port}"
    plain_url = url.replace("postgresql+psycopg://", "postgresql://")
    ours_env = {"GRIDMAP_DATABASE_URL": url, "GRIDMAP_SECRET_KEY": secrets.token_hex(32)}
    peer_env = {"DATABASE_URL": plain_url, "TIPG_DB_SCHEMAS": '["public"]',
                "TIPG_MAX_FEATURES_PER_TILE": "20000"}  # fmt: skip
    ours_cmd = [sys.executable, "-m", "gridmap_cli.main", "serve", "--host", "127.0.0.1",
                "--port", str(ours_port)]  # fmt: skip
    peer_cmd = [args.tipg, "tipg.main:app", "--host", "127.0.0.1", "--port", str(peer_port),
                "--log-level", "warning"]  # fmt: skip
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    try:
        with (
            server(ours_cmd, ours_env, ours + "/health"),
            server(peer_cmd, peer_env, peer + "/healthz"),
            httpx.Client(timeout=60) as client,
        ):
            login = client.post(ours + "/auth/login", json={"username": USER, "password": password})
            client.headers["Authorization"] = f"Bearer {login.json()['token']}"
            run(client, engine, ours, peer, zooms)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP VIEW IF EXISTS {VIEW}"))
            conn.execute(text("DELETE FROM app_user WHERE username = :u"), {"u": USER})
        engine.dispose()
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


def run(client: httpx.Client, engine, ours: str, peer: str, zooms: list[int]) -> None:  # noqa: ANN001
    doc = client.get(ours + "/tiles/grids.unified.json").json()
    ours_tpl = doc["tiles"][0]
    peer_tpl = peer + f"/collections/public.{VIEW}/tiles/WebMercatorQuad/{{z}}/{{x}}/{{y}}"
    bounds = doc["bounds"]
    print(f"unified layer extent {bounds}, version {doc['data_version']}")
    header = (f"{'zoom':>4} {'tiles':>5} | {'TiPg p50':>8} {'p95':>6} {'p50²':>6} {'p95²':>6} "
              f"{'KB':>6} | {'ours cold p50':>13} {'p95':>6} | {'warm p50':>8} {'p95':>6} "
              f"{'KB':>6}")  # fmt: skip
    print(header)
    print("-" * len(header))
    for z in zooms:
        tiles = tiles_covering(bounds, z)
        peer1, peer_kb = walk(client, peer_tpl, tiles)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM tile_cache"))
        cold, ours_kb = walk(client, ours_tpl, tiles)
        peer2, _ = walk(client, peer_tpl, tiles)
        warm, _ = walk(client, ours_tpl, tiles)
        print(f"{z:>4} {len(tiles):>5} | {statistics.median(peer1):>8.1f} {pct(peer1, .95):>6.1f} "
              f"{statistics.median(peer2):>6.1f} {pct(peer2, .95):>6.1f} {peer_kb / 1024:>6.0f} | "
              f"{statistics.median(cold):>13.1f} {pct(cold, .95):>6.1f} | "
              f"{statistics.median(warm):>8.1f} {pct(warm, .95):>6.1f} "
              f"{ours_kb / 1024:>6.0f}")  # fmt: skip
    print("(ms per tile; p50²/p95²: TiPg's second pass; KB on the wire, gzip accepted)")

    today = [ours + "/layers/unified/grids", ours + "/communities", ours + "/districts"]
    view = first_view_tiles(bounds)
    areas = client.get(ours + "/tiles/areas.json").json()["tiles"][0]
    tiled = [ours + "/districts", ours + "/tiles/grids.unified.json", ours + "/tiles/areas.json"]
    tiled += [ours_tpl.format(z=t.z, x=t.x, y=t.y) for t in view]
    tiled += [areas.format(z=t.z, x=t.x, y=t.y) for t in view]
    before, after = wire_bytes(client, today), wire_bytes(client, tiled)
    print(f"city map first view (1280×800, z{view[0].z}, {len(view)} tiles a source): "
          f"GeoJSON {before / 1024:,.0f} KB → tiles {after / 1024:,.0f} KB "
          f"({after / before:.0%} of today's)")  # fmt: skip


if __name__ == "__main__":
    main()
