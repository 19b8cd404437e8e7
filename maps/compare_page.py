"""The scenarios page at ``/compare`` (方案比选): run, follow, compare, cross-walk and adopt.

The page (``templates/compare.html``) is plain HTML around two Leaflet maps; its behaviour lives in
``static/gridmap/compare.js`` (scenario list with progress bars, the metrics table, a workload
histogram per scenario drawn as SVG, the two maps that pan and zoom together, the "what changed"
overlay, the crosswalk, the impact preview, adoption). Everything loads from the app itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from maps.assets import (
    HEADER_CSS,
    LEAFLET_CSS,
    LEAFLET_DEFAULTS_JS,
    LEAFLET_JS,
    VECTORGRID_JS,
)
from maps.nav import PageViewer
from maps.shell import render, start_script

COMPARE_JS = "gridmap/compare.js"
COMPARE_CSS = "gridmap/compare.css"
REPORT_CSS = "gridmap/scenario_report.css"
TITLE = "方案比选 Scenarios · Gridmap"


def compare_page_html(viewer: PageViewer, config: Mapping[str, Any]) -> str:
    """The page; ``config`` (band, selected items…) is handed to the script as JSON, with the
    user's scope code."""
    start = start_script(
        "GridmapCompare", COMPARE_JS, {**config, "scopeCode": viewer.user.scope.code}
    )
    return render(
        "compare.html",
        title=TITLE,
        viewer=viewer,
        css=[LEAFLET_CSS, HEADER_CSS, COMPARE_CSS],
        js=[LEAFLET_JS, LEAFLET_DEFAULTS_JS, VECTORGRID_JS],
        start=start,
    )
