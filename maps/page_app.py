"""What every map page adds to its folium map: its own scripts and styles, and a start call.

Each page's behaviour lives in an ES module under ``static/gridmap/`` that exports
``start(map, config)`` and imports what the pages share from ``common.js``; the page loads the
vendored plugins as classic scripts, the import map, and an inline module that imports the page's
module and hands it the Leaflet map, with what the API does not say.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from branca.element import MacroElement
from folium.template import Template

from gis.labels import VOCABULARIES
from maps.assets import FAVICON, import_map, module_start, static_url


def labels_json() -> str:
    """The label tables of gis/labels.py as an inert JSON script element, read by
    ``label`` of common.js (JSON, not a script: no nonce needed, nothing runs)."""
    body = json.dumps(VOCABULARIES, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/json" id="gridmap-labels">{body}</script>'


class PageApp(MacroElement):
    """``PageApp("GridmapEditor", "gridmap/edit.js", js=[...], css=[...], config={...})``.

    ``module`` is the page's ES module, ``js`` the classic scripts it needs first (vendored
    Leaflet plugins); paths are relative to the static folder and get their content-hash tags
    from :func:`maps.assets.static_url`. ``csrf_token`` goes into ``<meta name="csrf-token">``,
    where common.js ``request`` reads it for every write: the one way pages get it.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <link rel="icon" type="image/svg+xml" href="{{ this.favicon }}">
            {{ this.labels }}
            {% for href in this.css %}<link rel="stylesheet" href="{{ href }}">
            {% endfor %}
            {% if this.csrf_token %}<meta name="csrf-token" content="{{ this.csrf_token|e }}">
            {% endif %}
            {{ this.import_map }}
            {% for src in this.js %}<script src="{{ src }}"></script>
            {% endfor %}
            {{ this.start(this._parent.get_name()) }}
        {% endmacro %}
        """
    )

    def __init__(
        self,
        name: str,
        module: str,
        *,
        js: Sequence[str] = (),
        css: Sequence[str],
        config: Mapping[str, Any],
        csrf_token: str | None = None,
    ) -> None:
        super().__init__()
        self._name = name
        self.name = name
        self.module = module
        self.config = dict(config)
        self.csrf_token = csrf_token
        self.import_map = import_map()
        self.js = [static_url(path) for path in js]
        self.css = [static_url(path) for path in css]
        self.favicon = static_url(FAVICON)
        self.labels = labels_json()

    def start(self, map_name: str) -> str:
        """The inline module that starts the page: ``Name.start(map_x, {config});`` (deferred,
        so it runs after folium's inline script has made ``map_x``)."""
        config = json.dumps(self.config, ensure_ascii=False, separators=(", ", ": "))
        return module_start(self.name, self.module, f"{map_name}, {_script_safe(config)}")


def _script_safe(text: str) -> str:
    """JSON made safe inside a ``<script>`` element: no ``</script>`` or ``<!--`` can close it."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
