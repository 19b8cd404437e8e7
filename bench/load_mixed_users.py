"""The locust users of bench/load_mixed.py: what the product's users really ask for, in proportion.

Read by locust (``locust -f bench/load_mixed_users.py``), with ``GRIDMAP_LOAD_PLAN`` naming the
JSON file that bench/load_mixed.py wrote: bearer tokens per role and codes of the sample city.
Every answer is sorted by status into ``ok`` (2xx), ``busy`` (503 with Retry-After: a clean
refusal), ``conflict`` (409/404/422 of an edit racing another edit: expected) and ``error`` (the
rest, 500s above all); locust counts all but ``ok`` and ``conflict`` as failures.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task

PLAN: dict[str, Any] = json.loads(Path(os.environ["GRIDMAP_LOAD_PLAN"]).read_text())
STATUSES: dict[str, int] = {"ok": 0, "busy": 0, "conflict": 0, "error": 0}


@events.quitting.add_listener
def _write_statuses(**_: Any) -> None:
    out = os.environ.get("GRIDMAP_LOAD_STATUSES")
    if out:
        Path(out).write_text(json.dumps(STATUSES))


THINK = tuple(float(x) for x in os.environ.get("GRIDMAP_LOAD_THINK", "0.5:1.5").split(":"))


class GridmapUser(HttpUser):
    """One person at a screen: a click every 0.5–1.5 s (``--think`` of bench/load_mixed.py)."""

    wait_time = between(THINK[0], THINK[1])

    def on_start(self) -> None:
        self.rng = random.Random()

    def _get(self, path: str, name: str, role: str, **kw: Any) -> None:
        self._send("GET", path, name, role, **kw)

    def _send(self, method: str, path: str, name: str, role: str, **kw: Any) -> None:
        headers = {"Authorization": f"Bearer {PLAN['tokens'][role]}"}
        with self.client.request(
            method, path, name=name, headers=headers, catch_response=True, **kw
        ) as r:
            if r.status_code < 300:
                STATUSES["ok"] += 1
                r.success()
            elif r.status_code == 503 and r.headers.get("retry-after"):
                STATUSES["busy"] += 1
                r.failure("503 busy")
            elif name.startswith("editor") and r.status_code in (404, 409, 422):
                # A random move that a racing apply has made pointless or illegal (the unit is
                # already there, or the move would now cut a grid): a clean refusal, expected.
                STATUSES["conflict"] += 1
                r.success()
            else:
                STATUSES["error"] += 1
                r.failure(f"{r.status_code}")

    @task(4)
    def map_view(self) -> None:
        """The city map: the layer list and one community's grids in view."""
        community = self.rng.choice(PLAN["communities"])
        self._get("/layers", "map: layers", "county")
        self._get(f"/layers/unified/grids?community={community}", "map: community grids", "county")

    @task(3)
    def one_grid(self) -> None:
        grid = self.rng.choice(PLAN["grids"])
        self._get(f"/layers/unified/grids/{grid}", "one grid", "county")

    @task(2)
    def figures(self) -> None:
        self._get("/incidents/figures?by=community", "incident figures", "county")

    @task(2)
    def editor_preview(self) -> None:
        unit, to = self.rng.choice(PLAN["moves"])
        body = {"units": [unit], "to": to, "dry_run": True, "confirm": True}
        self._send("POST", "/layers/unified/edits", "editor preview", "planner", json=body)

    @task(1)
    def editor_apply(self) -> None:
        unit, to = self.rng.choice(PLAN["moves"])
        body = {"units": [unit], "to": to, "confirm": True}
        self._send("POST", "/layers/unified/edits", "editor apply", "planner", json=body)

    @task(2)
    def field_page(self) -> None:
        self._get("/party/field", "field: my grid", "worker")
        self._get("/auth/me", "auth/me", "worker")
