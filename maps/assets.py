"""Where the vendored front-end assets live, and the local URLs that replace folium's CDN ones."""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_URL = "/static"  # where api.app mounts STATIC_DIR

LEAFLET_JS = "vendor/leaflet/leaflet.js"
LEAFLET_CSS = "vendor/leaflet/leaflet.css"
#: Loaded right after Leaflet on every map page: zoom bounds and a plain "Leaflet" credit.
LEAFLET_DEFAULTS_JS = "gridmap/leaflet_defaults.js"  # a classic script, not a module: see below
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


@cache
def _modules() -> tuple[str, ...]:
    """The pages' own ES modules: every script in static/gridmap except leaflet_defaults.js,
    which must stay a classic script (it runs before folium's inline map code; modules wait)."""
    folder = STATIC_DIR / "gridmap"
    return tuple(
        f"gridmap/{path.name}"
        for path in sorted(folder.glob("*.js"))
        if f"gridmap/{path.name}" != LEAFLET_DEFAULTS_JS
    )


def import_map() -> str:
    """The ``<script type="importmap">`` a page lists before its first module.

    The modules import each other by relative URL (``import … from './common.js'``), which the
    browser resolves to the untagged ``/static/gridmap/common.js``. The import map sends each such
    URL to its content-hash-tagged one (:func:`static_url`), so an import is cache-busted exactly
    like a ``<script src>``, and every page module gets the one same instance of common.js. A
    browser without import maps (Chromium < 89) still loads the untagged URL and works.
    """
    imports = {f"{STATIC_URL}/{rel}": static_url(rel) for rel in _modules()}
    body = json.dumps({"imports": imports}, separators=(",", ":"))
    return f'<script type="importmap">{body}</script>'


_IMPORT = re.compile(r"""^import .* from '\./([\w.]+)';$""", re.MULTILINE)


@cache
def module_graph(module: str) -> tuple[str, ...]:
    """``module`` and every module it imports, directly or not (relative imports only)."""
    seen = [module]
    for relative in seen:
        for name in _IMPORT.findall((STATIC_DIR / relative).read_text(encoding="utf-8")):
            if f"gridmap/{name}" not in seen:
                seen.append(f"gridmap/{name}")
    return tuple(seen)


def module_start(name: str, module: str, args: str) -> str:
    """Preload links for a page module's graph and an inline module script that imports it and
    calls its ``start(args)``.

    Module scripts are deferred: this runs once the whole document is parsed, after every
    classic script (Leaflet, the plugins, folium's inline map code), so the map it gets exists.
    ``args`` is JavaScript (a map's variable name, JSON); the page shell puts the nonce on it.
    The ``modulepreload`` links fetch the whole graph at once, not one import after another.
    """
    preload = "".join(
        f'<link rel="modulepreload" href="{static_url(path)}">\n' for path in module_graph(module)
    )
    return (
        f'{preload}<script type="module">import * as {name} from "{static_url(module)}";\n'
        f"{name}.start({args});</script>"
    )
