"""The needs page at ``/needs/map`` (三张清单): needs on the map by status, the list, and for a
chosen need the ranked takers with a one-click dispatch (community staff) or the order's answer
(a taker: accept, decline, done).

folium builds the Leaflet map; the shell (``templates/needs.html``) lays out the page; the
behaviour lives in ``static/gridmap/needs.js``. Data come from ``/needs/…`` with the same checks.
"""

from __future__ import annotations

from gis.infra.settings import Settings
from gis.labels import NEED_KINDS, NEED_STATUSES
from maps.city_map import room_map
from maps.nav import PageViewer
from maps.shell import render_map_page

TITLE = "需求清单 Needs · Gridmap"
NEEDS_JS = "gridmap/needs.js"
NEEDS_CSS = "gridmap/needs.css"


def needs_page_html(
    settings: Settings, viewer: PageViewer, *, can_dispatch: bool, can_take: bool
) -> str:
    """The page; ``can_dispatch`` / ``can_take`` show the buttons (the API checks again)."""
    fmap = room_map(settings)
    return render_map_page(
        "needs.html",
        fmap,
        module=("GridmapNeeds", NEEDS_JS),
        config={
            "canDispatch": can_dispatch,
            "canTake": can_take,
            "statuses": NEED_STATUSES,
            "kinds": NEED_KINDS,
        },
        title=TITLE,
        viewer=viewer,
        css=[NEEDS_CSS],
    )
