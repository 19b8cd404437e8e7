"""The optimizer over HTTP is a scenario: ``/optimizer/jobs`` (an in-memory job runner that a
restart forgot) is retired and says where to go; ``/scenarios`` runs the same optimizer as a
durable job."""

from __future__ import annotations

from gis.scenarios.run import savepoint_tx
from gis.scenarios.worker import run_queued
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, DISTRICT, unit_code


def test_the_retired_job_endpoints_point_to_scenarios(client_as, anon) -> None:
    client = client_as("t-county")
    answers = [
        client.post("/optimizer/jobs", json={"area": DISTRICT, "target_count": 3}),
        client.get("/optimizer/jobs/1"),
        client.get("/optimizer/jobs/1/plan"),
        anon.get("/optimizer/jobs/7"),
    ]
    for r in answers:
        assert r.status_code == 410, r.text
        assert r.headers["content-type"] == "application/problem+json"
        body = r.json()
        assert body["detail"].startswith("优化任务接口 /optimizer/jobs 已停用")
        assert "/scenarios" in body["detail"] and body["use"] == "/scenarios"
    assert not any(p.startswith("/optimizer") for p in client.get("/openapi.json").json()["paths"])


def test_county_staff_run_the_optimizer_as_a_scenario(client_as, conn) -> None:
    client = client_as("t-county")
    r = client.post(
        "/scenarios",
        json={"name": "三个网格", "area": [DISTRICT], "target_count": 3, "seed": 1},
    )
    assert r.status_code == 202, r.text
    sid = r.json()["id"]
    assert run_queued(savepoint_tx(conn)) == [(r.json()["job"]["id"], "done")]
    found = client.get(f"/scenarios/{sid}").json()
    assert found["state"] == "done", found
    assert found["report"]["count"] == 3 and found["report"]["crossings"] == 0
    grids = client.get(f"/layers/{found['layer']}/grids").json()["features"]
    grid_of = {
        unit["code"]: grid["id"]
        for grid in grids
        for unit in client.get(f"/layers/{found['layer']}/grids/{grid['id']}").json()["properties"][
            "units"
        ]
    }
    assert len(grid_of) == 9
    # A (2,700 households) gets 2 grids, B (1,800) one: B's units share one grid.
    assert len({grid_of[unit_code(n)] for n in (3, 6, 9)}) == 1
    assert grid_of[unit_code(3)].startswith(COMMUNITY_B)
    assert {grid_of[unit_code(n)][:12] for n in (1, 2, 4, 5, 7, 8)} == {COMMUNITY_A}
