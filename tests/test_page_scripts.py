"""The pages' JavaScript keeps one copy of each shared helper: fetch + CSRF + errors, number
formatting and the workload palette live in maps/static/gridmap/common.js, and a page module
that grows its own again fails here (the browser tests would not notice a second copy)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from maps.assets import STATIC_DIR, import_map, static_url

GRIDMAP = STATIC_DIR / "gridmap"
COMMON = GRIDMAP / "common.js"
#: A classic script (runs before folium's inline map code), not a module.
CLASSIC = {"leaflet_defaults.js"}
PAGE_SCRIPTS = sorted(p for p in GRIDMAP.glob("*.js") if p != COMMON and p.name not in CLASSIC)

#: What only common.js may write: (what it is, pattern).
ONLY_IN_COMMON = [
    ("a fetch wrapper", re.compile(r"\bfetch\s*\(")),
    ("the CSRF header", re.compile(r"X-CSRF-Token", re.IGNORECASE)),
    ("an API error type", re.compile(r"\b(function|class)\s+ApiError\b")),
    ("a number formatter", re.compile(r"\bfunction\s+fmt\b|\bfmt\s*=\s*function")),
    ("zh-CN number grouping", re.compile(r"toLocaleString\(\s*'zh-CN'")),
    ("China-time formatting", re.compile(r"Asia/Shanghai")),
    ("the workload classification", re.compile(r"\bfunction\s+classify\b|\bFAR\s*=")),
    ("a JSON query-string builder", re.compile(r"encodeURIComponent\(key\)")),
]
#: The workload palette (CLASSES in common.js): a hex colour of it in a page script is a copy.
PALETTE = re.compile(r"#6fa8dc|#c9dcb3|#f3a65a", re.IGNORECASE)


def _code(path: Path) -> str:
    """The script without its comments (a comment may name what it imports)."""
    text = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    return re.sub(r"(?m)^\s*//.*$", "", text)


def test_there_are_page_scripts() -> None:
    assert {p.name for p in PAGE_SCRIPTS} >= {"city_map.js", "edit.js", "compare.js", "tiles.js"}
    assert "export function request" in COMMON.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", PAGE_SCRIPTS, ids=lambda p: p.name)
def test_no_page_script_redefines_what_common_js_has(path: Path) -> None:
    code = _code(path)
    found = [what for what, pattern in ONLY_IN_COMMON if pattern.search(code)]
    if PALETTE.search(code):
        found.append("the workload palette")
    assert not found, f"{path.name} has its own {', '.join(found)}: import it from common.js"


@pytest.mark.parametrize("path", PAGE_SCRIPTS, ids=lambda p: p.name)
def test_page_scripts_are_modules_not_globals(path: Path) -> None:
    code = _code(path)
    assert "export {" in code or "export function" in code, f"{path.name} exports nothing"
    assert not re.search(r"window\.Gridmap\w+\s*=", code), f"{path.name} sets a window.Gridmap*"
    assert not re.search(r"^\(function", code, re.M), f"{path.name} is still an IIFE"


def test_every_import_is_a_module_the_import_map_tags() -> None:
    """Modules import each other as './x.js'; each such file exists and the import map sends its
    untagged URL to the content-hash-tagged one, so a new release is never half cached."""
    imports = json.loads(re.sub(r"^<script[^>]*>|</script>$", "", import_map()))["imports"]
    for path in PAGE_SCRIPTS:
        for name in re.findall(r"""^import .* from '\./([\w.]+)';$""", path.read_text(), re.M):
            assert (GRIDMAP / name).is_file(), f"{path.name} imports a missing {name}"
            assert imports[f"/static/gridmap/{name}"] == static_url(f"gridmap/{name}")


def test_the_printed_report_uses_the_maps_palette() -> None:
    """The scenario report (maps/scenario_report.py, no script) draws its bars in Python: its
    under/in/over colours are those of CLASSES in common.js, so a band looks the same on paper."""
    from maps.scenario_report import BAND_COLOURS

    classes = dict(
        re.findall(
            r"\{key: '([\w-]+)', zh: '[^']+', en: '[^']+', color: '(#[0-9a-f]{6})'\}",
            COMMON.read_text(encoding="utf-8"),
        )
    )
    assert len(classes) == 5
    assert {status: classes[status] for status in ("under", "in", "over")} == BAND_COLOURS
