"""The incident map page at ``/incidents/map``: points (clustered when zoomed out), a heat map,
H3 hexagons and a grid choropleth of the figures, beside a department's queue and one incident's
history with the moves the user may make.

folium builds the Leaflet map and the page shell (``templates/incidents.html``) lays out the
page; the behaviour lives in
``static/gridmap/incidents.js``. Leaflet.markercluster and Leaflet.heat are vendored under
``static/vendor`` (see its README): nothing is loaded from outside the app.
"""

from __future__ import annotations

from typing import Any

from gis.infra.settings import Settings
from gis.labels import INCIDENT_STATES, NEED_KINDS
from maps.assets import VECTORGRID_JS
from maps.city_map import DEFAULT_CENTER, OfflineMap, add_base_tiles
from maps.nav import PageViewer
from maps.shell import render_map_page

TITLE = "事件地图 Incidents · Gridmap"
INCIDENTS_JS = "gridmap/incidents.js"
INCIDENTS_CSS = "gridmap/incidents.css"
CLUSTER_JS = "vendor/leaflet.markercluster/leaflet.markercluster.js"
CLUSTER_CSS = "vendor/leaflet.markercluster/MarkerCluster.css"
CLUSTER_DEFAULT_CSS = "vendor/leaflet.markercluster/MarkerCluster.Default.css"
HEAT_JS = "vendor/leaflet.heat/leaflet-heat.js"


def incidents_page_html(
    settings: Settings,
    viewer: PageViewer,
    *,
    categories: list[dict[str, Any]],
    abilities: dict[str, bool],
    department: str | None,
) -> str:
    fmap = OfflineMap(
        location=DEFAULT_CENTER,
        zoom_start=11,
        tiles=None,
        zoom_control="topleft",
        prefer_canvas=True,  # thousands of points and hexagons: canvas, not one SVG node each
        zoom_snap=0.5,
    )
    add_base_tiles(fmap, settings, max_zoom=18)
    config = {
        "abilities": abilities,
        "department": department,
        "states": INCIDENT_STATES,
        "needKinds": NEED_KINDS,  # an incident escalated to a need (incidents_escalate.js)
        "crs": "gcj02" if settings.tile_crs.lower() == "gcj02" else None,
    }
    return render_map_page(
        "incidents.html",
        fmap,
        module=("GridmapIncidents", INCIDENTS_JS),
        config=config,
        title=TITLE,
        viewer=viewer,
        css=[CLUSTER_CSS, CLUSTER_DEFAULT_CSS, INCIDENTS_CSS],
        js=[CLUSTER_JS, HEAT_JS, VECTORGRID_JS],
        categories=categories,
        states=INCIDENT_STATES,
    )
