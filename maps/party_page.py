"""The organisation department's page at ``/party``: coverage and assignments, on a desktop.

The map shows buildings with and without a building leader (and, zoomed out, grids with and
without a grid leader); the side panel holds the coverage counts per community, the list of
buildings with no leader, and for a chosen building the nearest members with free capacity,
each with a button that assigns them (for roles that may manage assignments). The suggestions
open at the top of the panel, where the user looks after choosing a building. Data come from
``/party/…``; the script is ``static/gridmap/party.js``; the layout is ``templates/party.html``.
"""

from __future__ import annotations

from maps.assets import VECTORGRID_JS
from maps.city_map import OfflineMap
from maps.nav import PageViewer
from maps.shell import render_map_page

PARTY_JS = "gridmap/party.js"
PARTY_CSS = "gridmap/party.css"
TITLE = "党员网格角色 Party roles · Gridmap"


def party_page_html(viewer: PageViewer, *, can_assign: bool, max_buildings: int) -> str:
    """The page; ``can_assign`` shows the assign buttons (the API checks again)."""
    fmap = OfflineMap(
        location=(27.95, 116.36), zoom_start=12, tiles=None, zoom_control="topleft",
        prefer_canvas=True, control_scale=True,
    )  # fmt: skip
    return render_map_page(
        "party.html",
        fmap,
        module=("GridmapParty", PARTY_JS),
        config={"canAssign": can_assign, "maxBuildings": max_buildings},
        title=TITLE,
        viewer=viewer,
        css=[PARTY_CSS],
        js=[VECTORGRID_JS],
    )
