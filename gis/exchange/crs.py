"""Coordinate systems of the files counties bring, and the way into (and out of) WGS84.

Three families arrive in practice:

- real CRSs that PROJ knows: WGS84 (EPSG:4326), CGCS2000 geographic (EPSG:4490) and its 3-degree
  Gauss–Krüger zones (EPSG:4513–4533 with the zone number in front of the easting, 4534–4554
  without) — transformed with pyproj;
- GCJ-02 (AMap, Tencent) and BD-09 (Baidu), the obfuscated systems of Chinese web maps. They are
  not CRSs (no EPSG code, no PROJ pipeline) and a file in them usually *says* it is WGS84, so the
  user names them with ``--crs gcj02`` / ``bd09``. The shift is prcoords' (the published formula;
  its inverse iterates to about a millimetre, and one more fixed-point step here takes it well
  below);
- no CRS at all: a file whose coordinates fit lon/lat is read as WGS84 with a warning; one whose
  coordinates cannot be lon/lat is refused, with the Gauss–Krüger zone its eastings suggest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from gis.crs import FROM_WGS84, TO_WGS84
from gis.errors import Invalid, InvalidFile

WGS84 = CRS.from_epsg(4326)
CGCS2000 = CRS.from_epsg(4490)
SHIFTED = ("gcj02", "bd09")
#: Names a user may give for a CRS, besides EPSG:NNNN and anything PROJ parses.
ALIASES: dict[str, str] = {
    "wgs84": "EPSG:4326",
    "wgs-84": "EPSG:4326",
    "epsg:4326": "EPSG:4326",
    "cgcs2000": "EPSG:4490",
    "cgcs-2000": "EPSG:4490",
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "amap": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "baidu": "bd09",
}
#: The export targets (the contract's ``crs=`` values).
EXPORT_CRS = ("wgs84", "cgcs2000", "gcj02")


@dataclass(frozen=True)
class SourceCrs:
    """Where a file's coordinates are: a PROJ CRS, or one of the shifted web-map systems."""

    crs: CRS | None  # None for gcj02/bd09 (lon/lat, shifted)
    shifted: str | None = None  # 'gcj02' | 'bd09'

    @property
    def label(self) -> str:
        if self.shifted:
            return self.shifted.upper().replace("02", "-02").replace("09", "-09")
        assert self.crs is not None
        epsg = self.crs.to_epsg()
        return f"EPSG:{epsg} ({self.crs.name})" if epsg else self.crs.name


def parse_crs(text: str) -> SourceCrs:
    """A CRS named by a user: wgs84, cgcs2000, gcj02, bd09, EPSG:4527, 4527, or a PROJ string."""
    key = text.strip().lower()
    name = ALIASES.get(key, text.strip())
    if name in SHIFTED:
        return SourceCrs(None, name)
    if name.isdigit():
        name = f"EPSG:{name}"
    try:
        return SourceCrs(CRS.from_user_input(name))
    except CRSError as exc:
        raise Invalid(
            f"未知的坐标系 {text!r}：请填写 wgs84、cgcs2000、gcj02、bd"
            "09 或 EPSG 代码（如 EPSG:4527） ("
            f"unknown coordinate system {text!r}: give wgs84, cgcs2000, gcj02, bd09 or an EPSG "
            "code such as EPSG:4527 (CGCS2000 3-degree Gauss–Krüger zone 39))",
            crs=text,
        ) from exc


def export_crs(name: str) -> SourceCrs:
    if name not in EXPORT_CRS:
        raise Invalid(
            f"坐标系须为 {', '.join(EXPORT_CRS)} 之一，收到 {name!r} ("
            f"crs must be one of {', '.join(EXPORT_CRS)}; got {name!r})",
            crs=name,
        )
    return parse_crs(name)


# ----------------------------------------------------------------------------- GCJ-02 / BD-09

# The shift both ways lives in gis.crs (one home for it: display, imports, reported points).


def to_wgs84(geoms: np.ndarray, source: SourceCrs) -> np.ndarray:
    """Shapely geometries in ``source`` → WGS84 lon/lat (vectorised over coordinate arrays)."""
    if source.shifted:
        return np.asarray(shapely.transform(geoms, TO_WGS84[source.shifted]))
    assert source.crs is not None
    if source.crs.equals(WGS84):
        return geoms
    from pyproj import Transformer

    transformer = Transformer.from_crs(source.crs, WGS84, always_xy=True)
    return np.asarray(
        shapely.transform(geoms, lambda xy: np.column_stack(transformer.transform(*xy.T)))
    )


