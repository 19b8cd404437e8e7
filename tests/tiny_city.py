"""A 3×3 block city whose right answers a reader can check by eye.

::

    row 2   U7  U8 | U9        community A = the two left columns (U1 U2 U4 U5 U7 U8)
    row 1   U4  U5 | U6        community B = the right column     (U3 U6 U9)
    row 0   U1  U2 | U3

Each block is 0.001° × 0.001° (about 98 m × 111 m at 27.5°N) and holds ``100 × n`` households
(U1: 100 … U9: 900). Unified layer: G1 = {U1, U2}, G2 = {U4, U5, U7, U8}, G3 = {U3, U6, U9}.
The 综治 layer crosses the community line on purpose: Z1 = {U1, U4, U7}, Z2 = the other six.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from shapely.geometry import MultiPolygon, Point, box

X0, Y0, STEP = 116.0, 27.5, 0.001
DISTRICT, STREET = "369901", "369901001"
COMMUNITY_A, COMMUNITY_B = "369901001001", "369901001002"


def cell(n: int):
    """The square of block Un (1..9), counted from the bottom-left."""
    row, col = divmod(n - 1, 3)
    return box(X0 + col * STEP, Y0 + row * STEP, X0 + (col + 1) * STEP, Y0 + (row + 1) * STEP)


def unit_code(n: int) -> str:
    community = COMMUNITY_B if n in (3, 6, 9) else COMMUNITY_A
    return f"{community}U{n:03d}"


UNIFIED = {
    f"{COMMUNITY_A}001": [1, 2],
    f"{COMMUNITY_A}002": [4, 5, 7, 8],
    f"{COMMUNITY_B}001": [3, 6, 9],
}
ZONGZHI = {f"{COMMUNITY_A}901": [1, 4, 7], f"{COMMUNITY_A}902": [2, 3, 5, 6, 8, 9]}


def write_tiny_city(path: Path) -> Path:
    """Write the tiny city as a city package (the layout ``gis.loader`` reads)."""
    crs = "EPSG:4326"
    whole = box(X0, Y0, X0 + 3 * STEP, Y0 + 3 * STEP)
    layers = {
        "districts": gpd.GeoDataFrame(
            {"code": [DISTRICT], "name": ["测试区"]}, geometry=[MultiPolygon([whole])], crs=crs
        ),
        "streets": gpd.GeoDataFrame(
            {"code": [STREET], "name": ["测试街道"], "district_code": [DISTRICT]},
            geometry=[MultiPolygon([whole])],
            crs=crs,
        ),
        "communities": gpd.GeoDataFrame(
            {
                "code": [COMMUNITY_A, COMMUNITY_B],
                "name": ["甲社区", "乙村"],
                "street_code": [STREET, STREET],
                "kind": ["urban", "village"],
            },
            geometry=[
                MultiPolygon([box(X0, Y0, X0 + 2 * STEP, Y0 + 3 * STEP)]),
                MultiPolygon([box(X0 + 2 * STEP, Y0, X0 + 3 * STEP, Y0 + 3 * STEP)]),
            ],
            crs=crs,
        ),
        "base_units": gpd.GeoDataFrame(
            {
                "code": [unit_code(n) for n in range(1, 10)],
                "community_code": [unit_code(n)[:12] for n in range(1, 10)],
                "households": [100 * n for n in range(1, 10)],
                "population": [250 * n for n in range(1, 10)],
                "buildings": [1] * 9,
                "incidents_per_year": [1 if n == 5 else 0 for n in range(1, 10)],
                "care_people": list(range(1, 10)),
            },
            geometry=[cell(n) for n in range(1, 10)],
            crs=crs,
        ),
        "buildings": gpd.GeoDataFrame(
            {
                "code": [f"{unit_code(n)}B001" for n in range(1, 10)],
                "name": [f"{n}号楼" for n in range(1, 10)],
                "unit_code": [unit_code(n) for n in range(1, 10)],
                "households": [100 * n for n in range(1, 10)],
                "population": [250 * n for n in range(1, 10)],
                "floors": [6] * 9,
                "entrance_units": [3] * 9,
            },
            geometry=[cell(n).centroid.buffer(0.0001, cap_style="square") for n in range(1, 10)],
            crs=crs,
        ),
        "grid_layers": pd.DataFrame(
            {
                "code": ["unified", "zongzhi"],
                "name": ["统一网格", "综治网格"],
                "kind": ["unified", "department"],
                "department": ["", "综治办"],
            }
        ),
        "grids": pd.DataFrame(
            {
                "layer_code": ["unified"] * 3 + ["zongzhi"] * 2,
                "code": [*UNIFIED, *ZONGZHI],
                "name": [
                    "甲社区第1网格",
                    "甲社区第2网格",
                    "乙村第1网格",
                    "综治第1网格",
                    "综治第2网格",
                ],
                "community_code": [COMMUNITY_A, COMMUNITY_A, COMMUNITY_B, COMMUNITY_A, COMMUNITY_A],
            }
        ),
        "memberships": pd.DataFrame(
            [
                {"layer_code": layer, "grid_code": grid, "unit_code": unit_code(n)}
                for layer, plan in (("unified", UNIFIED), ("zongzhi", ZONGZHI))
                for grid, units in plan.items()
                for n in units
            ]
        ),
        "incidents": gpd.GeoDataFrame(
            {
                "code": ["T0000001"],
                "category": ["环境卫生"],
                "description": ["垃圾未清运"],
                "reported_at": ["2025-03-01T09:30:00+08:00"],
                "reporter_kind": ["resident"],
                "department": ["城管局"],
                "state": ["reported"],
            },
            geometry=[Point(cell(5).centroid.x + 0.0002, cell(5).centroid.y)],
            crs=crs,
        ),
    }
    path.unlink(missing_ok=True)
    for name, frame in layers.items():
        pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG")
    return path
