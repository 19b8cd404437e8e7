"""The provincial office's page at ``/province`` (区县比较): the counties of one's scope coloured
by a chosen figure, the same figures in a sortable table, and a drill from a county to its
streets, communities and, on the map, their grids.

Outlines come from the vector tiles (``/tiles/areas``, and ``/tiles/grids.unified`` once a
community is opened), never as GeoJSON: a province's counties, streets and communities are only
sent tile by tile for the view. Figures come from ``/rollups`` (gis.rollups) with the caller's
scope. folium builds the Leaflet map; the behaviour lives in ``static/gridmap/province.js``.
"""

from __future__ import annotations

from gis.infra.settings import Settings
from gis.rollups import LEVEL_LABELS
from maps.assets import VECTORGRID_JS
from maps.city_map import band_label, page_config, room_map
from maps.nav import PageViewer
from maps.shell import render_map_page

TITLE = "区县比较 Compare areas · Gridmap"
PAGE_JS = "gridmap/province.js"
PAGE_CSS = ("gridmap/needs.css", "gridmap/province.css")
#: The figures a planner may colour the map by: key → (Chinese label, digits or 'pct').
FIGURES: dict[str, tuple[str, int | str]] = {
    "workload_cv": ("工作量变异系数（越小越均衡）", 3),
    "share_in_band": ("带内网格占比", "pct"),
    "grids_per_worker": ("每名网格员网格数", 2),
    "incidents_per_grid": ("每网格事件数", 2),
    "members_per_grid": ("每网格党员数", 2),
    "grids": ("网格数", 0),
    "units": ("基础单元数", 0),
}


def province_page_html(settings: Settings, viewer: PageViewer) -> str:
    """The page (roles that may compare areas; ``/rollups`` keeps to the caller's scope)."""
    config = page_config(settings) | {
        "figures": {key: [label, digits] for key, (label, digits) in FIGURES.items()},
        "levels": LEVEL_LABELS,
    }
    return render_map_page(
        "province.html",
        room_map(settings),
        module=("GridmapProvince", PAGE_JS),
        config=config,
        title=TITLE,
        viewer=viewer,
        css=list(PAGE_CSS),
        js=[VECTORGRID_JS],
        band=band_label(settings),
    )
