"""What the printable one-page report of a scenario needs: an SVG map drawn by PostGIS.

``ST_AsSVG`` on Web-Mercator metres (so that the map is not squashed at Fuzhou's latitude),
simplified to what a printed A4 page can show, one path per grid with its band class.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.infra.settings import Settings
from gis.scenarios.comments import list_comments
from gis.scenarios.compare import BASIS, layer_definitions, layer_metrics
from gis.scenarios.crosswalk import _scenario_layer, figures
from gis.workload import band_sql


def map_svg_paths(
    conn: Connection, layer_id: int, band: tuple[float, float], tolerance_m: float = 5.0
) -> dict[str, Any]:
    """The grids of a layer as SVG path data in metres, with the viewBox that holds them."""
    rows = conn.execute(
        text(
            f"""WITH g AS (
                   SELECT code, workload, ST_Transform(geom, 3857) AS geom FROM grid
                   WHERE layer_id = :l AND geom IS NOT NULL)
               SELECT code,
                      {band_sql("workload", ":low", ":high")} AS band,
                      ST_AsSVG(ST_SimplifyPreserveTopology(geom, :tol), 0, 0) AS d,
                      (SELECT ST_XMin(e) FROM (SELECT ST_Extent(geom) e FROM g) x) AS xmin,
                      (SELECT ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM g) x) AS ymax,
                      (SELECT ST_XMax(e) - ST_XMin(e) FROM (SELECT ST_Extent(geom) e FROM g) x)
                          AS width,
                      (SELECT ST_YMax(e) - ST_YMin(e) FROM (SELECT ST_Extent(geom) e FROM g) x)
                          AS height
               FROM g ORDER BY code"""
        ),
        {"l": layer_id, "low": band[0], "high": band[1], "tol": tolerance_m},
    ).mappings()
    paths, box = [], None
    for r in rows:
        paths.append({"code": r["code"], "band": r["band"], "d": r["d"]})
        box = (r["xmin"], -r["ymax"], r["width"], r["height"])
    return {"paths": paths, "view_box": box}


def report_data(
    conn: Connection, scenario_id: int, settings: Settings, *, access: Access
) -> dict[str, Any]:
    """Everything on the printed page: the scenario, its metrics beside today's unified layer
    (each by its own workload definition, as on the comparison page), the county figures and
    the map coloured by the scenario's own band."""
    scenario = _scenario_layer(conn, scenario_id, access=access)
    codes = [scenario["layer"]]
    if (
        scenario["layer"] != "unified"
        and conn.execute(text("SELECT 1 FROM grid_layer WHERE code = 'unified'")).first()
    ):
        codes.append("unified")
    definitions = layer_definitions(conn, codes, settings)
    band = definitions[scenario["layer"]].band
    return {
        "scenario": scenario,
        "metrics": layer_metrics(conn, definitions, scenario["area"]),
        "basis": BASIS,
        "figures": figures(conn, scenario_id, access=access),
        "map": map_svg_paths(conn, scenario["layer_id"], band),
        "comments": list_comments(conn, scenario_id, access=access),
    }
