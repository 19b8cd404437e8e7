"""The grid editor page at ``/edit``: planners move base units between grids on the map.

folium lays out the page and the Leaflet map, as for the city map; the editor itself (selection
by click, brush and lasso, preview, apply, split, merge, lock, undo/redo, history) lives in
``static/gridmap/edit.js`` and talks to the editing API. Everything loads from the app.
"""

from __future__ import annotations

from typing import Any

import folium
from branca.element import Element, Figure
from markupsafe import escape

from gis.infra.settings import Settings
from maps.assets import HEADER_CSS, static_url
from maps.city_map import DEFAULT_CENTER, OfflineMap, Viewer, header_user
from maps.nav import site_header
from maps.page_app import PageApp

EDIT_JS = "gridmap/edit.js"
EDIT_CSS = "gridmap/edit.css"
TITLE = "Gridmap 网格编辑 Grid editor"
#: Units are drawn (and selectable) from this zoom on; below it, grids only.
UNIT_ZOOM = 15


def _header(settings: Settings, viewer: Viewer) -> str:
    low, high = f"{settings.band_low:g}", f"{settings.band_high:g}"
    tools = f"""<div class="gm-tools ge-tools">
        <label class="ge-layer">图层 <span class="gm-en">Layer</span>
          <select data-testid="layer-select"></select></label>
        <span class="ge-version" data-testid="version"></span>
        <span class="gm-band">标准 <span class="gm-en">Band</span>
          <strong>{escape(low)}–{escape(high)}</strong></span>
      </div>"""
    return site_header(
        header_user(viewer),
        title="网格编辑",
        title_en="Grid editor",
        current="edit",
        tools=tools,
        extra_class="ge-bar",
    )


def page_config(settings: Settings) -> dict[str, Any]:
    return {
        "band": [settings.band_low, settings.band_high],
        "unitZoom": UNIT_ZOOM,
        "splitPolicy": settings.edit_split_grids,
        "defaultLayer": "unified",
        "hasTiles": bool(settings.tile_url),
    }


def edit_page_html(settings: Settings, viewer: Viewer) -> str:
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
    if settings.tile_url:
        folium.TileLayer(
            tiles=settings.tile_url,
            attr=settings.tile_attribution or "底图 Base map",
            control=False,
            max_zoom=19,
        ).add_to(fmap)
    root = fmap.get_root()
    assert isinstance(root, Figure)
    root.title = TITLE
    root.html.add_child(Element(_header(settings, viewer)), name="ge_header", index=0)
    fmap.add_child(
        PageApp(
            "GridmapEditor",
            EDIT_JS,
            css=[EDIT_CSS],
            config=page_config(settings),
            csrf_token=viewer.csrf_token,
        )
    )
    html = root.render()
    return html.replace("<html>", '<html lang="zh-CN">', 1)


def forbidden_page_html(settings: Settings, viewer: Viewer) -> str:
    """What a logged-in user without the edit permission sees at /edit."""
    del settings
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(TITLE)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{static_url(HEADER_CSS)}">
<link rel="stylesheet" href="{static_url(EDIT_CSS)}"></head>
<body class="ge-forbidden"><main>
<h1>无编辑权限 <span class="ge-en">Not allowed to edit</span></h1>
<p data-testid="forbidden">{escape(viewer.role)}（{escape(viewer.scope)}）不能编辑网格。
<span class="ge-en">Only planners and administrators redraw grids.</span></p>
<p><a href="./">返回地图 Back to the map</a></p>
</main></body></html>"""
