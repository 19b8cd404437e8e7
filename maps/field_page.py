"""The field worker's page at ``/field``: their own grid on a phone (375 px wide and up).

folium builds the Leaflet map (from the app, no CDN); the page shell (``templates/field.html``)
places it between a small title bar and the list of the grid's buildings, people and open
incidents; on a wide screen the list stands beside the map. The behaviour lives in
``static/gridmap/field.js`` and the data comes from ``GET /party/field`` — the same answer,
scoped the same way, that a script would get.
"""

from __future__ import annotations

from gis.accounts.roles import Permission, Role
from gis.infra.settings import Settings
from gis.labels import NEED_KINDS
from maps.city_map import OfflineMap, add_base_tiles
from maps.nav import PageViewer
from maps.shell import render_map_page

FIELD_JS = "gridmap/field.js"
FIELD_CSS = "gridmap/field.css"
TITLE = "我的网格 My grid · Gridmap"


def build_field_map(settings: Settings) -> OfflineMap:
    """The folium map of the page (the script fits it to the grid)."""
    fmap = OfflineMap(
        location=(27.95, 116.36),
        zoom_start=15,
        tiles=None,
        control_scale=True,
        zoom_control="topleft",
        prefer_canvas=False,
    )
    add_base_tiles(fmap, settings, max_zoom=19)
    return fmap


def field_page_html(settings: Settings, viewer: PageViewer, *, grid: str | None, layer: str) -> str:
    """The page for ``grid`` of ``layer``; without a grid (a user with no grid of their own) it
    asks for a grid code."""
    return render_map_page(
        "field.html",
        build_field_map(settings),
        # field.js imports field_report.js, field_patrol.js and field_score.js.
        module=("GridmapField", FIELD_JS),
        config={
            "grid": grid,
            "layer": layer,
            "hasTiles": bool(settings.tile_url),
            "needKinds": NEED_KINDS,
        },
        title=TITLE,
        viewer=viewer,
        css=[FIELD_CSS],
        grid=grid,
        # The patrol bar (巡查, 打卡, 报备外出) is a field worker's, on their own grid.
        patrol=viewer.user.role == Role.FIELD_WORKER and grid == viewer.user.scope.code,
        # 群众点单 on a resident's behalf: those who record needs (the API checks the grid).
        can_report_needs=viewer.user.can(Permission.REPORT_NEEDS),
    )
