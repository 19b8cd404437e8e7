"""Merge scenarios over the API: create, progress, cancel, finish, compare, crosswalk, adopt.

Jobs created through the test client live in the test's rolled-back transaction, where the app's
worker thread cannot see them; the tests run them with the same code the worker runs
(:func:`gis.scenarios.worker.run_queued` on the test's connection). The real worker thread, and
the recovery of jobs a restart interrupted, are tested on committed rows that are removed again.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from api.app import create_app
from gis.access import Access
from gis.infra.settings import Settings
from gis.scenarios.run import savepoint_tx
from gis.scenarios.store import ScenarioSpec, create_scenario, delete_scenario
from gis.scenarios.worker import LOCK_CLASS, ScenarioWorker, recover_interrupted, run_queued
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, DISTRICT, UNIFIED, unit_code


def _create(client: TestClient, **body: Any) -> dict[str, Any]:
    payload = {"name": "测试方案", "area": [DISTRICT], "seed": 1} | body
    r = client.post("/scenarios", json=payload)
    assert r.status_code == 202, r.text
    return r.json()


def _run(conn: Connection, hook: Any = None) -> list[tuple[int, str]]:
    return run_queued(savepoint_tx(conn), hook=hook)


def _units_of(conn: Connection, layer: str) -> dict[str, frozenset[str]]:
    rows = conn.execute(
        text(
            "SELECT g.code, array_agg(u.code) FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
            "JOIN grid_unit gu ON gu.grid_id = g.id JOIN base_unit u ON u.id = gu.unit_id "
            "WHERE l.code = :l GROUP BY g.code"
        ),
        {"l": layer},
    )
    return {code: frozenset(units) for code, units in rows}


def test_lifecycle_create_progress_finish_compare_adopt(client_as, conn: Connection) -> None:
    client = client_as("t-county")
    created = _create(client, target_count=4)
    assert created["state"] == "queued" and created["job"]["state"] == "queued"
    assert created["params"]["weights"]["households"] == 1.0
    assert created["base_version"] == 1
    sid = created["id"]

    seen: list[tuple[int, int]] = []
    assert _run(conn, hook=lambda done, total: seen.append((done, total))) == [
        (created["job"]["id"], "done")
    ]
    # Progress was reported community by community: 0/2, 1/2, 2/2.
    assert seen == [(0, 2), (1, 2), (2, 2)]
    done = client.get(f"/scenarios/{sid}").json()
    assert done["state"] == "done" and done["job"]["progress"] == {"done": 2, "total": 2}
    assert done["layer"] == f"scenario-{sid}" and done["report"]["count"] == 4
    assert done["report"]["valid"] and done["report"]["crossings"] == 0

    proposal = _units_of(conn, done["layer"])
    assert len(proposal) == 4
    assert sorted(u for units in proposal.values() for u in units) == sorted(
        unit_code(n) for n in range(1, 10)
    )
    # Codes: a grid with exactly the units of a unified grid keeps its code; others are new.
    unified = {code: frozenset(unit_code(n) for n in units) for code, units in UNIFIED.items()}
    for code, units in proposal.items():
        same = [c for c, old in unified.items() if old == units]
        assert (code in unified) == bool(same) and (not same or same[0] == code)

    compared = client.get(f"/scenarios/compare?a={sid}&b=unified&layers=zongzhi").json()
    by_code = {m["code"]: m for m in compared["items"]}
    assert by_code[done["layer"]]["grid_count"] == 4
    assert by_code["unified"]["grid_count"] == 3 and by_code["unified"]["units_moved"] == 0
    assert by_code["zongzhi"]["grids_crossing_communities"] == 1
    assert by_code[done["layer"]]["grids_crossing_communities"] == 0
    for m in compared["items"]:
        assert sum(m["histogram"]["counts"]) == m["grid_count"]
        assert m["workload_min"] <= m["workload_mean"] <= m["workload_max"]
    assert by_code["unified"]["workload_max"] == 2400  # G2 = U4 + U5 + U7 + U8

    changes = client.get(f"/scenarios/compare/changes?a=unified&b={sid}").json()
    moved = {f["properties"]["code"] for f in changes["features"]}
    assert len(moved) == by_code[done["layer"]]["units_moved"]

    adopted = client.post(f"/scenarios/{sid}/adopt")
    assert adopted.status_code == 200, adopted.text
    body = adopted.json()
    assert body["state"] == "adopted" and body["adopted_by"] == "t-county"
    assert body["adoption"]["unified_version"] == 2
    assert body["adoption"]["history_layer"] == "unified-v1"
    layers = {r.code: r for r in conn.execute(text("SELECT code, kind, version FROM grid_layer"))}
    assert layers["unified"].version == 2 and layers["unified-v1"].kind == "history"
    tiny = lambda grids: {c: u for c, u in grids.items() if c.startswith(DISTRICT)}  # noqa: E731
    assert tiny(_units_of(conn, "unified")) == proposal
    assert tiny(_units_of(conn, "unified-v1")) == unified
    # Outside the scenario's area (the sample city), the unified net is unchanged.
    assert len(_units_of(conn, "unified")) == len(_units_of(conn, "unified-v1")) + 1
    audit_row = conn.execute(
        text("SELECT actor, after FROM audit_log WHERE action = 'scenario.adopt' ORDER BY id DESC")
    ).first()
    assert audit_row is not None and audit_row.actor == "t-county"
    assert audit_row.after["scenario"] == sid

    again = client.post(f"/scenarios/{sid}/adopt")
    assert again.status_code == 409 and "already adopted" in again.json()["detail"]


def test_adopting_a_stale_scenario_is_refused_with_the_reason(client_as, conn) -> None:
    client = client_as("t-county")
    sid = _create(client, target_count=3)["id"]
    _run(conn)
    # Somebody edits the unified layer meanwhile (the editor bumps the version).
    conn.execute(text("UPDATE grid_layer SET version = version + 1 WHERE code = 'unified'"))
    r = client.post(f"/scenarios/{sid}/adopt")
    assert r.status_code == 409
    problem = r.json()
    assert problem["reason"] == "stale" and "changed since" in problem["detail"]
    assert "version 1" in problem["detail"] and "version 2" in problem["detail"]
    assert client.get(f"/scenarios/{sid}").json()["state"] == "done"
    kinds = dict(conn.execute(text("SELECT code, kind FROM grid_layer")).all())
    assert kinds["unified"] == "unified" and kinds[f"scenario-{sid}"] == "scenario"


def test_a_scenario_exports_and_a_planner_edits_it_before_adoption(client_as, conn) -> None:
    """A scenario's proposal is a grid layer: the export and the editor work on it as on any."""
    county = client_as("t-county")
    sid = _create(county, target_count=3)["id"]
    _run(conn)
    layer = f"scenario-{sid}"
    proposal = _units_of(conn, layer)
    exported = county.get(f"/layers/{layer}/export", params={"format": "geojson"})
    assert exported.status_code == 200, exported.text
    features = exported.json()["features"]
    assert {f["properties"]["code"] for f in features} == set(proposal)

    # A planner moves one unit between two neighbouring proposed grids of community A.
    planner = client_as("t-planner")
    grids_a = sorted(code for code in proposal if code.startswith(COMMUNITY_A))
    source, target = grids_a[0], grids_a[1]
    unit = sorted(proposal[source])[0]
    version = conn.execute(
        text("SELECT version FROM grid_layer WHERE code = :l"), {"l": layer}
    ).scalar_one()
    body = {"units": [unit], "to": target, "version": version, "confirm": True}
    r = planner.post(f"/layers/{layer}/edits", json=body)
    assert r.status_code == 200, r.text
    edited = _units_of(conn, layer)
    assert unit in edited[target] and unit not in edited.get(source, frozenset())
    # The unified layer did not change, so the edited scenario can still be adopted, as edited.
    r = county.post(f"/scenarios/{sid}/adopt")
    assert r.status_code == 200, r.text
    assert set(edited.values()) <= set(_units_of(conn, "unified").values())


