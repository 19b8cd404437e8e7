"""Load time of the sample city into an empty database, and rows per table.

Ours: ``gis.loader.load_city`` (COPY into staging tables, joins and point-in-polygon in PostGIS,
one transaction). Peer, for the three biggest spatial layers only: GeoPandas ``to_postgis``
(SQLAlchemy inserts) of the same frames into scratch tables.

    python bench/load_sample.py
"""

from __future__ import annotations

import time

import pyogrio
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gis.access import Access
from gis.infra.db import make_engine, migrate, resolve_url
from gis.infra.settings import load_settings
from gis.layers import table_counts
from gis.loader import load_city


def main() -> None:
    settings = load_settings()
    base = make_url(resolve_url(settings))
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS gridmap_bench WITH (FORCE)"))
        conn.execute(text("CREATE DATABASE gridmap_bench"))
    url = base.set(database="gridmap_bench").render_as_string(hide_password=False)
    try:
        migrate(url)
        engine = make_engine(url)
        start = time.perf_counter()
        load_city(engine, settings.sample_path, weights=settings.weights, access=Access.system())
        ours = time.perf_counter() - start
        with engine.connect() as conn:
            counts = table_counts(conn)
        print(f"gridmap load_city (whole package, one transaction): {ours:.1f} s")
        for name, n in counts.items():
            print(f"  {name:20} {n:>9,}")
        print("\npeer: GeoPandas to_postgis, three biggest spatial layers only")
        total = 0.0
        for layer in ("base_units", "buildings", "incidents"):
            frame = pyogrio.read_dataframe(settings.sample_path, layer=layer)
            start = time.perf_counter()
            frame.to_postgis(f"peer_{layer}", engine, if_exists="replace", index=False)
            spent = time.perf_counter() - start
            total += spent
            print(f"  {layer:20} {len(frame):>9,} rows {spent:>6.1f} s")
        print(f"  {'total':20} {'':>9} {total:>11.1f} s  (no FK resolution, no spatial join)")
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS gridmap_bench WITH (FORCE)"))
        admin.dispose()


if __name__ == "__main__":
    main()
