"""The city map page at ``/``: every grid layer, coloured by workload, over the city's outlines.

folium builds the Leaflet map and the page shell (maps.shell, templates/city_map.html) lays out
the page around it; the behaviour (layer switcher, lazy loading,
legend, popups) lives in ``static/gridmap/city_map.js`` so that it can be read and linted as
JavaScript. Every script, stylesheet and icon comes from the app itself: the product runs on
government networks with no way out, so folium's CDN defaults are replaced, not added to.
"""

from __future__ import annotations

from typing import Any

import folium

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
from maps.nav import PageViewer
from maps.shell import render_map_page

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


def page_config(settings: Settings) -> dict[str, Any]:
    """What the script needs to know that the JSON API does not say."""
    return {
        "band": [settings.band_low, settings.band_high],
        # The API shifts geometry to GCJ-02 on request, to sit on AMap/Tencent-style tiles.
        "crs": "gcj02" if settings.tile_crs.lower() == "gcj02" else None,
        "hasTiles": bool(settings.tile_url),
        "defaultLayer": "unified",
    }


def build_city_map(settings: Settings) -> OfflineMap:
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
    add_base_tiles(fmap, settings, max_zoom=18, name="底图 Base map")
    return fmap


def room_map(settings: Settings) -> OfflineMap:
    """The map a room's page starts from (needs, councils, facilities): the city at zoom 12 on a
    canvas (thousands of dots), with the configured base tiles."""
    fmap = OfflineMap(
        location=DEFAULT_CENTER, zoom_start=12, tiles=None, zoom_control="topleft",
        prefer_canvas=True, control_scale=True,
    )  # fmt: skip
    add_base_tiles(fmap, settings, max_zoom=18)
    return fmap


def add_base_tiles(
    fmap: folium.Map, settings: Settings, *, max_zoom: int, name: str | None = None
) -> None:
    """The configured base map under a page's map (none configured: no tiles, only our data;
    the default, since most government networks reach no tile server)."""
    if settings.tile_url:
        folium.TileLayer(
            tiles=settings.tile_url,
            attr=settings.tile_attribution or "底图 Base map",
            name=name,
            control=False,
            max_zoom=max_zoom,
        ).add_to(fmap)


def city_map_html(settings: Settings, viewer: PageViewer | None = None) -> str:
    """The whole page as HTML; its data comes later from the API (grids and community outlines
    as vector tiles, the rest as JSON), so it renders instantly."""
    return render_map_page(
        "city_map.html",
        build_city_map(settings),
        module=("GridmapCityMap", CITY_MAP_JS),
        config=page_config(settings),
        title=TITLE,
        viewer=viewer,
        css=[CITY_MAP_CSS],
        js=[VECTORGRID_JS],
        band=band_label(settings),
    )


def band_label(settings: Settings) -> str:
    """The band as the headers show it: ``60–100``."""
    return f"{settings.band_low:g}–{settings.band_high:g}"