def test_cancel_a_queued_scenario(client_as, conn) -> None:
    client = client_as("t-county")
    sid = _create(client, target_count=3)["id"]
    r = client.post(f"/scenarios/{sid}/cancel")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    assert _run(conn) == []  # nothing left to run
    again = client.post(f"/scenarios/{sid}/cancel")
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]
    assert client.post(f"/scenarios/{sid}/adopt").status_code == 409


def test_cancel_mid_run_keeps_nothing(client_as, conn) -> None:
    client = client_as("t-county")
    created = _create(client, target_count=3)
    sid = created["id"]
    calls: list[int] = []

    def cancel_after_first(done: int, total: int) -> None:
        calls.append(done)
        if len(calls) == 1:  # the job is running: a user presses cancel
            assert client.get(f"/scenarios/{sid}").json()["job"]["state"] == "running"
            assert client.post(f"/scenarios/{sid}/cancel").status_code == 200

    assert _run(conn, hook=cancel_after_first) == [(created["job"]["id"], "cancelled")]
    found = client.get(f"/scenarios/{sid}").json()
    assert found["state"] == "cancelled" and found["layer"] is None
    assert found["job"]["progress"]["done"] < found["job"]["progress"]["total"]
    assert not conn.execute(
        text("SELECT 1 FROM grid_layer WHERE code = :c"), {"c": f"scenario-{sid}"}
    ).first()


