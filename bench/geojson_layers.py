"""How long a whole-city layer takes as GeoJSON, and how big it is: ours against a peer.

Ours: the document is built in PostGIS (ST_AsGeoJSON + json_agg) and served over HTTP by the
real app (in process), plain and gzipped (the wire size a browser sees). Peer: the common
Python route — GeoPandas ``read_postgis`` of the same rows, then
``to_json``. Both read the same database (the embedded cluster, or GRIDMAP_DATABASE_URL) with
the sample city loaded (`gridmap load-sample`).

    python bench/geojson_layers.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import geopandas as gpd
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from gis.infra.db import make_engine, resolve_url
from gis.infra.settings import load_settings

PEER_SQL = """
    SELECT g.code, g.name, c.code AS community_code, c.name AS community_name,
           g.community_count, g.unit_count, g.households, g.population, g.buildings,
           g.incidents_per_year, g.care_people, g.workload, g.area_m2, g.geom
    FROM grid g JOIN grid_layer l ON l.id = g.layer_id
    LEFT JOIN community c ON c.id = g.community_id
    WHERE l.code = %(layer)s ORDER BY g.code
"""


def timed(fn, repeat: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    settings = load_settings()
    url = resolve_url(settings)
    engine = make_engine(url)
    with engine.connect() as conn:
        layers = [
            r[0] for r in conn.execute(text("SELECT code FROM grid_layer ORDER BY kind DESC, id"))
        ]
    print(
        f"{'layer':10} {'grids':>6} | {'ours p50 s':>10} {'MB':>6} | {'gzip p50 s':>10} "
        f"{'wire MB':>7} | "
        f"{'peer p50 s':>10} {'MB':>6} | ours vs peer"
    )
    with TestClient(create_app(settings)) as client:
        for layer in layers:
            url, params = f"/layers/{layer}/grids", {"limit": 20000}
            ours_p50, _, resp = timed(
                lambda url=url, params=params: client.get(
                    url, params=params, headers={"Accept-Encoding": "identity"}
                ),
                args.repeat,
            )
            count = resp.json()["numberReturned"]
            gzip_p50, _, zipped = timed(
                lambda url=url, params=params: client.get(
                    url, params=params, headers={"Accept-Encoding": "gzip"}
                ),
                args.repeat,
            )
            wire = int(zipped.headers.get("content-length", len(zipped.content)))

            def peer(layer: str = layer) -> str:
                frame = gpd.read_postgis(PEER_SQL, engine, geom_col="geom", params={"layer": layer})
                return frame.to_json()

            peer_p50, _, body = timed(peer, args.repeat)
            print(
                f"{layer:10} {count:>6} | {ours_p50:>10.3f} {len(resp.content) / 1e6:>6.2f} | "
                f"{gzip_p50:>10.3f} {wire / 1e6:>7.2f} | {peer_p50:>10.3f} "
                f"{len(body) / 1e6:>6.2f} | {peer_p50 / ours_p50:>6.2f}×"
            )
    engine.dispose()


if __name__ == "__main__":
    main()
