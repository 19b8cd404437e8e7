"""Constants of the sample city (its two urban cores, layer sizes, unit types) and small helpers."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer

GENERATOR_VERSION = "1.0.0"
DEFAULT_SEED = 361000
HERE = Path(__file__).resolve().parent.parent  # data/
DEFAULT_OUT = HERE / "fuzhou_sample.gpkg"
SOURCE_DIR = HERE / "source"

GRID_SIZE = 1e-7  # output precision in degrees (about 1 cm)
METRIC_CRS = "EPSG:32650"  # UTM 50N: the city lies at 116.3-116.6 E
TOTAL_BASE_UNITS = 5562  # Fuzhou: 5,562 community grids before the merge
UNIFIED_GRIDS = 1292  # ... merged into 1,292 unified grids
TOTAL_HOUSEHOLDS = 500_000  # so that a unified grid averages ~387 households
HOUSEHOLDS_PER_MEMBER = 13  # 18,000 party members : 240,000 households in the reports
INCIDENTS_PER_HOUSEHOLD = 0.06  # ~30,000 incidents a year

#: Departmental layers: code -> (name, department, grid count, nested in communities?).
DEPARTMENT_LAYERS: dict[str, tuple[str, str, int, bool]] = {
    "zongzhi": ("综治网格", "综治办", 1480, True),
    "chengguan": ("城管网格", "城管局", 1130, False),
    "xinfang": ("信访网格", "信访局", 620, True),
    "dangjian": ("党建网格", "组织部", 1050, True),
    "minzheng": ("民政网格", "民政局", 820, True),
    "yingji": ("应急网格", "应急管理局", 462, False),
}
UNIFIED_LAYER = ("unified", "统一网格")
UNIFIED_CV_BAND = (0.25, 0.35)

TO_METRES = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
TO_DEGREES = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)

# Building design types of a base unit.
OLD, ESTATE, FRINGE, VILLAGE = 0, 1, 2, 3
TYPE_NAMES = ("old_town", "new_estate", "urban_fringe", "village")
#: Target households per m2 of unit area, by type (old town densest, villages sparse).
HH_DENSITY = np.array([0.026, 0.010, 0.004, 0.00055])
#: Built-up area cap per unit by type: a large fringe unit is mostly fields, not more homes.
AREA_CAP = np.array([14000.0, 25000.0, 30000.0, 110000.0])
#: Mean persons per household by type (old town has many small elderly households).
PERSONS_PER_HH = np.array([2.55, 2.75, 2.85, 3.15])
#: Share of residents needing care (elderly living alone, disabled, ...), by type.
CARE_RATE = np.array([0.040, 0.022, 0.030, 0.042])
#: Incidents per household relative to the mean, by type.
INCIDENT_FACTOR = np.array([1.6, 1.0, 1.1, 0.8])


@dataclass(frozen=True)
class CoreSpec:
    """One urban core of the sample city and the knobs that shape it."""

    key: str
    district_code: str
    district_name: str
    source_file: str
    centre: tuple[float, float]  # lon, lat (WGS84)
    semi_axes_m: tuple[float, float]  # east-west, north-south
    n_units: int
    n_communities: int
    street_names: tuple[str, ...]  # 街道 names first, then 镇 names
    n_urban_streets: int
    zone_rho: tuple[float, float, float]  # outer edge of old town, new estates, urban fringe
    cell_area_m2: tuple[float, float, float, float]  # target unit area per zone


CORES: tuple[CoreSpec, ...] = (
    CoreSpec(
        key="linchuan",
        district_code="361002",
        district_name="临川区",
        source_file="linchuan_361002_gcj02.geojson",
        centre=(116.355, 27.975),
        semi_axes_m=(7000.0, 6000.0),
        n_units=4728,
        n_communities=165,
        street_names=(
            "荆公路街道",
            "青云街道",
            "西大街街道",
            "文昌街道",
            "六水桥街道",
            "钟岭街道",
            "上顿渡镇",
            "温泉镇",
            "高坪镇",
        ),
        n_urban_streets=6,
        zone_rho=(0.26, 0.58, 0.70),
        cell_area_m2=(9000.0, 14000.0, 25000.0, 110000.0),
    ),
    CoreSpec(
        key="dongxiang",
        district_code="361003",
        district_name="东乡区",
        source_file="dongxiang_361003_gcj02.geojson",
        centre=(116.600, 28.232),
        semi_axes_m=(2500.0, 2200.0),
        n_units=834,
        n_communities=35,
        street_names=("孝岗镇", "小璜镇", "圩上桥镇"),
        n_urban_streets=1,
        zone_rho=(0.28, 0.58, 0.70),
        cell_area_m2=(8000.0, 12000.0, 22000.0, 60000.0),
    ),
)
assert sum(c.n_units for c in CORES) == TOTAL_BASE_UNITS


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def log(msg: str) -> None:
    """Progress to stderr, so stdout keeps only the verification report."""
    print(msg, file=sys.stderr, flush=True)  # noqa: T201


def to_metres(geoms: np.ndarray) -> np.ndarray:
    """Project WGS84 geometries to UTM 50N metres (vectorised over all vertices)."""
    return shapely.transform(
        geoms, lambda c: np.column_stack(TO_METRES.transform(c[:, 0], c[:, 1]))
    )


def to_degrees(geoms: np.ndarray) -> np.ndarray:
    """Unproject UTM 50N geometries back to WGS84 degrees."""
    return shapely.transform(
        geoms, lambda c: np.column_stack(TO_DEGREES.transform(c[:, 0], c[:, 1]))
    )


def xy_of(points: np.ndarray) -> np.ndarray:
    """(n, 2) coordinates of an array of points."""
    return shapely.get_coordinates(points)


def smoothstep(t: np.ndarray) -> np.ndarray:
    """Cubic ease between 0 and 1, used for gentle transitions between zones."""
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def group_rank(groups: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order by (group, key) and the 0-based rank of each row inside its group.

    Returns the ordering and the rank per ordered row; used to pick the first n of each group
    without a Python loop.
    """
    order = np.lexsort((keys, groups))
    g = groups[order]
    start = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    first = np.repeat(start, np.diff(np.r_[start, len(g)]))
    return order, np.arange(len(g)) - first


def allocate(total: int, weights: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Split an integer total in proportion to weights, with per-item bounds.

    Largest-remainder apportionment; bounds keep at least one grid per community and never more
    grids than units.
    """
    quota = weights / weights.sum() * total
    alloc = np.clip(np.floor(quota), lo, hi).astype(np.int64)
    if not lo.sum() <= total <= hi.sum():
        raise ValueError("allocation bounds cannot meet the total")
    while alloc.sum() < total:
        room = np.where(alloc < hi, quota - alloc, -np.inf)
        alloc[int(np.argmax(room))] += 1
    while alloc.sum() > total:
        room = np.where(alloc > lo, quota - alloc, np.inf)
        alloc[int(np.argmin(room))] -= 1
    return alloc


def as_multipolygons(geoms: np.ndarray) -> np.ndarray:
    """Promote every polygon to a MultiPolygon (the GeoPackage layers declare MultiPolygon)."""
    parts, idx = shapely.get_parts(geoms, return_index=True)
    return shapely.multipolygons(parts, indices=idx)
