"""The councils page at ``/councils/map`` (议事协商): venues (居民之家, 议事厅, 议事坪) and
councils on the map, the list, and for a chosen council its parties, its four steps with their
days and minutes, the decision and who does what; the party committee records the next step.

folium builds the Leaflet map; the shell (``templates/councils.html``) lays out the page; the
behaviour lives in ``static/gridmap/councils.js``. Data come from ``/councils/…`` with the same
checks (the form is only shown to ``hold_councils``; the API refuses anyone else).
"""

from __future__ import annotations

from gis.infra.settings import Settings
from gis.labels import COUNCIL_PARTIES, COUNCIL_STATUSES, COUNCIL_STEPS, VENUE_KINDS
from maps.city_map import room_map
from maps.nav import PageViewer
from maps.shell import render_map_page

TITLE = "议事协商 Councils · Gridmap"
COUNCILS_JS = "gridmap/councils.js"
NEEDS_CSS = "gridmap/needs.css"  # the same panel and list as the needs page
COUNCILS_CSS = "gridmap/councils.css"


def councils_page_html(settings: Settings, viewer: PageViewer, *, can_hold: bool) -> str:
    """The page; ``can_hold`` shows the step form (the API checks again)."""
    fmap = room_map(settings)
    return render_map_page(
        "councils.html",
        fmap,
        module=("GridmapCouncils", COUNCILS_JS),
        config={
            "canHold": can_hold,
            "statuses": COUNCIL_STATUSES,
            "steps": COUNCIL_STEPS,
            "parties": COUNCIL_PARTIES,
            "venueKinds": VENUE_KINDS,
        },
        title=TITLE,
        viewer=viewer,
        css=[NEEDS_CSS, COUNCILS_CSS],
    )
