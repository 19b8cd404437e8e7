"""The incident map page at ``/incidents/map``: points (clustered when zoomed out), a heat map,
H3 hexagons and a grid choropleth of the figures, beside a department's queue and one incident's
history with the moves the user may make.

folium lays out the page and the Leaflet map; the behaviour lives in
``static/gridmap/incidents.js``. Leaflet.markercluster and Leaflet.heat are vendored under
``static/vendor`` (see its README): nothing is loaded from outside the app.
"""

from __future__ import annotations

from typing import Any

from branca.element import Element, Figure
from markupsafe import escape

from gis.infra.settings import Settings
from gis.labels import INCIDENT_STATES
from maps.assets import VECTORGRID_JS
from maps.city_map import DEFAULT_CENTER, OfflineMap, Viewer, header_user
from maps.nav import site_header
from maps.page_app import PageApp

TITLE = "事件地图 Incidents · Gridmap"
INCIDENTS_JS = "gridmap/incidents.js"
INCIDENTS_CSS = "gridmap/incidents.css"
CLUSTER_JS = "vendor/leaflet.markercluster/leaflet.markercluster.js"
CLUSTER_CSS = "vendor/leaflet.markercluster/MarkerCluster.css"
CLUSTER_DEFAULT_CSS = "vendor/leaflet.markercluster/MarkerCluster.Default.css"
HEAT_JS = "vendor/leaflet.heat/leaflet-heat.js"


def _bar(viewer: Viewer) -> str:
    return site_header(
        header_user(viewer),
        title="事件地图",
        title_en="Incidents · 吹哨报到",
        current="incidents/map",
        base="../",
        extra_class="gi-bar",
    )


def _options(pairs: list[tuple[str, str]]) -> str:
    return "".join(f'<option value="{escape(v)}">{escape(t)}</option>' for v, t in pairs)


def _panel(categories: list[dict[str, Any]]) -> str:
    cats = _options([(c["code"], f"{c['code']} {c['name_en']}") for c in categories])
    states = _options(list(INCIDENT_STATES.items()))
    return f"""
    <aside class="gi-tools" aria-label="显示 Display">
      <fieldset class="gi-modes" data-testid="modes">
        <legend>显示 <span class="gi-en">Show</span></legend>
        <label><input type="radio" name="mode" value="points" checked> 点位 / 聚合
          <span class="gi-en">Points</span></label>
        <label><input type="radio" name="mode" value="heat"> 热力 <span class="gi-en">Heat</span>
        </label>
        <label><input type="radio" name="mode" value="hexagons"> 六边形
          <span class="gi-en">H3</span></label>
        <label><input type="radio" name="mode" value="grids"> 网格统计
          <span class="gi-en">Grid figures</span></label>
      </fieldset>
      <form class="gi-filters" data-testid="filters">
        <label>类别 <span class="gi-en">Category</span>
          <select name="category"><option value="">全部 All</option>{cats}</select></label>
        <label>状态 <span class="gi-en">State</span>
          <select name="state"><option value="">全部 All</option>{states}</select></label>
        <label>办结 <span class="gi-en">Status</span>
          <select name="status"><option value="">全部 All</option>
            <option value="open">未办结 Open</option><option value="closed">已办结 Closed</option>
          </select></label>
        <label>自 <span class="gi-en">From</span> <input type="date" name="since"></label>
        <label>至 <span class="gi-en">Until</span> <input type="date" name="until"></label>
        <button type="submit">筛选 <span class="gi-en">Filter</span></button>
      </form>
      <div class="gi-legend" data-testid="legend"></div>
    </aside>
    <section class="gi-side" aria-label="队列与统计 Queue and figures">
      <nav class="gi-tabs" role="tablist">
        <button type="button" data-tab="queue" class="gi-on">队列 <span class="gi-en">Queue</span>
        </button>
        <button type="button" data-tab="figures">统计 <span class="gi-en">Figures</span></button>
        <button type="button" data-tab="detail">详情 <span class="gi-en">Detail</span></button>
      </nav>
      <div class="gi-tab" data-pane="queue" data-testid="queue"></div>
      <div class="gi-tab" data-pane="figures" data-testid="figures" hidden>
        <label>按 <span class="gi-en">By</span> <select name="by">
          <option value="grid">网格 Grid</option><option value="department">部门 Department</option>
          <option value="community">社区 Community</option>
          <option value="category">类别 Category</option></select></label>
        <div class="gi-figures"></div>
      </div>
      <div class="gi-tab" data-pane="detail" data-testid="detail" hidden>
        <p class="gi-hint">在地图或队列中点选事件。<span class="gi-en">Pick an incident on the map
          or in the queue.</span></p>
      </div>
    </section>"""


def incidents_page_html(
    settings: Settings,
    viewer: Viewer,
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
    if settings.tile_url:
        import folium

        folium.TileLayer(
            tiles=settings.tile_url,
            attr=settings.tile_attribution or "底图 Base map",
            control=False,
            max_zoom=18,
        ).add_to(fmap)
    root = fmap.get_root()
    assert isinstance(root, Figure)
    root.title = TITLE
    root.html.add_child(Element(_bar(viewer) + _panel(categories)), name="gi_ui", index=0)
    config = {
        "abilities": abilities,
        "department": department,
        "states": INCIDENT_STATES,
        "crs": "gcj02" if settings.tile_crs.lower() == "gcj02" else None,
    }
    fmap.add_child(
        PageApp(
            "GridmapIncidents",
            INCIDENTS_JS,
            js=[CLUSTER_JS, HEAT_JS, VECTORGRID_JS],
            css=[CLUSTER_CSS, CLUSTER_DEFAULT_CSS, INCIDENTS_CSS],
            config=config,
            csrf_token=viewer.csrf_token,
        )
    )
    html = root.render()
    return html.replace("<html>", '<html lang="zh-CN">', 1)
