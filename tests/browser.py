"""What every browser test needs: the local Chromium, a log-in, and a record of the traffic.

The product runs on government networks with no way out, so each page test also checks that
every request stays on this machine (:meth:`Traffic.outside`) and that the console stays clean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
        page.on("requestfailed", lambda request: traffic.failed.append(request.url))
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


def log_in(page: Any, live_server: str, username: str = "root", path: str = "/") -> None:
    """Open ``path``, get sent to the log-in page, fill it in, and land back on ``path``."""
    page.goto(live_server + path, wait_until="load")
    page.wait_for_url(re.compile(r"/login\?next="))
    assert "登录" in page.title()
    page.fill("#username", username)
    page.fill("#password", TEST_PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(live_server + path)
    page.wait_for_load_state("load")
