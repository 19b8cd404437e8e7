"""The one-page printable report of a scenario: map, metrics table, histogram (HTML + print CSS).

Drawn on the server: the map is SVG from PostGIS (``gis.scenarios.report``), the histogram is
SVG bars, so the page prints the same in any browser, with no script at all.
"""

from __future__ import annotations

from typing import Any

from markupsafe import escape

from gis.chinatime import china_time
from gis.labels import SCENARIO_STATES
from maps.assets import FAVICON, static_url
from maps.compare_page import REPORT_CSS

BAND_COLOURS = {"under": "#6fa8dc", "in": "#c9dcb3", "over": "#f3a65a"}
METRIC_ROWS = (
    ("grid_count", "网格数 Grids", "{:,}"),
    ("workload_mean", "平均工作量 Mean workload", "{:,.1f}"),
    ("workload_cv", "变异系数 CV", "{:.3f}"),
    ("workload_min", "最小 Min", "{:,.0f}"),
    ("workload_max", "最大 Max", "{:,.0f}"),
    ("share_in_band", "达标比例 Share in band", "{:.1%}"),
    ("households_per_grid", "户/网格 Households per grid", "{:,.1f}"),
    ("polsby_popper_mean", "紧凑度 Polsby–Popper", "{:.3f}"),
    ("grids_crossing_communities", "跨社区网格 Crossing communities", "{:,}"),
    ("units_moved", "变动单元 Units moved", "{:,}"),
)


def _fmt(value: Any, pattern: str) -> str:
    if value is None:
        return "–"
    try:
        return pattern.format(value)
    except (TypeError, ValueError):
        return str(value)


def histogram_svg(metrics: list[dict[str, Any]], width: int = 360, height: int = 140) -> str:
    """Bars of grid counts per workload bin, one colour per layer, shared bins."""
    colours = ["#2c6e9b", "#c4391d", "#6a8f3a", "#8a5fb0", "#d08c1a"]
    edges = metrics[0]["histogram"]["edges"]
    bins = len(edges) - 1
    top = max((max(m["histogram"]["counts"]) for m in metrics), default=1) or 1
    group = (width - 30) / bins
    bar = group / max(len(metrics), 1)
    parts = [
        f'<svg class="rp-hist" viewBox="0 0 {width} {height + 20}" role="img" '
        'aria-label="workload histogram">'
    ]
    for k, m in enumerate(metrics):
        for i, n in enumerate(m["histogram"]["counts"]):
            h = (height - 10) * n / top
            x = 30 + i * group + k * bar
            parts.append(
                f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{max(bar - 0.5, 0.5):.1f}" '
                f'height="{h:.1f}" fill="{colours[k % 5]}"><title>{escape(m["code"])}: '
                f"{edges[i]:g}–{edges[i + 1]:g}: {n}</title></rect>"
            )
    low, high = metrics[0]["band"]
    for value in (low, high):
        x = 30 + (width - 30) * value / (edges[-1] or 1)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{height}" class="rp-band-line"/>')
    parts.append(
        f'<text x="30" y="{height + 14}" class="rp-axis">0</text>'
        f'<text x="{width}" y="{height + 14}" text-anchor="end" class="rp-axis">'
        f'{edges[-1]:,.0f}</text><text x="0" y="10" class="rp-axis">{top}</text></svg>'
    )
    legend = "".join(
        f'<span><i style="background:{colours[k % 5]}"></i>{escape(m["code"])}</span>'
        for k, m in enumerate(metrics)
    )
    return "".join(parts) + f'<p class="rp-legend">{legend}</p>'


def report_html(data: dict[str, Any]) -> str:
    scenario, metrics, figures, drawing = (
        data["scenario"],
        data["metrics"],
        data["figures"],
        data["map"],
    )
    params = scenario["params"]
    heads = "".join(f"<th>{escape(m['code'])}</th>" for m in metrics)
    rows = "".join(
        f"<tr><th>{label}</th>"
        + "".join(f"<td>{escape(_fmt(m.get(key), pattern))}</td>" for m in metrics)
        + "</tr>"
        for key, label, pattern in METRIC_ROWS
    )
    box = drawing["view_box"]
    paths = "".join(
        f'<path d="{escape(p["d"])}" fill="{BAND_COLOURS[p["band"]]}"><title>'
        f"{escape(p['code'])}</title></path>"
        for p in drawing["paths"]
    )
    svg_map = (
        f'<svg class="rp-map" viewBox="{box[0]:.0f} {box[1]:.0f} {box[2]:.0f} {box[3]:.0f}" '
        f'preserveAspectRatio="xMidYMid meet" role="img" aria-label="grids">{paths}</svg>'
        if box
        else "<p>–</p>"
    )
    weights = ", ".join(f"{k} × {v:g}" for k, v in params["weights"].items() if v)
    before, after = figures["before"], figures["after"]
    target = params.get("target_count")
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{escape(scenario["name"])} · 方案报告 Scenario report</title>
<link rel="icon" type="image/svg+xml" href="{static_url(FAVICON)}">
<link rel="stylesheet" href="{static_url(REPORT_CSS)}">
</head><body class="rp">
<header><h1>{escape(scenario["name"])}</h1>
<p>方案 Scenario #{scenario["id"]} · 范围 Area {escape(", ".join(scenario["area"]))} ·
{escape(scenario["created_by"])} · {escape(china_time(scenario["created_at"]))} ·
状态 {escape(SCENARIO_STATES.get(scenario["state"], scenario["state"]))}</p>
<p>参数 Parameters: {"网格数 target " + str(target) if target else ""}
{"标准 band " + "–".join(f"{x:g}" for x in params["band"]) if params.get("band") else ""}
· 权重 weights {escape(weights)} · seed {params["seed"]}
· {"从现统一网格出发 from unified" if params.get("from_unified") else "重新划分 fresh"}</p>
<p class="rp-basis">口径 Basis: {escape(data["basis"])}</p>
<p class="rp-noprint"><a href="/compare">← 方案比选 Scenarios</a> ·
打印 Print: Ctrl+P</p>
</header>
<div class="rp-grid">
<figure>{svg_map}<figcaption>
<span><i style="background:{BAND_COLOURS["under"]}"></i>低于 under</span>
<span><i style="background:{BAND_COLOURS["in"]}"></i>符合 in band</span>
<span><i style="background:{BAND_COLOURS["over"]}"></i>超出 over</span></figcaption></figure>
<div>
<table class="rp-table"><thead><tr><th></th>{heads}</tr></thead><tbody>{rows}</tbody></table>
<h2>工作量分布 Workload histogram</h2>
{histogram_svg(metrics)}
<h2>多网合一 County figures</h2>
<table class="rp-table"><tbody>
<tr><th>合并前网格 Grids before (6 departments)</th><td>{before["grids"]:,}</td></tr>
<tr><th>合并后网格 Grids after</th><td>{after["grids"]:,}</td></tr>
<tr><th>户/网格 Households per grid before → after</th>
<td>{_fmt(before["households_per_grid"], "{:,.1f}")} →
{_fmt(after["households_per_grid"], "{:,.1f}")}</td></tr>
<tr><th>需网格员 Grid workers needed (one per grid)</th><td>{after["grid_workers"]:,}</td></tr>
</tbody></table>
</div></div>
</body></html>
"""
