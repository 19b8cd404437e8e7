"""The grid editor page at ``/edit``: planners move base units between grids on the map.

folium builds the Leaflet map, as for the city map, and the page shell
(``templates/edit.html``) lays out the page around it; the editor itself (selection by click,
brush and lasso, preview, apply, split, merge, lock, undo/redo, history) lives in
``static/gridmap/edit.js`` and talks to the editing API. Everything loads from the app.
"""

from __future__ import annotations

from typing import Any

from gis.infra.settings import Settings
from maps.city_map import DEFAULT_CENTER, OfflineMap, add_base_tiles, band_label
from maps.nav import PageViewer
from maps.shell import render_map_page

EDIT_JS = "gridmap/edit.js"
EDIT_CSS = "gridmap/edit.css"
TITLE = "Gridmap 网格编辑 Grid editor"
#: Units are drawn (and selectable) from this zoom on; below it, grids only.
UNIT_ZOOM = 15


def page_config(settings: Settings) -> dict[str, Any]:
    return {
        "band": [settings.band_low, settings.band_high],
        "unitZoom": UNIT_ZOOM,
        "splitPolicy": settings.edit_split_grids,
        "defaultLayer": "unified",
        "hasTiles": bool(settings.tile_url),
    }


def edit_page_html(settings: Settings, viewer: PageViewer) -> str:
    fmap = OfflineMap(
        location=DEFAULT_CENTER,
        zoom_start=12,
        tiles=None,
        control_scale=False,
        zoom_control="topleft",
        prefer_canvas=False,  # SVG: a DOM element per unit to hover, click and brush
        zoom_snap=0.25,
        double_click_zoom=False,  # a double click ends a split line
    )
    add_base_tiles(fmap, settings, max_zoom=19)
    return render_map_page(
        "edit.html",
        fmap,
        module=("GridmapEditor", EDIT_JS),
        config=page_config(settings),
        title=TITLE,
        viewer=viewer,
        css=[EDIT_CSS],
        band=band_label(settings),
    )
