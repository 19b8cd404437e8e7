"""Where the vendored front-end assets live, and the local URLs that replace folium's CDN ones."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_URL = "/static"  # where api.app mounts STATIC_DIR

LEAFLET_JS = "vendor/leaflet/leaflet.js"
LEAFLET_CSS = "vendor/leaflet/leaflet.css"
#: Loaded right after Leaflet on every map page: zoom bounds and a plain "Leaflet" credit.
LEAFLET_DEFAULTS_JS = "gridmap/leaflet_defaults.js"
CITY_MAP_JS = "gridmap/city_map.js"
#: Vector tiles on a Leaflet map: the plugin (vendored) and the pages' shared helper.
VECTORGRID_JS = "vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js"
TILES_JS = "gridmap/tiles.js"
CITY_MAP_CSS = "gridmap/city_map.css"
LOGIN_CSS = "gridmap/login.css"
FAVICON = "gridmap/favicon.svg"
#: The shared page header and navigation (maps.nav), on every page.
HEADER_CSS = "gridmap/header.css"
#: The API documentation pages (api.routers.docs).
SWAGGER_JS = "vendor/swagger-ui/swagger-ui-bundle.js"
SWAGGER_CSS = "vendor/swagger-ui/swagger-ui.css"
REDOC_JS = "vendor/redoc/redoc.standalone.js"


@cache
def _digest(relative: str) -> str:
    return hashlib.sha256((STATIC_DIR / relative).read_bytes()).hexdigest()[:12]


def static_url(relative: str) -> str:
    """The app-local URL of a static file, tagged with its content hash.

    The tag changes whenever the file does, so a browser on a government network that keeps
    pages cached for weeks still picks up a new release; a missing file fails here, at render
    time, rather than as a 404 in somebody's browser.
    """
    return f"{STATIC_URL}/{relative}?v={_digest(relative)}"