def test_a_failed_run_says_why(client_as, conn) -> None:
    client = client_as("t-county")
    sid = _create(client, target_count=50)["id"]  # 9 units cannot make 50 grids
    _run(conn)
    found = client.get(f"/scenarios/{sid}").json()
    assert found["state"] == "failed" and "larger than the number of units" in found["job"]["error"]


def test_locked_grids_are_kept_whole(client_as, conn) -> None:
    conn.execute(
        text(
            "UPDATE grid SET locked = true WHERE code = :c AND layer_id = "
            "(SELECT id FROM grid_layer WHERE code = 'unified')"
        ),
        {"c": f"{COMMUNITY_A}002"},
    )
    client = client_as("t-county")
    sid = _create(client, target_count=5, from_unified=True)["id"]
    _run(conn)
    found = client.get(f"/scenarios/{sid}").json()
    assert found["state"] == "done", found["job"]
    assert found["report"]["locked_kept"] == [f"{COMMUNITY_A}002"]
    proposal = _units_of(conn, f"scenario-{sid}")
    assert len(proposal) == 5
    assert proposal[f"{COMMUNITY_A}002"] == {unit_code(n) for n in (4, 5, 7, 8)}
    locked = conn.execute(
        text(
            "SELECT g.locked FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
            "WHERE l.code = :l AND g.code = :c"
        ),
        {"l": f"scenario-{sid}", "c": f"{COMMUNITY_A}002"},
    ).scalar_one()
    assert locked is True


