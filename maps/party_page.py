"""The organisation department's page at ``/party``: coverage and assignments, on a desktop.

The map shows buildings with and without a building leader (and, zoomed out, grids with and
without a grid leader); the side panel holds the coverage counts per community, the list of
buildings with no leader, and for a chosen building the nearest members with free capacity,
each with a button that assigns them (for roles that may manage assignments). The suggestions
open at the top of the panel, where the user looks after choosing a building. Data come from
``/party/…``; the script is ``static/gridmap/party.js``.
"""

from __future__ import annotations

from dataclasses import dataclass

from branca.element import Element, Figure

from maps.assets import VECTORGRID_JS
from maps.city_map import OfflineMap
from maps.nav import HeaderUser, PageLink, site_header
from maps.page_app import PageApp

PARTY_JS = "gridmap/party.js"
PARTY_CSS = "gridmap/party.css"
TITLE = "党员网格角色 Party roles · Gridmap"


@dataclass(frozen=True)
class PartyViewer:
    name: str
    role: str
    csrf_token: str
    can_assign: bool
    max_buildings: int
    pages: tuple[PageLink, ...] = ()


def _header(viewer: PartyViewer) -> str:
    tools = """<div class="gm-tools"><a class="gp-export"
         href="party/assignments/export?format=xlsx" data-testid="export">导出
         <span class="gm-en">Export XLSX</span></a></div>"""
    user = HeaderUser(viewer.name, viewer.role, "", viewer.csrf_token, viewer.pages)
    return site_header(
        user,
        title="党员网格角色",
        title_en="Party members' grid roles",
        current="party",
        tools=tools,
        extra_class="gp-bar",
    )


_PANEL = """
    <aside class="gp-panel" data-testid="panel">
      <section class="gp-suggest" data-testid="suggest" aria-live="polite" hidden>
        <h2>推荐党员 <span class="gp-en">Nearest members with free capacity</span>
          <button type="button" class="gp-close" data-testid="suggest-close"
            title="关闭 Close">×</button></h2>
        <p class="gp-target" data-testid="suggest-target"></p>
        <ol class="gp-list gp-compact" data-testid="suggestions"></ol>
      </section>
      <section>
        <h2>覆盖情况 <span class="gp-en">Coverage</span></h2>
        <div class="gp-totals" data-testid="totals"></div>
      </section>
      <section>
        <h2>按社区 <span class="gp-en">By community</span></h2>
        <div class="gp-table-wrap"><table class="gp-table" data-testid="by-community">
          <thead><tr><th>社区 Community</th><th title="网格长 Grid leaders">网格</th>
            <th title="楼栋长 Building leaders">楼栋</th><th title="单元长 Unit leaders">单元</th>
            <th title="有角色的党员 Members with a role">党员</th></tr></thead>
          <tbody></tbody></table></div>
      </section>
      <section>
        <h2>无楼栋长的楼栋 <span class="gp-en">Buildings with no leader</span>
          <b data-testid="uncovered-count"></b></h2>
        <ul class="gp-list" data-testid="uncovered"></ul>
        <button type="button" class="gp-more" data-testid="more" hidden>更多 More</button>
      </section>
      <p class="gp-status" role="status" data-testid="status"></p>
    </aside>"""


def party_page_html(viewer: PartyViewer) -> str:
    fmap = OfflineMap(
        location=(27.95, 116.36), zoom_start=12, tiles=None, zoom_control="topleft",
        prefer_canvas=True, control_scale=True,
    )  # fmt: skip
    root = fmap.get_root()
    assert isinstance(root, Figure)
    root.title = TITLE
    root.html.add_child(Element(_header(viewer)), name="gp_header", index=0)
    root.html.add_child(Element(_PANEL), name="gp_panel")
    fmap.add_child(
        PageApp(
            "GridmapParty",
            PARTY_JS,
            js=[VECTORGRID_JS],
            css=[PARTY_CSS],
            config={
                "canAssign": viewer.can_assign,
                "maxBuildings": viewer.max_buildings,
            },
            csrf_token=viewer.csrf_token,
        )
    )
    return root.render().replace("<html>", '<html lang="zh-CN">', 1)
