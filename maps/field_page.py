"""The field worker's page at ``/field``: their own grid on a phone (375 px wide and up).

folium lays out the Leaflet map (from the app, no CDN) between a small title bar and the list
of the grid's buildings, people and open incidents; on a wide screen the list stands beside
the map. The behaviour lives in ``static/gridmap/field.js`` and the data comes from
``GET /party/field`` — the same answer, scoped the same way, that a script would get.
"""

from __future__ import annotations

from dataclasses import dataclass

from branca.element import Element, Figure

from gis.infra.settings import Settings
from maps.city_map import OfflineMap
from maps.nav import HeaderUser, PageLink, site_header
from maps.page_app import PageApp

FIELD_JS = "gridmap/field.js"
FIELD_CSS = "gridmap/field.css"
TITLE = "我的网格 My grid · Gridmap"


@dataclass(frozen=True)
class FieldViewer:
    """Who the page is for, and which grid it shows."""

    name: str
    role: str  # e.g. "网格员 Field worker"
    csrf_token: str
    grid: str | None  # None: the page asks for a grid code (users without a grid of their own)
    layer: str
    pages: tuple[PageLink, ...] = ()


def _header(viewer: FieldViewer) -> str:
    user = HeaderUser(viewer.name, viewer.role, "", viewer.csrf_token, viewer.pages)
    return site_header(
        user,
        title="我的网格",
        title_en="My grid",
        current="field",
        extra_class="gf-bar",
        title_testid="grid-name",
        subtitle=f"{viewer.name} · {viewer.role.split(' ')[0]}",
        subtitle_testid="grid-sub",
    )


_PANEL = """
    <section class="gf-panel" aria-label="网格清单 Grid list">
      <div class="gf-stats" data-testid="stats"></div>
      <div class="gf-search">
        <input type="search" id="gf-q" data-testid="search" autocomplete="off"
               placeholder="搜索楼栋名称或编号 Search building name or number"
               aria-label="搜索楼栋 Search buildings">
      </div>
      <nav class="gf-tabs" role="tablist">
        <button type="button" role="tab" class="gf-tab" data-tab="buildings"
                data-testid="tab-buildings" aria-selected="true">楼栋 <span>Buildings</span>
          <b data-count="buildings"></b></button>
        <button type="button" role="tab" class="gf-tab" data-tab="people"
                data-testid="tab-people" aria-selected="false">人员 <span>People</span>
          <b data-count="people"></b></button>
        <button type="button" role="tab" class="gf-tab" data-tab="incidents"
                data-testid="tab-incidents" aria-selected="false">事件 <span>Incidents</span>
          <b data-count="incidents"></b></button>
      </nav>
      <section class="gf-report" data-testid="report" aria-label="上报事件 Report an incident">
        <button type="button" class="gf-report-open" data-testid="report-open">上报事件
          <span>Report an incident</span></button>
        <form class="gf-report-form" data-testid="report-form" hidden>
          <p class="gf-report-where" data-testid="report-where"></p>
          <label>类别 <span class="gf-en">Category</span>
            <select name="category" required data-testid="report-category"></select></label>
          <label>情况 <span class="gf-en">What is wrong</span>
            <textarea name="description" rows="3" maxlength="4000" required
                      data-testid="report-description"></textarea></label>
          <div class="gf-report-buttons">
            <button type="submit" data-testid="report-send">上报 <span>Send</span></button>
            <button type="button" class="gf-quiet" data-testid="report-cancel">取消</button>
          </div>
        </form>
        <p class="gf-report-msg" role="status" data-testid="report-message"></p>
      </section>
      <p class="gf-status" role="status" data-testid="status">加载中… Loading…</p>
      <ul class="gf-list" data-list="buildings" data-testid="list-buildings"></ul>
      <ul class="gf-list" data-list="people" data-testid="list-people" hidden></ul>
      <ul class="gf-list" data-list="incidents" data-testid="list-incidents" hidden></ul>
    </section>"""

_ASK = """
    <section class="gf-panel gf-ask">
      <form method="get" action="field" class="gf-ask-form">
        <label for="gf-grid">网格编码 <span class="gf-en">Grid code</span></label>
        <input id="gf-grid" name="grid" required pattern="[0-9]{12}[0-9A-Za-z]{1,12}"
               placeholder="361002001001001" inputmode="numeric">
        <button type="submit">查看 View</button>
      </form>
    </section>"""


def build_field_map(settings: Settings, viewer: FieldViewer) -> OfflineMap:
    fmap = OfflineMap(
        location=(27.95, 116.36),
        zoom_start=15,
        tiles=None,
        control_scale=True,
        zoom_control="topleft",
        prefer_canvas=False,
    )
    if settings.tile_url:
        import folium

        folium.TileLayer(
            tiles=settings.tile_url,
            attr=settings.tile_attribution or "底图 Base map",
            control=False,
            max_zoom=19,
        ).add_to(fmap)
    root = fmap.get_root()
    assert isinstance(root, Figure)
    root.title = TITLE
    root.html.add_child(Element(_header(viewer)), name="gf_header", index=0)
    root.html.add_child(Element(_PANEL if viewer.grid else _ASK), name="gf_panel")
    fmap.add_child(
        PageApp(
            "GridmapField",
            FIELD_JS,  # imports field_report.js
            css=[FIELD_CSS],
            config={
                "grid": viewer.grid,
                "layer": viewer.layer,
                "hasTiles": bool(settings.tile_url),
            },
            csrf_token=viewer.csrf_token,
        )
    )
    return fmap


def field_page_html(settings: Settings, viewer: FieldViewer) -> str:
    html = build_field_map(settings, viewer).get_root().render()
    return html.replace("<html>", '<html lang="zh-CN">', 1)
