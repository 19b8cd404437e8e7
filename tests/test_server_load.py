"""Under load the server answers every request at once: 200, or 503 with Retry-After; never a
500, never a stall, and /auth/me and /health answer while the map requests pile up."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import Engine

from api.app import create_app
from gis.infra.settings import DEFAULT_SAMPLE, Settings
from tests.served import bearer, serving

PROBLEM = "application/problem+json"
COMMUNITY = "361002001001"  # a community of the sample city's 临川区
CONCURRENT = 100

pytestmark = pytest.mark.skipif(not DEFAULT_SAMPLE.exists(), reason="needs the sample city")


def test_a_hundred_concurrent_map_requests_get_200_or_503_and_me_answers(
    settings: Settings, engine: Engine, users: dict[str, str]
) -> None:
    # A small server: two slots of work, so that a hundred requests surely saturate it.
    small = settings.model_copy(
        update={"request_slots": 2, "light_slots": 1, "queue_per_slot": 5, "queue_seconds": 0.5}
    )
    app = create_app(small)
    with serving(app) as url:
        headers = bearer(engine, app, "root")
        go = threading.Barrier(CONCURRENT + 1)

        def grids(_: int) -> httpx.Response:
            with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
                go.wait()
                return client.get(f"/layers/unified/grids?community={COMMUNITY}")

        with ThreadPoolExecutor(CONCURRENT) as pool:
            futures = [pool.submit(grids, n) for n in range(CONCURRENT)]
            go.wait()
            # While the map requests queue for their two slots, the light lane answers.
            work = app.state.admission.work
            seen_busy = threading.Event()
            for _ in range(5000):
                if work.waiting > 0 or work.refused > 0 or all(f.done() for f in futures):
                    seen_busy.set()
                    break
                seen_busy.wait(0.01)
            with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
                me = client.get("/auth/me")
                health = client.get("/health")
            answers = [f.result() for f in futures]

    assert me.status_code == 200 and me.json()["user"]["username"] == "root"
    assert health.status_code == 200
    statuses = [r.status_code for r in answers]
    assert set(statuses) <= {200, 503}, statuses
    busy = [r for r in answers if r.status_code == 503]
    assert busy, "a hundred requests on two slots: some must have been refused"
    for r in busy:
        assert r.headers["content-type"] == PROBLEM
        assert int(r.headers["retry-after"]) >= 1
        assert "繁忙" in r.json()["detail"] and r.json()["retry_after_ms"] >= 1000
    ok = [r for r in answers if r.status_code == 200]
    assert ok and all(r.json()["numberReturned"] > 0 for r in ok)
