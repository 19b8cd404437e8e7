"""The one-page printable report of a scenario: map, metrics table, histogram (HTML + print CSS).

Drawn on the server: the map is SVG from PostGIS (``gis.scenarios.report``), the histogram is
SVG bars, so the page prints the same in any browser, with no script at all.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from gis.chinatime import china_time
from gis.labels import SCENARIO_STATES
from maps.compare_page import REPORT_CSS
from maps.shell import render

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
    # What the grid boundary runs along (界定清晰), from gis.boundaries.
    ("boundary.length_km", "网格边界 Grid boundary (km)", "{:,.1f}"),
    ("boundary.visible", "边界沿道路或河流 On roads or the river", "{:.1%}"),
    ("boundary.primary", "沿主干道 Along main roads", "{:.1%}"),
    ("boundary.secondary", "沿次干道 Along secondary roads", "{:.1%}"),
    ("boundary.river", "沿河流 Along the river", "{:.1%}"),
    ("boundary.none", "无明显地物 Along nothing visible", "{:.1%}"),
)


def _get(item: dict[str, Any], key: str) -> Any:
    """``item[key]``, or ``item[a][b]`` for ``key`` "a.b" (None when absent)."""
    value: Any = item
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


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
    """The page (``templates/report.html``) from :func:`gis.scenarios.report.report_data`."""
    scenario, metrics, figures = data["scenario"], data["metrics"], data["figures"]
    params = scenario["params"]
    rows = [
        (label, [_fmt(_get(m, key), pattern) for m in metrics])
        for key, label, pattern in METRIC_ROWS
    ]
    weights = ", ".join(f"{k} × {v:g}" for k, v in params["weights"].items() if v)
    band = "–".join(f"{x:g}" for x in params["band"]) if params.get("band") else ""
    return render(
        "report.html",
        title=f"{scenario['name']} · 方案报告 Scenario report",
        css=[REPORT_CSS],
        body_class="rp",
        s=scenario,
        created_at=china_time(scenario["created_at"]),
        state=SCENARIO_STATES.get(scenario["state"], scenario["state"]),
        params=params,
        target=params.get("target_count"),
        band=band,
        weights=weights,
        basis=data["basis"],
        metrics=metrics,
        rows=rows,
        svg_map=_svg_map(data["map"]),
        histogram=Markup(histogram_svg(metrics)),
        colours=BAND_COLOURS,
        figures=figures,
        per_grid_before=_fmt(figures["before"]["households_per_grid"], "{:,.1f}"),
        per_grid_after=_fmt(figures["after"]["households_per_grid"], "{:,.1f}"),
        comments=data["comments"],
        china_time=china_time,
    )


def _svg_map(drawing: dict[str, Any]) -> Markup:
    """The grids as SVG paths from PostGIS, coloured by band (escaped here: codes are data)."""
    box = drawing["view_box"]
    if not box:
        return Markup("<p>–</p>")
    paths = "".join(
        f'<path d="{escape(p["d"])}" fill="{BAND_COLOURS[p["band"]]}"><title>'
        f"{escape(p['code'])}</title></path>"
        for p in drawing["paths"]
    )
    return Markup(
        f'<svg class="rp-map" viewBox="{box[0]:.0f} {box[1]:.0f} {box[2]:.0f} {box[3]:.0f}" '
        f'preserveAspectRatio="xMidYMid meet" role="img" aria-label="grids">{paths}</svg>'
    )
