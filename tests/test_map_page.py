"""The city map page: served offline-safe over HTTP, and working in a real headless Chromium.

The browser test drives the page the way a user does (load, switch layers, click a grid) and
checks that every request it makes stays on this machine: the product runs on government
networks with no way out, so a single CDN URL would leave users with a blank page. With
GRIDMAP_SCREENSHOTS=1 (`make screenshots`) it writes docs/screenshot.png, the README's picture.
The map is for logged-in users: the browser tests log in through the log-in page first.
"""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

import pytest
from fastapi.testclient import TestClient

from gis.accounts import Role, User
from gis.infra.settings import Settings
from gis.scope import Scope
from maps.city_map import city_map_html
from maps.nav import PageViewer
from tests.browser import Traffic, is_local, log_in
from tests.conftest import TEST_PASSWORD

REPO = Path(__file__).resolve().parents[1]
SCREENSHOT = REPO / "docs" / "screenshot.png"
VIEWPORT = {"width": 1280, "height": 800}
URL_RE = re.compile(r"""https?://[^\s"'<>)]+""")


class _Refs(HTMLParser):
    """Collects every URL the page's tags load (src, href) by tag name."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href"} and value:
                self.refs.append((tag, value))


# ----------------------------------------------------------------------------- plain HTTP


def test_page_loads_only_local_assets(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "Gridmap 网格地图" in page
    # Every script of the page runs under this response's CSP nonce, and nothing else does.
    csp = response.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert page.count("<script") == page.count(f'<script nonce="{nonce.group(1)}"')

    parser = _Refs()
    parser.feed(page)
    tags = {tag for tag, _ in parser.refs}
    assert {"script", "link"} <= tags, parser.refs
    foreign = [url for _, url in parser.refs if not is_local(url)]
    assert foreign == [], f"page loads from outside the app: {foreign}"
    # Nor anywhere else in the page (inline scripts, styles).
    remote = [url for url in URL_RE.findall(page) if not is_local(url)]
    assert remote == [], f"page names non-local URLs: {remote}"

    static = [url for _, url in parser.refs if url.startswith("/static/")]
    assert any("/vendor/leaflet/leaflet.js" in url for url in static)
    assert any("/vendor/leaflet/leaflet.css" in url for url in static)
    for url in static:
        assert client.get(url).status_code == 200, url


def test_page_follows_tile_settings(settings: Settings) -> None:
    tiles = settings.model_copy(
        update={
            "tile_url": "https://webrd0{s}.example.cn/appmaptile?x={x}&y={y}&z={z}",
            "tile_attribution": "© 某地图",
            "tile_crs": "gcj02",
        }
    )
    page = city_map_html(tiles)
    assert "webrd0{s}.example.cn" in page
    assert json.dumps("© 某地图") in page  # folium writes it as a JSON string, \\u-escaped
    config = _start_config(page)
    assert config["crs"] == "gcj02"
    assert config["hasTiles"] is True

    plain = _start_config(city_map_html(settings))
    assert plain["crs"] is None
    assert plain["hasTiles"] is False
    assert plain["band"] == [settings.band_low, settings.band_high]


def _start_config(page: str) -> dict[str, Any]:
    match = re.search(r"GridmapCityMap\.start\([\w]+, (\{.*\})\);", page)
    assert match, "the page does not start the map script"
    return json.loads(match.group(1))  # type: ignore[no-any-return]


# ----------------------------------------------------------------------------- browser


def _layers(live_server: str, username: str = "root") -> dict[str, dict[str, Any]]:
    """The layers as ``username`` sees them, asked with a bearer token (as a script would)."""
    body = json.dumps({"username": username, "password": TEST_PASSWORD}).encode()
    login = Request(
        live_server + "/auth/login", data=body, headers={"Content-Type": "application/json"}
    )
    with urlopen(login, timeout=30) as response:
        token = json.load(response)["token"]
    ask = Request(live_server + "/layers", headers={"Authorization": f"Bearer {token}"})
    with urlopen(ask, timeout=30) as response:
        return {layer["code"]: layer for layer in json.load(response)}


# A point inside some grid of the current layer that the grid itself receives (not a neighbour,
# not a control on top): Playwright's own click aims at a bounding box's centre, which for a
# concave grid can be outside it.
_CLICKABLE_GRID = """
() => {
  const paths = document.querySelectorAll('.leaflet-overlay-pane path.gm-grid[data-code]');
  const spots = [[0.5, 0.5], [0.35, 0.35], [0.65, 0.65], [0.35, 0.65], [0.65, 0.35]];
  for (const path of paths) {
    const box = path.getBoundingClientRect();
    if (box.width < 6 || box.height < 6) continue;
    for (const [fx, fy] of spots) {
      const x = box.left + box.width * fx;
      const y = box.top + box.height * fy;
      if (document.elementFromPoint(x, y) === path) return {code: path.dataset.code, x, y};
    }
  }
  return null;
}
"""

# Grids drawn, each once: a grid that spans several tiles is one path in each of them.
_GRIDS_DRAWN = """
() => new Set([...document.querySelectorAll('.leaflet-overlay-pane path.gm-grid[data-code]')]
  .map((path) => path.dataset.code)).size
