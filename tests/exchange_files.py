"""Hand-made files for the import tests, over the tiny city (see tests/tiny_city.py).

Each builder writes one small file whose right answer a reader can check by eye: the 3×3 blocks
of the tiny city, a freehand departmental layer drawn across them, a GBK Shapefile, points in
GCJ-02. The committed copies under tests/data/exchange/ are written by ``python -m
tests.exchange_files`` and read by the tests as they are.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import Point, Polygon, box

from gis.exchange.crs import from_wgs84, parse_crs
from tests.tiny_city import COMMUNITY_A, STEP, X0, Y0, cell, unit_code

DATA = Path(__file__).resolve().parent / "data" / "exchange"

#: A freehand 综治-style layer: D1 = the left 1.4 columns, D2 = the rest of the two lower rows,
#: D3 = a scrap over U9's corner (0.25 % of it: too little to count). So U1 U4 U7 U8 go to D1;
#: U2 U3 U5 U6 to D2, U2 and U5 split 60/40 with D1; U9 is a gap; D3 gets no unit; D2 holds
#: units of both communities.
DRAWN = {
    f"{COMMUNITY_A}801": ("东片 D1", box(X0 - 0.0001, Y0, X0 + 1.4 * STEP, Y0 + 3 * STEP)),
    f"{COMMUNITY_A}802": ("西片 D2", box(X0 + 1.4 * STEP, Y0, X0 + 3 * STEP, Y0 + 2 * STEP)),
    f"{COMMUNITY_A}803": (
        "碎片 D3",
        box(X0 + 3 * STEP - 0.00005, Y0 + 3 * STEP - 0.00005, X0 + 3 * STEP, Y0 + 3 * STEP),
    ),
}
#: A point inside U5 (the middle block), and the same place in GCJ-02 / as AMap shows it.
U5_POINT = Point(X0 + 1.5 * STEP, Y0 + 1.5 * STEP)


def drawn_layer() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": list(DRAWN), "name": [n for n, _ in DRAWN.values()]},
        geometry=[g for _, g in DRAWN.values()],
        crs="EPSG:4326",
    )


def units_frame(households: dict[int, int] | None = None) -> gpd.GeoDataFrame:
    """The nine units with their codes and communities (households 100·n unless given)."""
    households = households or {}
    return gpd.GeoDataFrame(
        {
            "code": [unit_code(n) for n in range(1, 10)],
            "community_code": [unit_code(n)[:12] for n in range(1, 10)],
            "households": [households.get(n, 100 * n) for n in range(1, 10)],
            "population": [250 * n for n in range(1, 10)],
            "buildings": [1] * 9,
            "incidents_per_year": [1 if n == 5 else 0 for n in range(1, 10)],
            "care_people": list(range(1, 10)),
        },
        geometry=[cell(n) for n in range(1, 10)],
        crs="EPSG:4326",
    )


def zip_shapefile(frame: gpd.GeoDataFrame, target: Path, *, encoding: str, cpg: bool) -> Path:
    """A zipped Shapefile whose .dbf is in ``encoding``; with or without its .cpg."""
    folder = target.parent / (target.stem + "_parts")
    folder.mkdir(parents=True, exist_ok=True)
    shp = folder / "grids.shp"
    pyogrio.write_dataframe(frame, shp, driver="ESRI Shapefile", encoding=encoding)
    with zipfile.ZipFile(target, "w") as archive:
        for part in sorted(folder.iterdir()):
            if part.suffix == ".cpg" and not cpg:
                continue
            archive.write(part, part.name)
    return target


def gcj02_members_csv(target: Path) -> Path:
    """Two party members at U5 and U1's centres, their coordinates as AMap gives them."""
    points = [U5_POINT, cell(1).centroid]
    shifted = from_wgs84(shapely.points([(p.x, p.y) for p in points]), parse_crs("gcj02"))
    pd.DataFrame(
        {
            "党员编号": ["GCJ0001", "GCJ0002"],
            "姓名": ["张三丰", "李四"],
            "手机": ["13800001111", "13900002222"],
            "经度": shapely.get_x(shifted),
            "纬度": shapely.get_y(shifted),
        }
    ).to_csv(target, index=False)
    return target


def bowtie(n: int) -> Polygon:
    """Unit n's square drawn as a bow-tie: its two right corners swapped (self-intersection)."""
    x0, y0, x1, y1 = cell(n).bounds
    return Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])


def write_committed() -> None:
    """The files kept in the repository (small, and readable by other tools as they are)."""
    DATA.mkdir(parents=True, exist_ok=True)
    zip_shapefile(drawn_layer(), DATA / "layer_gbk.zip", encoding="GBK", cpg=True)
    zip_shapefile(drawn_layer(), DATA / "layer_gbk_no_cpg.zip", encoding="GBK", cpg=False)
    gcj02_members_csv(DATA / "members_gcj02.csv")
    for parts in DATA.glob("*_parts"):
        for f in parts.iterdir():
            f.unlink()
        parts.rmdir()


if __name__ == "__main__":
    write_committed()
