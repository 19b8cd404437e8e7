"""A city package (the GeoPackage layout written by ``data/generate_city.py``), read and checked.

Apart from the loader (:mod:`gis.loader`) because reading is a question about the file alone:
every layer and column it must have, and valid WGS84 geometry, are checked here before a
database is touched, so a bad package is refused naming the file, layer and column.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from gis.errors import InvalidFile

#: Layers of a city package and the columns each must have (geometry aside).
LAYERS: dict[str, tuple[str, ...]] = {
    "cities": ("code", "name"),  # a province package's: checked (counties lie in them), names kept
    "districts": ("code", "name"),
    "streets": ("code", "name", "district_code"),
    "communities": ("code", "name", "street_code", "kind"),
    "base_units": (
        "code",
        "community_code",
        "households",
        "population",
        "buildings",
        "incidents_per_year",
        "care_people",
    ),
    "buildings": (
        "code",
        "name",
        "unit_code",
        "households",
        "population",
        "floors",
        "entrance_units",
    ),
    # Streets and rivers (道路、河流): lines with a class (主干道 … 河流, gis/linear.py).
    "roads": ("code", "name", "class", "district_code"),
    "rivers": ("code", "name", "class", "district_code"),
    "grid_layers": ("code", "name", "kind", "department"),
    "grids": ("layer_code", "code", "name", "community_code"),
    "memberships": ("layer_code", "grid_code", "unit_code"),
    "party_organisations": ("code", "name", "kind", "community_code"),
    "party_members": ("code", "name", "phone", "organisation_code", "community_code"),
    "incidents": (
        "code",
        "category",
        "description",
        "reported_at",
        "reporter_kind",
        "department",
        "state",
    ),
    "assignments": ("member_code", "role", "target_kind", "target_code", "starts_on"),
}
SPATIAL = {
    "districts",
    "streets",
    "communities",
    "base_units",
    "buildings",
    "roads",
    "rivers",
    "party_members",
    "incidents",
}
OPTIONAL = {
    "cities",
    "roads",
    "rivers",
    "party_organisations",
    "party_members",
    "incidents",
    "assignments",
}


def read_package(path: Path, only: Sequence[str] | None = None) -> dict[str, pd.DataFrame]:
    """Read the layers of a city package (all, or ``only`` these), checking their columns."""
    if not path.exists():
        raise InvalidFile(f"{path}：文件不存在 ({path}: no such file)")
    try:
        present = {name for name, _ in pyogrio.list_layers(path)}
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise InvalidFile(
            f"{path}：不是可读取的 GeoPackage ({path}: not a readable GeoPackage ({exc}))"
        ) from exc
    frames: dict[str, pd.DataFrame] = {}
    for layer, columns in LAYERS.items():
        if only is not None and layer not in only:
            continue
        if layer not in present:
            if layer in OPTIONAL:
                continue
            raise InvalidFile(
                f"{path}：缺少图层 '{layer}'（城市数据包必须有此图层） ("
                f"{path}: layer '{layer}' is missing (a city package needs it))"
            )
        frame = pyogrio.read_dataframe(path, layer=layer, read_geometry=layer in SPATIAL)
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise InvalidFile(
                f"{path}：图层 '{layer}' 缺少列 {', '.join(missing)} ("
                f"{path}: layer '{layer}' lacks column(s) {', '.join(missing)})"
            )
        if layer in SPATIAL:
            frame = _checked_geometry(path, layer, frame)
        frames[layer] = frame
    return frames


def _checked_geometry(path: Path, layer: str, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        frame = (
            frame.set_crs(4326, allow_override=False) if frame.crs is None else frame.to_crs(4326)
        )
    geoms = frame.geometry.values
    bad = ~shapely.is_valid(geoms) | shapely.is_empty(geoms)
    if bad.any():
        first = frame.loc[bad].iloc[0]
        reason = shapely.is_valid_reason(first.geometry)
        raise InvalidFile(
            f"{path}：图层 '{layer}' 有 {int(bad.sum())} 个无效几何；"
            f"第一个是 {first['code']} ("
            f"{path}: layer '{layer}' has {int(bad.sum())} invalid geometr(ies); "
            f"first is {first['code']}: {reason})"
        )
    return frame
