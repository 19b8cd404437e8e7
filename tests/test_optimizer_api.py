"""The optimizer as an API job: submit on an area, poll, read the report and the proposal."""

from __future__ import annotations

from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, DISTRICT, unit_code


def test_county_staff_run_a_job_and_read_the_plan(client_as) -> None:
    with client_as("t-county") as client:
        r = client.post("/optimizer/jobs", json={"area": DISTRICT, "target_count": 3, "seed": 1})
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        client.app.state.jobs.wait(job_id, timeout=60)
        job = client.get(f"/optimizer/jobs/{job_id}").json()
        assert job["state"] == "done", job
        report = job["report"]
        assert report["count"] == 3 and report["crossings"] == 0 and report["valid"]
        plan = client.get(f"/optimizer/jobs/{job_id}/plan").json()
        assert len(plan) == 9
        # A (2,700 households) gets 2 grids, B (1,800) one: B's units share one grid.
        assert len({plan[unit_code(n)] for n in (3, 6, 9)}) == 1
        assert plan[unit_code(3)].startswith(COMMUNITY_B)
        assert {plan[unit_code(n)][:12] for n in (1, 2, 4, 5, 7, 8)} == {COMMUNITY_A}


def test_a_job_is_private_to_its_owner(client_as) -> None:
    with client_as("t-county") as owner:
        job_id = owner.post(
            "/optimizer/jobs", json={"area": DISTRICT, "band": [1000, 3000]}
        ).json()["id"]
        owner.app.state.jobs.wait(job_id, timeout=60)
    other = client_as("t-worker")
    assert other.get(f"/optimizer/jobs/{job_id}").status_code == 403
    assert client_as("root").get(f"/optimizer/jobs/{job_id}").status_code == 200


def test_bad_requests(client_as) -> None:
    client = client_as("t-county")
    assert client.post("/optimizer/jobs", json={"area": DISTRICT}).status_code == 422
    bad_band = client.post("/optimizer/jobs", json={"area": DISTRICT, "band": [500, 300]})
    assert bad_band.status_code == 422 and "band" in bad_band.json()["detail"]
    assert (
        client.post("/optimizer/jobs", json={"area": "abc", "target_count": 2}).status_code == 422
    )
    assert client.get("/optimizer/jobs/999999").status_code == 404
