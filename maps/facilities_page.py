"""The service-points page at ``/facilities/map`` (十五分钟生活圈): facilities of a kind on the
map, every community coloured by the share of its people needing care beyond a 15-minute walk
(the gaps), a table of the worst communities, and a facility's 5/10/15-minute walk on a click.

folium builds the Leaflet map; the shell (``templates/facilities.html``) lays out the page; the
behaviour lives in ``static/gridmap/facilities.js``. Data come from ``/facilities/…`` and
``/communities`` with the caller's scope.
"""

from __future__ import annotations

from gis.facilities.kinds import KIND_LABELS
from gis.infra.settings import Settings
from maps.city_map import room_map
from maps.nav import PageViewer
from maps.shell import render_map_page

TITLE = "服务设施覆盖 Service points · Gridmap"
PAGE_JS = "gridmap/facilities.js"
PAGE_CSS = "gridmap/needs.css"


def facilities_page_html(settings: Settings, viewer: PageViewer) -> str:
    """The page (every role that may view the map; the API keeps to the caller's scope)."""
    fmap = room_map(settings)
    return render_map_page(
        "facilities.html",
        fmap,
        module=("GridmapFacilities", PAGE_JS),
        config={"kinds": KIND_LABELS},
        title=TITLE,
        viewer=viewer,
        css=[PAGE_CSS],
    )
