"""What every browser test needs: the local Chromium, a log-in, and a record of the traffic.

The product runs on government networks with no way out, so each page test also checks that
every request stays on this machine (:meth:`Traffic.outside`) and that the console stays clean.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from tests.conftest import TEST_PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
DESK = {"width": 1400, "height": 900}
#: Where journeys keep pictures of what the user saw (look at them when a page changes).
SHOTS = Path(os.environ.get("GRIDMAP_JOURNEY_SHOTS") or tempfile.gettempdir()) / "gridmap-journeys"
PHONE = {"width": 375, "height": 812}


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.netloc:
        return parts.hostname in LOCAL_HOSTS
    return parts.scheme in {"", "data", "blob", "about"}


@dataclass
class Traffic:
    """What a page did on the network and in its console (``Traffic.watch(page)``)."""

    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    bad_status: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def watch(cls, page: Any) -> Traffic:
        traffic = cls()
        page.on("request", lambda request: traffic.requests.append(request.url))
        # A request the page itself gave up (it navigated away while a map reload was in
        # flight) is not a failure a user sees; any other network error is.
        page.on(
            "requestfailed",
            lambda request: (
                request.failure != "net::ERR_ABORTED" and traffic.failed.append(request.url)
            ),
        )
        page.on("pageerror", lambda error: traffic.errors.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: message.type == "error" and traffic.errors.append(message.text),
        )

        def on_response(response: Any) -> None:
            if response.status >= 400:
                traffic.bad_status.append(f"{response.status} {response.url}")

        page.on("response", on_response)
        return traffic

    def outside(self) -> list[str]:
        """The requests that left this machine (there must be none)."""
        return [url for url in self.requests if not is_local(url)]

    def server_errors(self) -> list[str]:
        return [line for line in self.bad_status if line.startswith("5")]

    def assert_clean(self, *, expected_errors: tuple[str, ...] = ()) -> None:
        """No 5xx, no console error (but those a test provokes on purpose), nothing outside."""
        assert self.server_errors() == [], self.server_errors()
        errors = [e for e in self.errors if not any(x in e for x in expected_errors)]
        assert errors == [], errors
        assert self.outside() == [], f"requests left localhost: {self.outside()}"


def log_in(
    page: Any, live_server: str, username: str = "root", path: str = "/", lands: str | None = None
) -> None:
    """Open ``path``, get sent to the log-in page, fill it in, and land back on ``path`` (or on
    ``lands``: asking for the map ``/`` brings a user to their role's home page)."""
    page.goto(live_server + path, wait_until="load")
    page.wait_for_url(re.compile(r"/login\?next="))
    assert "登录" in page.title()
    page.fill("#username", username)
    page.fill("#password", TEST_PASSWORD)
    page.get_by_test_id("login-submit").click()
    if lands is None:
        page.wait_for_url(live_server + path)
    else:  # a home page may add its state to the address (the editor's ?layer=…)
        page.wait_for_url(re.compile(re.escape(live_server + lands) + r"(\?.*)?$"))
    page.wait_for_load_state("load")


@contextmanager
def session(browser: Any, *, phone: bool = False) -> Iterator[tuple[Any, Traffic]]:
    """A fresh browser context (a desk at 1400×900, or a 375×812 touch phone) in China time,
    with its page and the record of its traffic."""
    options: dict[str, Any] = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
    if phone:
        options |= {"viewport": PHONE, "is_mobile": True, "has_touch": True}
        options["device_scale_factor"] = 2
    else:
        options["viewport"] = DESK
    context = browser.new_context(**options)
    page = context.new_page()
    try:
        yield page, Traffic.watch(page)
    finally:
        context.close()


def scroll_width(page: Any) -> int:
    """How wide the document is: more than the screen means the page scrolls sideways."""
    return int(page.evaluate("document.documentElement.scrollWidth"))


def shot(page: Any, name: str) -> None:
    """Save a picture of the page under :data:`SHOTS`."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), animations="disabled")


def api_call(live_server: str, username: str, method: str, path: str, body: Any = None) -> Any:
    """Call the live server's API as a test user (by bearer token), to set a journey up."""
    login = Request(
        live_server + "/auth/login",
        data=json.dumps({"username": username, "password": TEST_PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urlopen(login, timeout=30) as response:
        token = json.load(response)["token"]
    request = Request(
        live_server + path,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urlopen(request, timeout=60) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def editor_point(page: Any, lon: float, lat: float) -> tuple[float, float]:
    """Page coordinates of a point on the editor's map."""
    x, y = page.evaluate(
        """([lon, lat]) => {
             const p = gridedit.map.latLngToContainerPoint([lat, lon]);
             const box = gridedit.map.getContainer().getBoundingClientRect();
             return [box.left + p.x, box.top + p.y];
           }""",
        [lon, lat],
    )
    return x, y


def editor_drag(page: Any, points: list[tuple[float, float]], *, shift: bool = False) -> None:
    """Press, drag through the points (lon, lat) on the editor's map, release — holding Shift
    if asked (Shift-brush and Shift-lasso remove units)."""
    if shift:
        page.keyboard.down("Shift")
    x, y = editor_point(page, *points[0])
    page.mouse.move(x, y)
    page.mouse.down()
    for lon, lat in points[1:]:
        x, y = editor_point(page, lon, lat)
        page.mouse.move(x, y, steps=6)
    page.mouse.up()
    if shift:
        page.keyboard.up("Shift")


#: Where a journey's incidents go when it ends: far from every city, closed, in no area.
RETIRE_INCIDENTS = """
    UPDATE incident SET state = 'evaluated', satisfied = true, evaluated_at = now(),
           base_unit_id = NULL, community_id = NULL, grid_id = NULL, building_id = NULL,
           h3_cell = NULL, geom = ST_SetSRID(ST_MakePoint(0.5, 0.5), 4326)
    WHERE code = ANY(:codes)
"""


def retire_incidents(engine: Any, codes: list[str]) -> None:
    """Take the incidents a journey reported out of every area and queue, without deleting
    them: a deleted incident's number would be handed out again (codes count up per day), and
    the audit log, which keeps every report for good, would then hold two reports of one code."""
    from sqlalchemy import text

    if codes:
        with engine.begin() as conn:
            conn.execute(text(RETIRE_INCIDENTS), {"codes": codes})
