"""What every map page adds to its folium map: its own scripts and styles, and a start call.

Each page's behaviour lives in a JavaScript module under ``static/gridmap/`` that exposes
``window.<Module>.start(map, config)``; the page only loads it (with any vendored plugins, all
from the app) and hands it the Leaflet map once Leaflet is up, with what the API does not say.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from branca.element import MacroElement
from folium.template import Template

from gis.labels import VOCABULARIES
from maps.assets import FAVICON, static_url

#: Helpers the page scripts share (GridmapDom); list it before a page's own script.
DOM_JS = "gridmap/dom.js"


def labels_json() -> str:
    """The label tables of gis/labels.py as an inert JSON script element, read by
    ``GridmapDom.label`` (JSON, not a script: no nonce needed, nothing runs)."""
    body = json.dumps(VOCABULARIES, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/json" id="gridmap-labels">{body}</script>'


class PageApp(MacroElement):
    """``PageApp("GridmapEditor", js=[...], css=[...], config={...})``; paths are relative to
    the static folder and get their content-hash tags from :func:`maps.assets.static_url`."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <link rel="icon" type="image/svg+xml" href="{{ this.favicon }}">
            {{ this.labels }}
            {% for href in this.css %}<link rel="stylesheet" href="{{ href }}">
            {% endfor %}
            {% for src in this.js %}<script src="{{ src }}"></script>
            {% endfor %}
        {% endmacro %}
        {% macro script(this, kwargs) %}
            window.{{ this.module }}.start({{ this._parent.get_name() }}, {{ this.config|tojson }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        module: str,
        *,
        js: Sequence[str],
        css: Sequence[str],
        config: Mapping[str, Any],
    ) -> None:
        super().__init__()
        self._name = module
        self.module = module
        self.config = dict(config)
        self.js = [static_url(path) for path in js]
        self.css = [static_url(path) for path in css]
        self.favicon = static_url(FAVICON)
        self.labels = labels_json()
