"""The one page shell: every HTML page is a Jinja2 template that extends ``templates/base.html``.

The base writes what every page needs once (doctype, ``lang="zh-CN"`` so browsers pick Chinese
glyphs for 汉字, one charset, the favicon, the CSRF meta of a logged-in user, the label tables,
the import map, the start of the page's ES module); a page template fills in its header and
content. Autoescape is on, so text that came from users or the database stays text.

Where a page has a Leaflet map, folium still builds it: :func:`map_parts` renders the folium
figure and hands its three pieces (head, map ``<div>``, map script) to the template, which places
them; folium's own page template (no lang, a second charset) is not used.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import folium
from branca.element import Figure
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from gis.labels import VOCABULARIES
from maps.assets import import_map, module_start, static_url

ENV = Environment(
    loader=PackageLoader("maps", "templates"),
    autoescape=True,
    undefined=StrictUndefined,  # a misspelt variable fails the render, not the page silently
    trim_blocks=True,
    lstrip_blocks=True,
)

#: What a page leaves out unless it says otherwise.
_DEFAULTS: Mapping[str, Any] = {
    "viewer": None,
    "css": (),
    "js": (),
    "start": None,
    "map": None,
    "body_class": None,
}


def labels_json() -> Markup:
    """The label tables of gis/labels.py as an inert JSON script element, read by
    ``label`` of common.js (JSON, not a script: no nonce needed, nothing runs)."""
    body = json.dumps(VOCABULARIES, ensure_ascii=False).replace("</", "<\\/")
    return Markup(f'<script type="application/json" id="gridmap-labels">{body}</script>')


ENV.globals.update(
    static_url=static_url,
    labels_json=labels_json,
    import_map=lambda: Markup(import_map()),
)


def render(template: str, /, **context: Any) -> str:
    """The page ``template`` (a file in ``maps/templates``) with ``context``."""
    return ENV.get_template(template).render({**_DEFAULTS, **context})


@dataclass(frozen=True)
class MapParts:
    """A folium map as the shell places it: what goes into ``<head>``, the map's ``<div>``, and
    the inline script that makes the map (a variable named ``name``)."""

    name: str
    head: Markup
    html: Markup
    script: Markup


def map_parts(fmap: folium.Map) -> MapParts:
    """Render ``fmap``'s figure and take it apart (as ``Figure.render`` does, minus its page)."""
    root = fmap.get_root()
    assert isinstance(root, Figure)
    root.header._children.pop("meta_http", None)  # the shell writes the page's one charset
    for child in root._children.values():
        child.render()
    return MapParts(
        fmap.get_name(),
        Markup(root.header.render()),
        Markup(root.html.render()),
        Markup(root.script.render()),
    )


def start_script(
    name: str, module: str, config: Mapping[str, Any], *, map_name: str | None = None
) -> Markup:
    """The inline module that starts the page: ``Name.start(map_x, {config});`` (deferred, so
    it runs after the map script has made ``map_x``); without a map, ``Name.start({config})``.
    ``config`` is what the page's script needs that the API does not say."""
    text = _script_safe(json.dumps(dict(config), ensure_ascii=False, separators=(", ", ": ")))
    args = f"{map_name}, {text}" if map_name else text
    return Markup(module_start(name, module, args))


def _script_safe(text: str) -> str:
    """JSON made safe inside a ``<script>`` element: no ``</script>`` or ``<!--`` can close it."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_map_page(
    template: str,
    fmap: folium.Map,
    *,
    module: tuple[str, str],
    config: Mapping[str, Any],
    **context: Any,
) -> str:
    """A page around a folium map: ``module`` is the page's ES module (``("GridmapEditor",
    "gridmap/edit.js")``), started with the map and ``config``."""
    parts = map_parts(fmap)
    name, path = module
    start = start_script(name, path, config, map_name=parts.name)
    return render(template, map=parts, start=start, **context)