def from_wgs84(geoms: np.ndarray, target: SourceCrs) -> np.ndarray:
    """WGS84 geometries → ``target`` (an export's coordinate system)."""
    if target.shifted:
        return np.asarray(shapely.transform(geoms, FROM_WGS84[target.shifted]))
    assert target.crs is not None
    if target.crs.equals(WGS84):
        return geoms
    from pyproj import Transformer

    transformer = Transformer.from_crs(WGS84, target.crs, always_xy=True)
    return np.asarray(
        shapely.transform(geoms, lambda xy: np.column_stack(transformer.transform(*xy.T)))
    )


# ----------------------------------------------------------------------------- no CRS


def fits_lonlat(geoms: np.ndarray) -> bool:
    """Whether every coordinate lies in lon −180…180, lat −90…90."""
    present = geoms[~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)]
    if len(present) == 0:
        return True
    xmin, ymin, xmax, ymax = shapely.total_bounds(present)
    return bool(xmin >= -180 and xmax <= 180 and ymin >= -90 and ymax <= 90)


def suggest_projected(geoms: np.ndarray) -> str:
    """The CGCS2000 Gauss–Krüger zone that eastings like these belong to, as advice."""
    present = geoms[~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)]
    xmin, ymin, _, _ = shapely.total_bounds(present)
    zone = int(xmin // 1_000_000)
    if 25 <= zone <= 45:  # 3-degree zones with the zone number in front of the easting
        return (
            f"the eastings start with {zone}: CGCS2000 3-degree Gauss–Krüger zone {zone} is "
            f"EPSG:{4488 + zone} (central meridian {zone * 3}°E)"
        )
    if 13 <= zone <= 23:
        return (
            f"the eastings start with {zone}: CGCS2000 6-degree zone {zone} is EPSG:{4478 + zone}"
        )
    if 0 < xmin < 1_000_000:
        return (
            "eastings without a zone number: CGCS2000 3-degree Gauss–Krüger by central meridian, "
            "EPSG:4534 (75°E) … 4554 (135°E) — e.g. EPSG:4548 for 117°E (Fuzhou, Jiangxi)"
        )
    return f"coordinates around ({xmin:.0f}, {ymin:.0f}) fit no CRS Gridmap could guess"


def resolve(
    file_crs: CRS | None, given: str | None, geoms: np.ndarray, where: str
) -> tuple[SourceCrs, list[str]]:
    """The CRS to read a file in (``given`` wins over the file's own), and warnings to report."""
    warnings: list[str] = []
    if given:
        source = parse_crs(given)
        if file_crs is not None and source.crs is not None and not file_crs.equals(source.crs):
            warnings.append(f"the file says {file_crs.name}; read as {source.label} as asked")
    elif file_crs is not None:
        source = SourceCrs(file_crs)
    else:
        if not fits_lonlat(geoms):
            raise InvalidFile(
                f"{where}：文件没有坐标系（无 .prj 或 CRS 元数据），坐标也"
                "不是经纬度：请用 --crs 指定 ("
                f"{where}: the file has no coordinate system (no .prj or CRS metadata) and its "
                f"coordinates cannot be lon/lat — {suggest_projected(geoms)}; give it with --crs "
                "(API: options.crs))",
                reason="no_crs",
            )
        warnings.append(
            "the file has no coordinate system; its coordinates fit lon/lat, so it was read as "
            "WGS84 (give --crs gcj02 if it comes from AMap/Tencent, bd09 from Baidu)"
        )
        source = SourceCrs(WGS84)
    geographic = source.shifted is not None or (source.crs is not None and source.crs.is_geographic)
    if geographic and not fits_lonlat(geoms):
        raise InvalidFile(
            f"{where}：按 {source.label}（经纬度）读取，但坐标超出经纬"
            "度范围，数据是投影坐标：请用 --crs 指定正确的坐标系 ("
            f"{where}: read as {source.label} (lon/lat), but the coordinates reach beyond "
            f"−180…180 / −90…90 — the data is projected: {suggest_projected(geoms)}; give the "
            "right one with --crs)",
            reason="wrong_crs",
        )
    return source, warnings