"""

_BANDS_DISAGREE = """
() => gridmap.features().filter((f) => {
  const mine = gridmap.classify(f.properties.workload).replace('far-', '');
  return mine !== f.properties.band;
}).map((f) => f.id)
"""


def _wait_for_layer(page: Any, code: str) -> None:
    page.wait_for_function(
        "(code) => window.gridmap && gridmap.currentLayer === code && gridmap.state === 'ready'",
        arg=code,
        timeout=60_000,
    )


@pytest.mark.browser
def test_city_map_in_browser(browser: Any, live_server: str) -> None:
    layers = _layers(live_server)
    assert {"unified", "zongzhi"} <= set(layers)
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    traffic = Traffic.watch(page)
    try:
        log_in(page, live_server)
        assert page.title() == "Gridmap 网格地图"
        assert "市级管理员" in page.get_by_test_id("user-badge").inner_text()

        # The unified layer comes up first, whole, in colour.
        _wait_for_layer(page, "unified")
        page.evaluate("() => gridmap.loaded")
        unified = layers["unified"]["grid_count"]
        assert unified > 0
        assert page.evaluate("() => gridmap.featureCount()") == unified
        assert page.evaluate(_GRIDS_DRAWN) == unified
        assert page.get_by_test_id("layer-unified").is_checked()
        legend = page.locator(".gm-legend .gm-count").all_inner_texts()
        assert sum(int(count.replace(",", "")) for count in legend) == unified
        assert page.evaluate(_BANDS_DISAGREE) == []
        assert page.locator(".gm-info-title").inner_text() == layers["unified"]["name"]
        assert page.locator(".leaflet-gmCommunities-pane path").count() > 0
        assert page.locator(".leaflet-gmDistricts-pane path").count() > 0

        _screenshot(page)

        # Switching layers swaps the grids for that layer's.
        page.get_by_test_id("layer-zongzhi").check()
        _wait_for_layer(page, "zongzhi")
        zongzhi = layers["zongzhi"]["grid_count"]
        assert zongzhi != unified
        assert page.evaluate("() => gridmap.featureCount()") == zongzhi
        assert page.evaluate(_GRIDS_DRAWN) == zongzhi
        assert not page.get_by_test_id("layer-unified").is_checked()

        # A click on a grid opens its card.
        spot = page.evaluate(_CLICKABLE_GRID)
        assert spot, "no grid of the 综治 layer is big enough on screen to click"
        page.mouse.click(spot["x"], spot["y"])
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(state="visible")
        assert spot["code"] in popup.inner_text()
        assert "工作量" in popup.inner_text()
    finally:
        context.close()

    assert traffic.errors == []
    assert traffic.failed == []
    assert traffic.bad_status == []
    assert traffic.outside() == [], f"requests left localhost: {traffic.outside()}"
    # The grids and community outlines came as vector tiles, not as whole GeoJSON layers.
    urls = traffic.requests
    assert any("/tiles/grids.unified/" in url and url.endswith(".mvt") for url in urls)
    assert any("/tiles/areas/" in url for url in urls)
    assert not any("/grids?" in url or url.endswith("/grids") for url in urls)


def _screenshot(page: Any) -> None:
    """Save the unified layer as the README shows it: the city centre, where most grids are.

    The view is fitted to the district that has the most grids: with the sample city loaded
    that is its urban core (not the tiny test city).
    """
    page.evaluate(
        """() => new Promise((resolve) => {
             const byDistrict = {};
             for (const f of gridmap.features()) {
               const district = f.properties.code.slice(0, 6);
               byDistrict[district] = (byDistrict[district] || 0) + 1;
             }
             const most = Object.keys(byDistrict).sort((a, b) => byDistrict[b] - byDistrict[a])[0];
             gridmap.map.once('moveend', resolve);
             gridmap.zoomToDistricts([most]);
           })"""
    )
    if not os.environ.get("GRIDMAP_SCREENSHOTS"):
        return  # `make screenshots` refreshes the README's picture; a test run leaves it alone
    page.mouse.move(0, 0)  # no hover highlight or tooltip in the picture
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), animations="disabled")


@pytest.mark.browser
def test_city_map_says_when_grids_fail(browser: Any, live_server: str) -> None:
    """A failing API leaves a message on the map, not a silently empty one."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.route("**/tiles/grids.unified.json*", lambda route: route.fulfill(status=503, body="down"))
    try:
        log_in(page, live_server)
        page.wait_for_function("() => window.gridmap && gridmap.state === 'error'")
        status = page.locator(".gm-info .gm-status")
        assert "Could not load grids" in status.inner_text()
        assert "503" in status.inner_text()
        assert page.evaluate("() => gridmap.featureCount()") == 0
    finally:
        context.close()


