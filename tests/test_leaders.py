"""Grid leaders survive merges: adopting a scenario, the editor's merge, undo and revert.

The rule a party office accepts when two grids become one: the leader of the old grid with the
larger share of the new grid's workload stays grid leader (ties: the larger share of units, then
the older assignment); the other's assignment ends on the day and is archived with the reason
网格合并. The preview says so, grid by grid, before anything is applied; undo and revert bring
back what the edit they run backwards ended.

The tiny city (tests/tiny_city.py): community A's grids G1 = {U1, U2} (300 households) and
G2 = {U4, U5, U7, U8} (2,400), so G2's leader stays when they merge.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from gis.party.common import today as party_today
from gis.scenarios.run import savepoint_tx
from gis.scenarios.worker import run_queued
from tests.party_city import insert_assignment, seed_members
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, DISTRICT

G1, G2, G3 = f"{COMMUNITY_A}001", f"{COMMUNITY_A}002", f"{COMMUNITY_B}001"
MERGED = "网格合并"


def _leaders(conn: Connection) -> dict[str, str]:
    """Two grid leaders: member code of G1's and G2's (assigned long ago, G1's the older)."""
    people = seed_members(conn, "TL")
    small, large = people["leader_a1"].code, people["leader_4"].code
    insert_assignment(conn, small, "grid_leader", grid=G1, starts_on=dt.date(2023, 1, 1))
    insert_assignment(conn, large, "grid_leader", grid=G2, starts_on=dt.date(2024, 1, 1))
    return {G1: small, G2: large}


def _led(conn: Connection, layer: str = "unified") -> dict[str, str]:
    """Current grid leaders of the tiny city's grids: grid code → member code."""
    rows = conn.execute(
        text(
            "SELECT g.code, m.code FROM assignment a JOIN grid g ON g.id = a.grid_id "
            "JOIN grid_layer l ON l.id = g.layer_id JOIN party_member m ON m.id = a.member_id "
            "WHERE l.code = :l AND a.role = 'grid_leader' AND starts_with(g.code, '369901') "
            "AND (a.ends_on IS NULL OR a.ends_on >= :today)"
        ),
        {"l": layer, "today": party_today()},
    ).all()
    return {str(grid): str(member) for grid, member in rows}


def _archived(conn: Connection, member: str) -> list[Any]:
    return conn.execute(
        text(
            "SELECT x.grid_code, x.ends_on, x.reason FROM assignment_archive x "
            "JOIN party_member m ON m.id = x.member_id WHERE m.code = :m ORDER BY x.id"
        ),
        {"m": member},
    ).all()


# ----------------------------------------------------------------------------- adoption


def scenario_merging_community_a(client: TestClient, conn: Connection) -> int:
    """A scenario of two grids: community A in one, B in the other."""
    r = client.post(
        "/scenarios",
        json={"name": "合并甲社区", "area": [DISTRICT], "seed": 1, "target_count": 2,
              "from_unified": False},
    )  # fmt: skip
    assert r.status_code == 202, r.text
    run_queued(savepoint_tx(conn))
    return int(r.json()["id"])


def test_adopting_a_merge_of_two_led_grids_keeps_the_larger_grids_leader(client_as, conn) -> None:
    who = _leaders(conn)
    county = client_as("t-county")
    sid = scenario_merging_community_a(county, conn)

    # The preview says, for the new grid, who stays and who ends, before anything changes.
    preview = client_as("root").get(f"/scenarios/{sid}/impact?community={COMMUNITY_A}")
    assert preview.status_code == 200, preview.text
    decisions = preview.json()["leaders"]
    assert len(decisions) == 1
    decision = decisions[0]
    assert decision["stays"]["member"] == who[G2] and decision["stays"]["grid_before"] == G2
    assert [e["member"] for e in decision["ends"]] == [who[G1]]
    assert decision["ends"][0]["grid_before"] == G1 and decision["ends"][0]["reason"] == MERGED
    assert decision["stays"]["workload_share"] > 0.5 > decision["ends"][0]["workload_share"]
    assert _led(conn) == {G1: who[G1], G2: who[G2]}  # nothing changed yet

    adopted = county.post(f"/scenarios/{sid}/adopt")
    assert adopted.status_code == 200, adopted.text
    body = adopted.json()["adoption"]
    assert body["follow_up"]["grids_with_several_leaders"] == []
    assert [d["stays"]["member"] for d in body["leaders"]] == [who[G2]]
    led = _led(conn)
    new_a = next(code for code in led if code.startswith(COMMUNITY_A))
    assert led == {new_a: who[G2]}
    today = party_today()
    assert _archived(conn, who[G1]) == [(G1, today, MERGED)]
    assert _archived(conn, who[G2]) == []


def test_adoption_with_equal_shares_keeps_the_older_assignment(client_as, conn) -> None:
    """Ties on workload and units go to the older assignment."""
    people = seed_members(conn, "TQ")
    older, newer = people["leader_a1"].code, people["leader_4"].code
    # Community A's units made equal (100 households each, the same of everything else) and
    # its grids G1 = {U1, U2, U7}, G2 = {U4, U5, U8}: equal shares of workload and of units.
    conn.execute(
        text(
            "UPDATE base_unit SET households = 100, population = 100, buildings = 1, "
            "incidents_per_year = 0, care_people = 0 WHERE starts_with(code, :c)"
        ),
        {"c": COMMUNITY_A},
    )
    for grid, unit in ((G1, 7), (G2, 4)):
        conn.execute(
            text(
                "UPDATE grid_unit gu SET grid_id = g.id FROM grid g, grid_layer l, base_unit u "
                "WHERE l.code = 'unified' AND g.layer_id = l.id AND g.code = :g "
                "AND gu.layer_id = l.id AND u.id = gu.unit_id AND u.code = :u"
            ),
            {"g": grid, "u": f"{COMMUNITY_A}U{unit:03d}"},
        )
    insert_assignment(conn, newer, "grid_leader", grid=G1, starts_on=dt.date(2024, 6, 1))
    insert_assignment(conn, older, "grid_leader", grid=G2, starts_on=dt.date(2022, 6, 1))
    county = client_as("t-county")
    sid = scenario_merging_community_a(county, conn)
    adopted = county.post(f"/scenarios/{sid}/adopt")
    assert adopted.status_code == 200, adopted.text
    led = _led(conn)
    assert older in led.values() and newer not in led.values()
    assert [r.reason for r in _archived(conn, newer)] == [MERGED]


# ----------------------------------------------------------------------------- the editor


def _post(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post(path, json=body)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_merge_preview_warns_which_leader_stays_and_which_ends(client_as, conn) -> None:
    who = _leaders(conn)
    planner = client_as("t-planner")
    # G2 merged into G1: G1 keeps its code, but G2 brings 2,400 of the 2,700 households.
    preview = _post(planner, f"/layers/unified/grids/{G1}/merge", {"other": G2, "dry_run": True})
    [decision] = preview["leaders"]["decisions"]
    assert decision["grid"] == G1
    assert decision["stays"]["member"] == who[G2] and decision["stays"]["grid_before"] == G2
    assert [(e["member"], e["grid_before"], e["reason"]) for e in decision["ends"]] == [
        (who[G1], G1, MERGED)
    ]
    assert "留任" in decision["text"] and MERGED in decision["text"]
    assert decision["stays"]["name"] != "赵六一"  # a planner sees names masked
    assert _led(conn) == {G1: who[G1], G2: who[G2]}  # a preview changes nothing

    _post(planner, f"/layers/unified/grids/{G1}/merge", {"other": G2})
    assert _led(conn) == {G1: who[G2]}
    assert _archived(conn, who[G1]) == [(G1, party_today(), MERGED)]


def test_undo_of_a_merge_brings_both_leaders_back(client_as, conn) -> None:
    who = _leaders(conn)
    planner = client_as("t-planner")
    _post(planner, f"/layers/unified/grids/{G2}/merge", {"other": G1})
    assert _led(conn) == {G2: who[G2]}
    undone = _post(planner, "/layers/unified/undo", {})
    assert {r["member"] for r in undone["leaders"]["restored"]} == {who[G1]}
    assert _led(conn) == {G1: who[G1], G2: who[G2]}
    assert _archived(conn, who[G1]) == []
    # Redo merges again, by the same rule.
    _post(planner, "/layers/unified/redo", {})
    assert _led(conn) == {G2: who[G2]}


def test_a_grid_restored_by_revert_comes_back_with_its_leader(client_as, conn) -> None:
    """Merged away, its leader the one who stays; the merged grid re-coded; then a revert to
    before it all: both grids and both leaders are back where they were."""
    who = _leaders(conn)
    planner = client_as("t-planner")
    start = int(
        conn.execute(text("SELECT version FROM grid_layer WHERE code = 'unified'")).scalar()
    )
    _post(planner, f"/layers/unified/grids/{G1}/merge", {"other": G2})
    recoded = f"{COMMUNITY_A}007"
    _post(planner, f"/layers/unified/grids/{G1}/rename", {"code": recoded})
    assert _led(conn) == {recoded: who[G2]}
    preview = _post(planner, "/layers/unified/revert", {"to_version": start, "dry_run": True})
    assert {r["member"] for r in preview["leaders"]["restored"]} == {who[G1], who[G2]}
    assert _led(conn) == {recoded: who[G2]}
    _post(planner, "/layers/unified/revert", {"to_version": start})
    assert _led(conn) == {G1: who[G1], G2: who[G2]}
    assert _archived(conn, who[G1]) == [] and _archived(conn, who[G2]) == []


def test_moving_a_grids_last_units_hands_its_leader_over(client_as, conn) -> None:
    """G1 emptied into G2: G2's leader (the larger share) stays, G1's is archived; undo."""
    who = _leaders(conn)
    planner = client_as("t-planner")
    units = [f"{COMMUNITY_A}U001", f"{COMMUNITY_A}U002"]
    done = _post(planner, "/layers/unified/edits", {"units": units, "to": G2})
    assert [d["stays"]["member"] for d in done["leaders"]["decisions"]] == [who[G2]]
    assert _led(conn) == {G2: who[G2]}
    _post(planner, "/layers/unified/undo", {})
    assert _led(conn) == {G1: who[G1], G2: who[G2]}


def test_a_grid_emptied_into_one_that_gives_away_all_its_own_units(client_as, conn) -> None:
    """One edit moves G1's units into G2 and all of G2's own units into a new grid: G2 keeps
    only what G1 brought, so G1's leader (the whole share) stays and G2's is archived — G2's own
    leader is still a candidate though none of its units stayed (was: two leaders, a 500)."""
    who = _leaders(conn)
    planner = client_as("t-planner")
    own = [f"{COMMUNITY_A}U00{n}" for n in (4, 5, 7, 8)]
    moves = [
        {"units": [f"{COMMUNITY_A}U001", f"{COMMUNITY_A}U002"], "to": G2},
        {"units": own, "to": "new"},
    ]
    done = _post(planner, "/layers/unified/edits", {"moves": moves})
    assert [d["stays"]["member"] for d in done["leaders"]["decisions"]] == [who[G1]]
    assert _led(conn) == {G2: who[G1]}
    assert [(r.grid_code, r.reason) for r in _archived(conn, who[G2])] == [(G2, MERGED)]