def test_crosswalk_shares_sum_to_one_and_figures(client_as, conn) -> None:
    client = client_as("t-county")
    sid = _create(client, target_count=2, from_unified=False)["id"]
    _run(conn)
    xw = client.get(f"/scenarios/{sid}/crosswalk").json()
    sums: dict[str, list[float]] = {}
    for r in xw["rows"]:
        pair = sums.setdefault(r["d_code"], [0.0, 0.0])
        pair[0] += r["households_share"]
        pair[1] += r["area_share"]
    assert set(sums) == {f"{COMMUNITY_A}901", f"{COMMUNITY_A}902"}
    for households, area in sums.values():
        assert households == pytest.approx(1.0) and area == pytest.approx(1.0)
    # Z1 = U1, U4, U7 lies in community A: all of it goes to A's one grid.
    z1 = [r for r in xw["rows"] if r["d_code"] == f"{COMMUNITY_A}901"]
    assert len(z1) == 1 and z1[0]["s_code"].startswith(COMMUNITY_A)
    # Z2 crosses into B: 1,800 of its 3,300 households go to B's grid.
    z2 = {r["s_code"][:12]: r for r in xw["rows"] if r["d_code"] == f"{COMMUNITY_A}902"}
    assert z2[COMMUNITY_B]["households"] == 1800
    assert z2[COMMUNITY_B]["households_share"] == pytest.approx(1800 / 3300)
    absorbed = {g["code"][:12]: g for g in xw["absorbs"]}
    assert {a["code"] for a in absorbed[COMMUNITY_A]["absorbs"]} == {
        f"{COMMUNITY_A}901",
        f"{COMMUNITY_A}902",
    }
    f = xw["figures"]
    assert f["before"]["grids"] == 2 and f["after"]["grids"] == 2
    assert f["unified_today"]["grids"] == 3
    assert f["households"] == 4500 and f["after"]["households_per_grid"] == 2250

    csv = client.get(f"/scenarios/{sid}/crosswalk?format=csv")
    assert csv.status_code == 200 and csv.text.startswith("\ufeff")
    assert len(csv.text.strip().splitlines()) == 1 + len(xw["rows"])
    xlsx = client.get(f"/scenarios/{sid}/crosswalk?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(xlsx.content))
    assert book.sheetnames[0].startswith("crosswalk")
    assert book.worksheets[0].max_row == 1 + len(xw["rows"])


def test_sample_city_crosswalk_and_figures(client, conn) -> None:
    """The whole sample city: 5,562 departmental grids before; every share sums to one."""
    sid = _create(client, name="全市", area=["3610"], from_unified=True)["id"]
    assert [s for _, s in _run(conn)] == ["done"]
    f = client.get(f"/scenarios/{sid}/figures").json()
    assert f["before"]["grids"] == 5562
    assert len(f["before"]["departments"]) == 6
    assert f["unified_today"]["grids"] == 1292
    assert f["after"]["grids"] == f["after"]["grid_workers"] > 0
    off = conn.execute(
        text(
            """WITH s AS (SELECT gu.unit_id, gu.grid_id FROM grid_unit gu
                          WHERE gu.layer_id = (SELECT id FROM grid_layer WHERE code = :l))
               SELECT count(*) FROM (
                   SELECT d.grid_id, sum(u.households) AS h FROM grid_unit d
                   JOIN grid_layer l ON l.id = d.layer_id AND l.kind = 'department'
                   JOIN s ON s.unit_id = d.unit_id JOIN base_unit u ON u.id = d.unit_id
                   GROUP BY d.grid_id) x"""
        ),
        {"l": f"scenario-{sid}"},
    ).scalar_one()
    assert off == 5562  # every departmental grid is cross-walked
    rows = client.get(f"/scenarios/{sid}/crosswalk").json()["rows"]
    totals: dict[tuple[str, str], float] = {}
    for r in rows:
        key = (r["layer"], r["d_code"])
        totals[key] = totals.get(key, 0.0) + r["households_share"]
    assert len(totals) == 5562
    assert all(abs(v - 1) < 1e-9 for v in totals.values())


def test_grid_leaders_follow_their_buildings(client_as, conn) -> None:
    member = conn.execute(
        text(
            "INSERT INTO party_member (code, name, phone, geom) VALUES "
            "('TM1', '张三丰', '13800001234', ST_SetSRID(ST_MakePoint(116.0005, 27.5005), 4326)) "
            "RETURNING id"
        )
    ).scalar_one()
    old_grid = conn.execute(
        text(
            "SELECT g.id FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
            "WHERE l.code = 'unified' AND g.code = :c"
        ),
        {"c": f"{COMMUNITY_A}002"},
    ).scalar_one()
    conn.execute(
        text(
            "INSERT INTO assignment (member_id, role, grid_id, starts_on) "
            "VALUES (:m, 'grid_leader', :g, '2024-01-01')"
        ),
        {"m": member, "g": old_grid},
    )
    client = client_as("t-county")
    sid = _create(client, target_count=2, from_unified=False)["id"]
    _run(conn)
    preview = client.get(f"/scenarios/{sid}/impact?community={COMMUNITY_A}").json()
    assert len(preview["buildings"]) == 6
    leader = next(p for p in preview["people"] if p["kind"] == "grid_leader")
    assert leader["person"] == "张*丰"  # county staff see names masked
    assert leader["buildings_before"] == 4 and leader["buildings_after"] == 6
    assert leader["gained"] == 2 and leader["lost"] == 0
    worker = next(p for p in preview["people"] if p["kind"] == "grid_worker")
    assert worker["person"] == "t-worker" and worker["grid_before"] == f"{COMMUNITY_A}001"

    leaders = conn.execute(
        text(
            "SELECT count(*) FROM assignment a JOIN grid g ON g.id = a.grid_id "
            "JOIN grid_layer l ON l.id = g.layer_id WHERE l.code = 'unified'"
        )
    ).scalar_one()
    r = client.post(f"/scenarios/{sid}/adopt")
    assert r.status_code == 200, r.text
    follow = r.json()["adoption"]
    assert follow["assignments_moved"] == {"grid_leader": leaders}  # the sample city's too
    assert follow["follow_up"]["assignments_without_grid"] == []
    new_grid = conn.execute(
        text(
            "SELECT l.code, g.code FROM assignment a JOIN grid g ON g.id = a.grid_id "
            "JOIN grid_layer l ON l.id = g.layer_id WHERE a.member_id = :m"
        ),
        {"m": member},
    ).one()
    assert new_grid[0] == "unified" and new_grid[1].startswith(COMMUNITY_A)
    # B's new grid has no leader; t-worker's grid code is gone from the new net.
    assert any(c.startswith(COMMUNITY_B) for c in follow["follow_up"]["grids_without_leader"])
    assert "t-worker" in follow["follow_up"]["field_workers_without_grid"]


def test_workload_profile_is_saved_and_used(client_as, conn) -> None:
    client = client_as("t-county")
    weights = {"households": 1, "population": 0, "buildings": 0, "incidents_per_year": 10,
               "care_people": 2}  # fmt: skip
    r = client.put(f"/workload-profiles/{DISTRICT}", json={"weights": weights, "band": [800, 2000]})
    assert r.status_code == 200, r.text
    assert r.json()["saved"] and r.json()["band"] == [800, 2000]
    created = _create(client)  # no weights, no count, no band: the county's profile decides
    assert created["params"]["weights"]["incidents_per_year"] == 10
    assert created["params"]["band"] == [800, 2000]
    _run(conn)
    found = client.get(f"/scenarios/{created['id']}").json()
    assert found["state"] == "done"
    # U5 holds the one incident: its grid's workload counts it ten times.
    total = conn.execute(
        text(
            "SELECT sum(workload) FROM grid WHERE layer_id = "
            "(SELECT id FROM grid_layer WHERE code = :l)"
        ),
        {"l": found["layer"]},
    ).scalar_one()
    assert total == pytest.approx(4500 + 10 + 2 * 45)
    assert client.put(
        "/workload-profiles/361002", json={"weights": weights, "band": [1, 2]}
    ).status_code == 403  # fmt: skip


def test_forbidden_roles_and_scopes(client_as, conn, anon) -> None:
    assert anon.get("/scenarios").status_code == 401
    for username in ("t-planner", "t-worker", "t-department", "t-party"):
        c = client_as(username)
        assert c.get("/scenarios").status_code == 403, username
        assert c.post("/scenarios", json={"name": "x", "area": [DISTRICT]}).status_code == 403
        assert c.get("/compare").status_code == 403
    county = client_as("t-county")
    outside = county.post("/scenarios", json={"name": "x", "area": ["361002"]})
    assert outside.status_code == 403 and "outside your scope" in outside.json()["detail"]
    # A scenario of the sample city, made by root, is invisible to the tiny city's county staff.
    sid = _create(client_as("root"), area=["361002001001"], target_count=2)["id"]
    assert county.get(f"/scenarios/{sid}").status_code == 403
    assert county.post(f"/scenarios/{sid}/cancel").status_code == 403
    assert county.post(f"/scenarios/{sid}/adopt").status_code == 403
    assert sid not in {s["id"] for s in county.get("/scenarios").json()}
    assert conn.execute(
        text("SELECT state FROM scenario WHERE id = :s"), {"s": sid}
    ).scalar_one() == "queued"  # fmt: skip


def test_bad_requests_change_nothing(client_as, conn) -> None:
    client = client_as("t-county")
    before = conn.execute(text("SELECT count(*) FROM scenario")).scalar_one()
    bad = [
        {"name": "x", "area": [DISTRICT], "target_count": 0},
        {"name": "x", "area": [DISTRICT], "band": [500, 300]},
        {"name": "x", "area": ["abc"]},
        {"name": "", "area": [DISTRICT]},
        {"name": "x", "area": [DISTRICT], "weights": {"households": 0}},
        {"name": "x", "area": [DISTRICT], "clarity": 16.5},
        {"name": "x", "area": [DISTRICT], "clarity": -1},
    ]
    for body in bad:
        r = client.post("/scenarios", json=body)
        assert r.status_code == 422, (body, r.text)
    assert client.post("/scenarios", json={"name": "x", "area": ["369901009"]}).status_code == 404
    assert conn.execute(text("SELECT count(*) FROM scenario")).scalar_one() == before
    assert client.get("/scenarios/999999").status_code == 404
    assert client.get("/scenarios/compare?a=unified&b=nope").status_code == 404
    one = client.get("/scenarios/compare?a=unified&b=unified")
    assert one.status_code == 422
    queued = _create(client, target_count=2)["id"]
    r = client.get(f"/scenarios/compare?a={queued}&b=unified")
    assert r.status_code == 409 and "no proposed layer" in r.json()["detail"]
    assert client.get(f"/scenarios/{queued}/crosswalk").status_code == 409
    assert client.get(f"/scenarios/{queued}/crosswalk?format=pdf").status_code == 422
    _run(conn)
    far = client.get(f"/scenarios/{queued}/impact?community=361002001001")
    assert far.status_code == 403


def test_delete_discards_the_layer(client_as, conn) -> None:
    client = client_as("t-county")
    sid = _create(client, target_count=2)["id"]
    _run(conn)
    assert client.delete(f"/scenarios/{sid}").status_code == 204
    assert client.get(f"/scenarios/{sid}").status_code == 404
    assert not conn.execute(
        text("SELECT 1 FROM grid_layer WHERE code = :c"), {"c": f"scenario-{sid}"}
    ).first()


def test_report_page_prints_map_metrics_and_histogram(client_as, conn) -> None:
    client = client_as("t-county")
    sid = _create(client, target_count=3)["id"]
    _run(conn)
    r = client.get(f"/scenarios/{sid}/report")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert page.count("<path d=") == 3  # one per grid, drawn by ST_AsSVG
    assert "rp-hist" in page and "Polsby" in page and "<script" not in page
    # How far from the best possible: the scenario's own report, as the optimizer measured it.
    stored = client.get(f"/scenarios/{sid}").json()["report"]
    bound = re.search(r'data-testid="cv-bound">[^<]*<strong>([0-9.]+)</strong>', page)
    assert bound and float(bound.group(1)) == pytest.approx(stored["workload_cv_bound"], abs=5e-4)
    assert stored["workload_cv_bound"] <= stored["workload_cv"]


# ----------------------------------------------------------------------------- restarts


def _committed_scenario(engine: Engine, settings: Settings) -> tuple[int, int]:
    with engine.begin() as c:
        found = create_scenario(
            c,
            ScenarioSpec(name="committed", area=[DISTRICT], target_count=3),
            settings,
            access=Access.system("system:tests"),
        )
    assert found.job is not None
    return found.id, found.job.id


def _discard(engine: Engine, scenario_id: int) -> None:
    with engine.begin() as c:
        c.execute(text("UPDATE scenario SET state = 'failed' WHERE id = :s"), {"s": scenario_id})
        delete_scenario(c, scenario_id, access=Access.system("system:tests"))


def test_recovery_marks_only_orphaned_running_jobs_failed(conn, engine, settings) -> None:
    orphan = create_scenario(
        conn,
        ScenarioSpec(name="o", area=[DISTRICT], target_count=2),
        settings,
        access=Access.system("system:tests"),
    )
    alive = create_scenario(
        conn,
        ScenarioSpec(name="a", area=[DISTRICT], target_count=2),
        settings,
        access=Access.system("system:tests"),
    )
    assert orphan.job is not None and alive.job is not None
    ids = [orphan.job.id, alive.job.id]
    conn.execute(text("UPDATE scenario_job SET state = 'running' WHERE id = ANY(:i)"), {"i": ids})
    with engine.connect() as other:  # another process is running the second job
        other.execute(text("SELECT pg_advisory_lock(:c, :j)"), {"c": LOCK_CLASS, "j": ids[1]})
        assert recover_interrupted(conn) == [ids[0]]
        other.execute(text("SELECT pg_advisory_unlock(:c, :j)"), {"c": LOCK_CLASS, "j": ids[1]})
        other.commit()
    states = dict(
        conn.execute(
            text("SELECT id, state FROM scenario_job WHERE id = ANY(:i)"), {"i": ids}
        ).all()
    )
    assert states == {ids[0]: "failed", ids[1]: "running"}
    error = conn.execute(
        text("SELECT error FROM scenario_job WHERE id = :j"), {"j": ids[0]}
    ).scalar_one()
    assert error.startswith("服务器重启中断了本次计算") and "interrupted by a restart" in error
    assert conn.execute(
        text("SELECT state FROM scenario WHERE id = :s"), {"s": orphan.id}
    ).scalar_one() == "failed"  # fmt: skip


def test_a_restarted_server_marks_interrupted_jobs_failed(engine, settings) -> None:
    sid, job = _committed_scenario(engine, settings)
    try:
        with engine.begin() as c:  # the server stopped while this job was running
            c.execute(text("UPDATE scenario_job SET state = 'running' WHERE id = :j"), {"j": job})
        with TestClient(create_app(settings)):  # start-up
            pass
        with engine.connect() as c:
            row = c.execute(
                text("SELECT state, error FROM scenario_job WHERE id = :j"), {"j": job}
            ).one()
        assert row.state == "failed" and "interrupted by a restart" in row.error
    finally:
        _discard(engine, sid)


def test_the_worker_thread_runs_committed_jobs(engine, settings) -> None:
    sid, job = _committed_scenario(engine, settings)
    worker = ScenarioWorker(engine, poll_seconds=60)
    try:
        worker.start()
        worker.wake()
        assert worker.wait(job, timeout=120) == "done"
        with engine.connect() as c:
            layer = c.execute(
                text(
                    "SELECT l.code FROM scenario s JOIN grid_layer l ON l.id = s.layer_id "
                    "WHERE s.id = :s"
                ),
                {"s": sid},
            ).scalar_one()
            # The advisory lock of the job was released.
            free = c.execute(
                text("SELECT pg_try_advisory_lock(:c, :j)"), {"c": LOCK_CLASS, "j": job}
            ).scalar_one()
            c.execute(text("SELECT pg_advisory_unlock(:c, :j)"), {"c": LOCK_CLASS, "j": job})
        assert layer == f"scenario-{sid}" and free
    finally:
        worker.stop()
        _discard(engine, sid)


def test_a_scenario_run_on_a_dask_cluster_proposes_the_same_grids(
    client_as, conn: Connection
) -> None:
    """GRIDMAP_OPTIMIZER_SCHEDULER: a county points its scenario runs at a Dask cluster and gets
    the plan its own process would have made."""
    from dask.distributed import LocalCluster

    client = client_as("t-county")
    here = _create(client, target_count=4)["id"]
    assert _run(conn) == [(client.get(f"/scenarios/{here}").json()["job"]["id"], "done")]
    there = _create(client, target_count=4)["id"]
    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        ran = run_queued(savepoint_tx(conn), scheduler=cluster.scheduler_address)
    assert [state for _, state in ran] == ["done"]
    assert set(_units_of(conn, f"scenario-{there}").values()) == set(
        _units_of(conn, f"scenario-{here}").values()
    )


def test_an_unreachable_dask_scheduler_fails_the_run_naming_it(
    client_as, conn: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gis.optimizer import plan

    monkeypatch.setattr(plan, "CONNECT_SECONDS", 1.0)
    client = client_as("t-county")
    sid = _create(client, target_count=4)["id"]
    ran = run_queued(savepoint_tx(conn), scheduler="tcp://127.0.0.1:9")
    assert [state for _, state in ran] == ["failed"]
    failed = client.get(f"/scenarios/{sid}").json()
    assert "tcp://127.0.0.1:9" in failed["job"]["error"]
    assert _units_of(conn, f"scenario-{sid}") == {}
