"""The city map page at ``/``: every grid layer, coloured by workload, over the city's outlines.

folium lays out the page and the Leaflet map; the behaviour (layer switcher, lazy loading,
legend, popups) lives in ``static/gridmap/city_map.js`` so that it can be read and linted as
JavaScript. Every script, stylesheet and icon comes from the app itself: the product runs on
government networks with no way out, so folium's CDN defaults are replaced, not added to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import folium
from branca.element import Element, Figure
from markupsafe import escape

from gis.infra.settings import Settings
from maps.assets import (
    CITY_MAP_CSS,
    CITY_MAP_JS,
    HEADER_CSS,
    LEAFLET_CSS,
    LEAFLET_DEFAULTS_JS,
    LEAFLET_JS,
    VECTORGRID_JS,
    static_url,
)
from maps.nav import HeaderUser, PageLink, site_header
from maps.page_app import PageApp

TITLE = "Gridmap 网格地图"
# Where the map opens before the data says where the city is: central Fuzhou (抚州), Jiangxi.
DEFAULT_CENTER = (27.95, 116.36)
DEFAULT_ZOOM = 11


class OfflineMap(folium.Map):
    """A folium map whose page loads Leaflet from the app and nothing else.

    folium's defaults also pull jQuery, Bootstrap, Font Awesome and Awesome Markers from four
    CDNs; this page uses none of them, so they are dropped rather than vendored.
    """

    default_js = [
        ("leaflet", static_url(LEAFLET_JS)),
        ("gridmap_leaflet", static_url(LEAFLET_DEFAULTS_JS)),  # zoom bounds, plain attribution
    ]
    default_css = [
        ("leaflet_css", static_url(LEAFLET_CSS)),
        ("gridmap_header", static_url(HEADER_CSS)),
    ]


@dataclass(frozen=True)
class Viewer:
    """Who the page is for: shown in the title bar, with a log-out button."""

    name: str
    role: str  # e.g. "规划人员 Planner"
    scope: str  # e.g. "区县 临川区 (361002)"
    csrf_token: str
    pages: tuple[PageLink, ...] = ()  # the other pages this user may open (maps.nav)


def _title_bar(settings: Settings, viewer: Viewer | None = None) -> str:
    low, high = f"{settings.band_low:g}", f"{settings.band_high:g}"
    tools = f"""<div class="gm-tools">
        <p class="gm-band" title="每个网格的工作量标准 The workload band each grid should fall in">
          标准 <span class="gm-en">Band</span> <strong>{escape(low)}–{escape(high)}</strong></p>
      </div>"""
    user = header_user(viewer) if viewer else None
    return site_header(user, title="社区网格工作量", title_en="Grid workload", tools=tools)


def header_user(viewer: Viewer) -> HeaderUser:
    return HeaderUser(viewer.name, viewer.role, viewer.scope, viewer.csrf_token, viewer.pages)


def page_config(settings: Settings) -> dict[str, Any]:
    """What the script needs to know that the JSON API does not say."""
    return {
        "band": [settings.band_low, settings.band_high],
        # The API shifts geometry to GCJ-02 on request, to sit on AMap/Tencent-style tiles.
        "crs": "gcj02" if settings.tile_crs.lower() == "gcj02" else None,
        "hasTiles": bool(settings.tile_url),
        "defaultLayer": "unified",
    }


def build_city_map(settings: Settings, viewer: Viewer | None = None) -> OfflineMap:
    """The folium map of the page, before rendering (kept separate so tests can inspect it)."""
    fmap = OfflineMap(
        location=DEFAULT_CENTER,
        zoom_start=DEFAULT_ZOOM,
        tiles=None,
        control_scale=False,  # the script adds a metric-only scale
        zoom_control="topleft",
        prefer_canvas=False,  # SVG: crisp outlines and a DOM element per grid to hover and click
        zoom_snap=0.25,
    )
    if settings.tile_url:
        folium.TileLayer(
            tiles=settings.tile_url,
            attr=settings.tile_attribution or "底图 Base map",
            name="底图 Base map",
            control=False,
            max_zoom=18,
        ).add_to(fmap)
    root = fmap.get_root()
    assert isinstance(root, Figure)
    root.title = TITLE
    root.html.add_child(Element(_title_bar(settings, viewer)), name="gm_title_bar", index=0)
    fmap.add_child(
        PageApp(
            "GridmapCityMap",
            CITY_MAP_JS,
            js=[VECTORGRID_JS],
            css=[CITY_MAP_CSS],
            config=page_config(settings),
        )
    )
    return fmap


def city_map_html(settings: Settings, viewer: Viewer | None = None) -> str:
    """The whole page as HTML; its data comes later from the API (grids and community outlines
    as vector tiles, the rest as JSON), so it renders instantly."""
    html = build_city_map(settings, viewer).get_root().render()
    # branca's page template has no lang; without it browsers may pick Japanese glyphs for 汉字.
    return html.replace("<html>", '<html lang="zh-CN">', 1)
