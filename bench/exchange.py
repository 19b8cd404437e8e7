"""Import and export times for the whole sample city in each format, and the GCJ-02 round trip.

Loads the sample city into a scratch database (``gridmap_bench_exchange`` on the configured
server), then for every format:

- export the unified layer (all grids, WGS84; GCJ-02 too);
- import the 5,562 base units from a file of that format (an update of every unit, the grids of
  every layer refreshed) and the exported unified layer as a departmental layer (every unit
  assigned to the grid covering most of it) — each in a transaction that is rolled back.

And the GCJ-02 round trip: every vertex of the unified layer shifted to GCJ-02 and back,
compared with the stored WGS84 (metres), next to the raw shift it undoes.

    GRIDMAP_DATABASE_URL=… python bench/exchange.py
"""

from __future__ import annotations

import math
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import shapely
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from gis.access import Access
from gis.exchange import ImportOptions, export_layer, import_file
from gis.exchange.crs import from_wgs84, parse_crs, to_wgs84
from gis.infra.db import make_engine, migrate, resolve_url
from gis.infra.settings import load_settings
from gis.loader import load_city

FORMATS = ("gpkg", "geojson", "shp", "csv", "xlsx")


def _units_file(sample: Path, fmt: str, folder: Path) -> Path:
    units = pyogrio.read_dataframe(sample, layer="base_units")
    if fmt == "gpkg":
        path = folder / "units.gpkg"
        pyogrio.write_dataframe(units, path, driver="GPKG")
    elif fmt == "geojson":
        path = folder / "units.geojson"
        pyogrio.write_dataframe(units, path, driver="GeoJSON")
    elif fmt == "shp":
        import zipfile

        shp = folder / "units_shp" / "units.shp"
        shp.parent.mkdir()
        pyogrio.write_dataframe(units, shp, driver="ESRI Shapefile", encoding="UTF-8")
        path = folder / "units.zip"
        with zipfile.ZipFile(path, "w") as archive:
            for part in shp.parent.iterdir():
                archive.write(part, part.name)
    else:
        table = pd.DataFrame(units.drop(columns="geometry"))
        table["wkt"] = shapely.to_wkt(units.geometry.to_numpy(), rounding_precision=-1)
        path = folder / f"units.{fmt}"
        if fmt == "csv":
            table.to_csv(path, index=False)
        else:
            table.to_excel(path, index=False)
    return path


def _timed_import(engine: Engine, kind: str, path: Path, options: ImportOptions) -> float:
    with engine.connect() as conn:
        outer = conn.begin()
        start = time.perf_counter()
        report = import_file(conn, kind, path, options, access=Access.system("system:bench"))
        spent = time.perf_counter() - start
        outer.rollback()
    assert report.ok
    return spent


def _metres(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lat = np.radians(a[:, 1])
    dx = (a[:, 0] - b[:, 0]) * 111_320 * np.cos(lat)
    dy = (a[:, 1] - b[:, 1]) * 110_574
    return np.hypot(dx, dy)


def main() -> None:
    warnings.filterwarnings("ignore", message="Normalized/laundered field name")
    settings = load_settings()
    base = make_url(resolve_url(settings))
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS gridmap_bench_exchange WITH (FORCE)"))
        conn.execute(text("CREATE DATABASE gridmap_bench_exchange"))
    url = base.set(database="gridmap_bench_exchange").render_as_string(hide_password=False)
    try:
        migrate(url)
        engine = make_engine(url)
        load_city(engine, settings.sample_path, weights=settings.weights, access=Access.system())
        with engine.connect() as conn:
            grids = conn.execute(
                text(
                    "SELECT count(*) FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
                    "WHERE l.code = 'unified'"
                )
            ).scalar_one()
            units = conn.execute(text("SELECT count(*) FROM base_unit")).scalar_one()
        print(f"sample city: {units:,} base units, unified layer of {grids:,} grids\n")
        print(
            f"{'format':8} {'export s':>9} {'export gcj02 s':>15} {'size MB':>8} "
            f"{'import units s':>15} {'import layer s':>15}"
        )
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            for fmt in FORMATS:
                with engine.connect() as conn:
                    start = time.perf_counter()
                    exported = export_layer(conn, "unified", fmt, access=Access.system())
                    export_s = time.perf_counter() - start
                    start = time.perf_counter()
                    export_layer(conn, "unified", fmt, crs="gcj02", access=Access.system())
                    export_gcj = time.perf_counter() - start
                sub = folder / fmt
                sub.mkdir()
                units_s = _timed_import(
                    engine, "units", _units_file(settings.sample_path, fmt, sub), ImportOptions()
                )
                layer_s = "n/a (no geometry)"
                if fmt != "xlsx":
                    layer_path = sub / exported.filename
                    layer_path.write_bytes(exported.data)
                    spent_layer = _timed_import(
                        engine, "layer", layer_path, ImportOptions(layer="bench")
                    )
                    layer_s = f"{spent_layer:.1f}"
                print(
                    f"{fmt:8} {export_s:>9.1f} {export_gcj:>15.1f} "
                    f"{len(exported.data) / 1e6:>8.1f} {units_s:>15.1f} {layer_s:>15}"
                )
        with engine.connect() as conn:
            wkb = conn.execute(
                text(
                    "SELECT ST_AsBinary(g.geom) FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
                    "WHERE l.code = 'unified' AND g.geom IS NOT NULL"
                )
            ).scalars()
            geoms = shapely.from_wkb([bytes(w) for w in wkb])
        gcj = parse_crs("gcj02")
        start = time.perf_counter()
        shifted = from_wgs84(geoms, gcj)
        back = to_wgs84(shifted, gcj)
        spent = time.perf_counter() - start
        a = shapely.get_coordinates(geoms)
        err = _metres(a, shapely.get_coordinates(back))
        raw = _metres(a, shapely.get_coordinates(shifted))
        print(
            f"\nGCJ-02 round trip over {len(a):,} vertices ({spent:.1f} s): error max "
            f"{err.max() * 1000:.4f} mm, mean {err.mean() * 1000:.4f} mm; the shift undone: "
            f"mean {raw.mean():.0f} m (min {raw.min():.0f}, max {raw.max():.0f})"
        )
        assert math.isfinite(err.max())
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS gridmap_bench_exchange WITH (FORCE)"))
        admin.dispose()


if __name__ == "__main__":
    main()