@pytest.mark.browser
def test_field_worker_sees_only_their_grid_then_logs_out(browser: Any, live_server: str) -> None:
    """A field worker's map holds their one grid; logging out ends the session."""
    layers = _layers(live_server, "t-worker")
    assert layers["unified"]["grid_count"] == 1
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(live_server + "/login")
        page.fill("#username", "t-worker")
        page.fill("#password", "not the password")
        page.get_by_test_id("login-submit").click()
        assert "用户名或密码错误" in page.get_by_test_id("login-error").inner_text()

        log_in(page, live_server, "t-worker", "/", lands="/field")  # their home: own grid
        page.goto(live_server + "/")
        _wait_for_layer(page, "unified")
        assert page.evaluate("() => gridmap.featureCount()") == 1
        assert "网格员" in page.get_by_test_id("user-badge").inner_text()

        page.get_by_test_id("logout").click()
        page.wait_for_url(re.compile(r"/login$"))
        page.goto(live_server + "/")
        page.wait_for_url(re.compile(r"/login\?next="))  # the session is over
    finally:
        context.close()
    assert errors == []


def test_page_shows_who_is_logged_in(settings: Settings) -> None:
    user = User(1, "li4", "李<四>", Role.FIELD_WORKER, Scope.city(), None, True)
    viewer = PageViewer(
        name="李<四>", role="网格员 Field worker", scope="网格 X", csrf_token="t0k", user=user
    )
    page = city_map_html(settings, viewer)
    assert "李&lt;四&gt;" in page and "李<四>" not in page
    assert 'name="csrf_token" value="t0k"' in page
    assert 'action="logout"' in page


@pytest.mark.parametrize(
    ("username", "links"),
    [
        (
            "root",
            [
                "nav-edit",
                "nav-compare",
                "nav-province",
                "nav-incidents",
                "nav-party",
                "nav-needs",
                "nav-councils",
                "nav-assessment",
                "nav-admin",
            ],
        ),
        ("t-planner", ["nav-edit", "nav-incidents"]),
        ("t-county", ["nav-compare", "nav-province", "nav-incidents", "nav-assessment"]),
        ("jx-province", ["nav-province", "nav-incidents"]),
        ("t-worker", ["nav-incidents", "nav-field"]),
    ],
)
def test_map_links_the_pages_the_user_may_open(client_as, username: str, links: list[str]) -> None:
    page = client_as(username).get("/").text
    assert re.findall(r'data-testid="(nav-[a-z]+)"', page) == links
    for href in re.findall(r'<nav class="gm-nav".*?</nav>', page, re.S)[0].split('href="')[1:]:
        path = "/" + href.split('"')[0]
        assert client_as(username).get(path).status_code == 200, path
