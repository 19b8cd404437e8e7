"""OpenStreetMap extracts (.osm.pbf, .osm): the roads and rivers of a city that has no files.

Read with GDAL's own OSM driver (through pyogrio, as every other format): its ``lines`` layer
holds the ways with their ``highway`` and ``waterway`` tags. Each way becomes a row of the roads
import with a ``class`` Gridmap knows (:data:`HIGHWAY_CLASSES`, rivers 河流), its code
``osm-w<way id>`` (stable: the same extract imported again updates, never duplicates) and its
name; lines that are neither (power lines, fences, cycle tracks) are left out and counted in a
warning, not refused: an extract always holds them.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio

from gis.errors import InvalidFile
from gis.exchange.limits import check_rows
from gis.infra.settings import ImportLimits

#: OSM ``highway`` values → the road class (others are not roads a grid follows).
HIGHWAY_CLASSES: dict[str, str] = {
    **dict.fromkeys(
        ("motorway", "trunk", "primary", "motorway_link", "trunk_link", "primary_link"), "主干道"
    ),
    **dict.fromkeys(("secondary", "tertiary", "secondary_link", "tertiary_link"), "次干道"),
    **dict.fromkeys(("residential", "unclassified", "living_street", "road"), "支路"),
    **dict.fromkeys(("service", "pedestrian", "footway", "path", "steps", "track"), "巷道"),
}
#: OSM ``waterway`` values that are a river (a ditch or a drain is not a visible boundary).
RIVERS = ("river", "canal", "stream")


def read_osm(path: Path, shown: str, limits: ImportLimits) -> tuple[gpd.GeoDataFrame, int]:
    """The roads and rivers of an OSM extract as text columns code, name, class (+ geometry),
    and how many lines were left out."""
    try:
        check_rows(int(pyogrio.read_info(path, layer="lines")["features"]), shown, limits)
        frame = pyogrio.read_dataframe(
            path, layer="lines", columns=["osm_id", "name", "highway", "waterway"]
        )
    except InvalidFile:
        raise
    except Exception as exc:  # DataSourceError and friends
        raise InvalidFile(
            f"{shown}：无法按 OpenStreetMap 数据读取 ({shown}: cannot be read as an "
            f"OpenStreetMap extract ({exc}))",
            reason="unreadable",
        ) from exc
    road = frame["highway"].map(HIGHWAY_CLASSES).fillna("").to_numpy(dtype=str)
    cls = np.where(frame["waterway"].isin(RIVERS).to_numpy(), "河流", road)
    keep = cls != ""
    out = gpd.GeoDataFrame(
        {
            "code": ("osm-w" + frame["osm_id"].fillna("").astype(str)).to_numpy()[keep],
            "name": frame["name"].fillna("").astype(str).to_numpy()[keep],
            "class": cls[keep].astype(str),
        },
        geometry=frame.geometry.to_numpy()[keep],
        crs=frame.crs or "EPSG:4326",
    )
    return out, int((~keep).sum())
