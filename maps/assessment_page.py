"""The 考核 page at ``/assessment/map``: the supervisors' view of the field workers' monthly
scores — the ranking per street as a table (score, share of time in the own grid against the
60 % rule; a click shows the score's explanation line by line) and on a map (each worker's grid
coloured by score), with the ranking's CSV/XLSX export.

folium builds the Leaflet map; the shell (``templates/assessment.html``) lays out the page; the
behaviour lives in ``static/gridmap/assessment.js``. Data come from ``/assessment/scores``,
``/assessment/scores/map`` and ``/field/score?worker=…``, scoped and checked there.
"""

from __future__ import annotations

from gis.infra.settings import Settings
from gis.patrols.figures import RULE_SHARE
from maps.city_map import room_map
from maps.nav import PageViewer
from maps.shell import render_map_page

TITLE = "考核排名 Scores · Gridmap"
ASSESSMENT_JS = "gridmap/assessment.js"
NEEDS_CSS = "gridmap/needs.css"  # the same map-and-panel layout as the needs page
ASSESSMENT_CSS = "gridmap/assessment.css"


def assessment_page_html(settings: Settings, viewer: PageViewer) -> str:
    """The page (the API decides whose scores it shows)."""
    return render_map_page(
        "assessment.html",
        room_map(settings),
        module=("GridmapAssessment", ASSESSMENT_JS),
        config={"ruleShare": RULE_SHARE},
        title=TITLE,
        viewer=viewer,
        css=[NEEDS_CSS, ASSESSMENT_CSS],
    )
