"""The scenarios page at ``/compare`` (方案比选): run, follow, compare, cross-walk and adopt.

The page is plain HTML around two Leaflet maps; its behaviour lives in
``static/gridmap/compare.js`` (scenario list with progress bars, the metrics table, a workload
histogram per scenario drawn as SVG, the two maps that pan and zoom together, the "what changed"
overlay, the crosswalk, the impact preview, adoption). Everything loads from the app itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from markupsafe import escape

from maps.assets import (
    FAVICON,
    HEADER_CSS,
    LEAFLET_CSS,
    LEAFLET_DEFAULTS_JS,
    LEAFLET_JS,
    VECTORGRID_JS,
    import_map,
    module_start,
    static_url,
)
from maps.nav import HeaderUser, PageLink, site_header
from maps.page_app import labels_json

COMPARE_JS = "gridmap/compare.js"
COMPARE_CSS = "gridmap/compare.css"
REPORT_CSS = "gridmap/scenario_report.css"
TITLE = "方案比选 Scenarios · Gridmap"


@dataclass(frozen=True)
class PageUser:
    name: str
    scope: str
    scope_code: str
    csrf_token: str
    role: str = ""
    pages: tuple[PageLink, ...] = ()


def _header(user: PageUser) -> str:
    header_user = HeaderUser(user.name, user.role, user.scope, user.csrf_token, user.pages)
    return site_header(
        header_user,
        title="方案比选",
        title_en="Merge scenarios",
        current="compare",
        extra_class="cmp-bar",
    )


def compare_page_html(user: PageUser, config: dict[str, Any]) -> str:
    """The page; ``config`` (band, selected items…) is handed to the script as JSON."""
    start = json.dumps(config | {"scopeCode": user.scope_code}, ensure_ascii=False).replace(
        "</", "<\\/"
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(TITLE)}</title>
<link rel="icon" type="image/svg+xml" href="{static_url(FAVICON)}">
<link rel="stylesheet" href="{static_url(LEAFLET_CSS)}">
<link rel="stylesheet" href="{static_url(HEADER_CSS)}">
<link rel="stylesheet" href="{static_url(COMPARE_CSS)}">
<meta name="csrf-token" content="{escape(user.csrf_token)}">
{labels_json()}
{import_map()}
<script src="{static_url(LEAFLET_JS)}"></script>
<script src="{static_url(LEAFLET_DEFAULTS_JS)}"></script>
<script src="{static_url(VECTORGRID_JS)}"></script>
</head>
<body>
{_header(user)}
<main class="cmp-main">
  <section class="cmp-card" id="create">
    <h2>新建方案 <span class="en">New scenario</span></h2>
    <form id="create-form" data-testid="create-form">
      <label>名称 Name <input name="name" required maxlength="128"></label>
      <label>范围 Area <input name="area" required placeholder="361002 或 361002001001,…"></label>
      <label>网格数 Target count <input name="target_count" type="number" min="1"></label>
      <label>标准 Band <input name="band_low" type="number" min="0" step="any"> –
        <input name="band_high" type="number" min="0" step="any"></label>
      <fieldset class="cmp-weights"><legend>工作量权重 Workload weights</legend>
        <label>户数 households <input name="w_households" type="number" min="0" step="any"></label>
        <label>人口 population <input name="w_population" type="number" min="0" step="any"></label>
        <label>楼栋 buildings <input name="w_buildings" type="number" min="0" step="any"></label>
        <label>年事件 incidents/yr
          <input name="w_incidents_per_year" type="number" min="0" step="any"></label>
        <label>关爱对象 care <input name="w_care_people" type="number" min="0" step="any"></label>
      </fieldset>
      <label>随机种子 Seed <input name="seed" type="number" min="0" value="0"></label>
      <label><input name="from_unified" type="checkbox" checked> 从现统一网格出发
        <span class="en">start from today's unified layer</span></label>
      <label><input name="keep_locked" type="checkbox" checked> 保留锁定网格
        <span class="en">keep locked grids</span></label>
      <button type="submit">运行 <span class="en">Run</span></button>
      <p class="cmp-msg" id="create-msg" role="status"></p>
    </form>
  </section>
  <section class="cmp-card" id="list">
    <h2>方案 <span class="en">Scenarios</span></h2>
    <p class="cmp-hint">勾选 2–5 个方案比较 <span class="en">Tick 2–5 to compare</span>;
      参考图层 <span class="en">reference layers</span>: <span id="ref-layers"></span></p>
    <table class="cmp-table" data-testid="scenario-list"><thead><tr>
      <th></th><th>方案 Scenario</th><th>范围 Area</th><th>状态 State</th><th>进度 Progress</th>
      <th>网格 Grids</th><th>CV</th><th></th></tr></thead><tbody></tbody></table>
    <button id="compare-btn" type="button" data-testid="compare">比较
      <span class="en">Compare</span></button>
  </section>
  <section class="cmp-card" id="metrics" hidden>
    <h2>指标 <span class="en">Metrics</span></h2>
    <p class="cmp-hint" id="metrics-note"></p>
    <table class="cmp-table" data-testid="metrics-table"><thead></thead><tbody></tbody></table>
    <div class="cmp-hists" id="histograms" data-testid="histograms"></div>
  </section>
  <section class="cmp-card" id="maps" hidden>
    <h2>地图对照 <span class="en">Side by side</span></h2>
    <div class="cmp-map-controls">
      <label>左 Left <select id="left-select"></select></label>
      <label>右 Right <select id="right-select"></select></label>
      <label><input id="changes-toggle" type="checkbox" checked> 变动单元
        <span class="en">what changed</span></label>
      <span id="changes-count" data-testid="changes-count"></span>
    </div>
    <div class="cmp-maps">
      <div id="map-left" class="cmp-map" data-testid="map-left"></div>
      <div id="map-right" class="cmp-map" data-testid="map-right"></div>
    </div>
  </section>
  <section class="cmp-card" id="detail" hidden>
    <h2>方案详情 <span class="en">Scenario</span>: <span id="detail-name"></span></h2>
    <p class="cmp-links" id="detail-links"></p>
    <div id="figures" data-testid="figures"></div>
    <h3>多网合一对照表 <span class="en">Crosswalk</span></h3>
    <label>筛选 Filter <input id="xwalk-filter" placeholder="网格编码 grid code"></label>
    <table class="cmp-table cmp-small" data-testid="crosswalk">
      <thead></thead><tbody></tbody></table>
    <h3>影响预览 <span class="en">Impact preview</span></h3>
    <form id="impact-form"><label>社区 Community <input name="community" pattern="\\d{{12}}"
      placeholder="361002001001"></label> <button type="submit">查看 Show</button></form>
    <div id="impact" data-testid="impact"></div>
    <h3>采纳 <span class="en">Adopt</span></h3>
    <button id="adopt-btn" type="button" data-testid="adopt">采纳为统一网格
      <span class="en">Adopt as the unified layer</span></button>
    <div id="adopt-result" role="status"></div>
  </section>
</main>
{module_start("GridmapCompare", COMPARE_JS, start)}
</body>
</html>
"""
