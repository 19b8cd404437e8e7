"""The layer list reads a scope's reach off each grid's ``span``, the roll-ups read units and
members off ``community_tally`` (migration 0032): after every
kind of write — an edit, a new grid, an undo, a revert, a scenario's adoption — the spans are the
ones computed from the units from scratch, and every user's ``GET /layers`` gives the figures
that the membership join (the old, slow definition: ``Scope.grid_sql``) gives.

On the tiny city (tests/tiny_city.py): community A = U1 U2 U4 U5 U7 U8, community B = U3 U6 U9;
the zongzhi layer has a grid across the two communities, which a community user reaches over the
edge of their scope.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from gis.grids import SPAN_SQL
from gis.layers import balance_sql
from gis.scenarios.run import savepoint_tx
from gis.scenarios.worker import run_queued
from tests.conftest import TEST_USERS, ClientAs
from tests.party_city import seed_members
from tests.scratch_layer import copy_tiny_unified
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, DISTRICT, STREET, unit_code

G1 = f"{COMMUNITY_A}001"
# A county, a community (reached over its edge), the province, a grid's worker. (The city's
# administrator reaches everything: Scope.span_sql is Scope.grid_sql there.)
USERS = ["t-county", "t-party", "jx-province", "t-worker"]
FIGURES = ["grid_count", "unit_count", "workload_mean", "workload_cv", "workload_min",
           "workload_max", "share_in_band", "grids_crossing_communities"]  # fmt: skip


def _stale_spans(conn: Connection) -> list[Any]:
    """Grids whose stored span is not the one their units give today."""
    fresh = SPAN_SQL.format(lo="t.lo", hi="t.hi")
    return conn.execute(
        text(
            f"""SELECT g.code, g.span, {fresh} AS fresh FROM grid g
                LEFT JOIN (SELECT gu.grid_id, min(c.code) AS lo, max(c.code) AS hi
                           FROM grid_unit gu JOIN base_unit u ON u.id = gu.unit_id
                           JOIN community c ON c.id = u.community_id GROUP BY 1) t
                  ON t.grid_id = g.id
                WHERE g.span IS DISTINCT FROM {fresh}"""
        )
    ).all()


def _from_scratch(conn: Connection, user: str, band: list[float]) -> dict[str, list[Any]]:
    """The layer figures of ``user``'s scope, reached through every unit's membership."""
    reach = TEST_USERS[user][1].grid_sql("g")
    rows = conn.execute(
        text(
            f"""SELECT l.code, count(g.id) AS grid_count,
                       coalesce(sum(g.unit_count), 0) AS unit_count,
                       {balance_sql("g", (band[0], band[1]))},
                       min(g.workload) AS workload_min, max(g.workload) AS workload_max,
                       count(*) FILTER (WHERE g.community_count > 1)
                           AS grids_crossing_communities
                FROM grid_layer l LEFT JOIN grid g ON g.layer_id = l.id AND ({reach.sql})
                GROUP BY l.id HAVING l.kind <> 'scenario' OR count(g.id) > 0"""
        ),
        reach.params,
    ).mappings()
    return {r["code"]: [r[f] for f in FIGURES] for r in rows}


def _check(conn: Connection, client_as: ClientAs) -> None:
    assert _stale_spans(conn) == []
    for user in USERS:
        listed = client_as(user).get("/layers")
        assert listed.status_code == 200, listed.text
        band = listed.json()[0]["band"]
        got = {x["code"]: [x[f] for f in FIGURES] for x in listed.json()}
        assert got == _from_scratch(conn, user, band), user


def test_spans_and_layer_figures_stay_exact_through_edits_undo_revert_and_adoption(
    client_as: ClientAs, conn: Connection
) -> None:
    planner = client_as("t-planner")
    # The community user reaches the zongzhi grid that crosses into community B.
    crossing = conn.execute(
        text("SELECT span FROM grid WHERE community_count > 1 AND starts_with(code, :d)"),
        {"d": DISTRICT},
    ).scalars()
    assert set(crossing) == {STREET}  # A and B share their street, not a community
    _check(conn, client_as)

    def post(client: TestClient, path: str, body: dict[str, Any]) -> Any:
        response = client.post(path, json=body)
        assert response.status_code in (200, 202), response.text
        return response.json()

    v0 = conn.execute(text("SELECT version FROM grid_layer WHERE code = 'unified'")).scalar_one()
    post(planner, "/layers/unified/edits", {"units": [unit_code(4)], "to": G1})
    _check(conn, client_as)
    post(planner, "/layers/unified/edits", {"units": [unit_code(7), unit_code(8)], "to": "new"})
    new = conn.execute(
        text("SELECT g.span FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
             "WHERE l.code = 'unified' AND g.code = :c"), {"c": f"{COMMUNITY_A}003"}
    ).scalar_one()  # fmt: skip
    assert new == COMMUNITY_A  # a new grid's span is its community's code
    _check(conn, client_as)
    post(planner, "/layers/unified/undo", {})
    _check(conn, client_as)
    post(planner, "/layers/unified/revert", {"to_version": v0})
    _check(conn, client_as)

    county = client_as("t-county")
    sid = post(county, "/scenarios", {"name": "跨度", "area": [DISTRICT], "seed": 1,
                                       "target_count": 4})["id"]  # fmt: skip
    run_queued(savepoint_tx(conn))
    _check(conn, client_as)  # the scenario's own layer, listed to those it reaches
    post(county, f"/scenarios/{sid}/adopt", {})
    _check(conn, client_as)
    # Memberships written by hand, no refresh_grids: the triggers on grid_unit keep the spans.
    copy_tiny_unified(conn, "s-span", "跨度测试")
    _check(conn, client_as)


def _stale_tallies(conn: Connection) -> list[Any]:
    """Communities whose tally is not what counting their units and members gives today."""
    return conn.execute(
        text(
            """SELECT c.code, t.units, t.party_members, u.n AS fresh_units, m.n AS fresh_members
               FROM community c LEFT JOIN community_tally t ON t.community_id = c.id
               LEFT JOIN (SELECT community_id, count(*) AS n FROM base_unit GROUP BY 1) u
                 ON u.community_id = c.id
               LEFT JOIN (SELECT community_id, count(*) AS n FROM party_member GROUP BY 1) m
                 ON m.community_id = c.id
               WHERE coalesce(t.units, 0) <> coalesce(u.n, 0)
                  OR coalesce(t.party_members, 0) <> coalesce(m.n, 0)"""
        )
    ).all()


def test_community_tallies_follow_every_write_to_units_and_members(
    client_as: ClientAs, conn: Connection
) -> None:
    """Loaded, then members registered, moved, a unit moved between communities, rows deleted:
    the tally equals the count, and the province's roll-up by county says the same."""
    assert _stale_tallies(conn) == []  # as the loader left it (tiny and sample city)
    seed_members(conn, prefix="SP")
    a, b = (conn.execute(text("SELECT id FROM community WHERE code = :c"), {"c": c}).scalar_one()
            for c in (COMMUNITY_A, COMMUNITY_B))  # fmt: skip
    # A member moves home, a unit is re-assigned to the other community (a boundary fix).
    conn.execute(text("UPDATE party_member SET community_id = :b WHERE code LIKE 'SP%' AND "
                      "community_id = :a AND id = (SELECT min(id) FROM party_member "
                      "WHERE code LIKE 'SP%')"), {"a": a, "b": b})  # fmt: skip
    conn.execute(text("UPDATE base_unit SET community_id = :b, households = households + 1 "
                      "WHERE code = :u"), {"b": b, "u": unit_code(1)})  # fmt: skip
    conn.execute(
        text("UPDATE base_unit SET households = households + 1 WHERE starts_with(code, :d)"),
        {"d": DISTRICT},
    )  # nobody moves; fmt: skip
    assert _stale_tallies(conn) == []
    conn.execute(text("DELETE FROM party_member WHERE code LIKE 'SP%' AND community_id = :b"),
                 {"b": b})  # fmt: skip
    conn.execute(text("UPDATE base_unit SET community_id = :a WHERE code = :u"),
                 {"a": a, "u": unit_code(1)})  # fmt: skip
    assert _stale_tallies(conn) == []
    counties = client_as("jx-province").get("/rollups", params={"by": "district"})
    assert counties.status_code == 200, counties.text
    ours = {x["code"]: x for x in counties.json()["areas"]}[DISTRICT]
    counted = conn.execute(
        text("""SELECT (SELECT count(*) FROM base_unit u JOIN community c ON c.id = u.community_id
                        WHERE starts_with(c.code, :d)),
                       (SELECT count(*) FROM party_member m JOIN community c
                        ON c.id = m.community_id WHERE starts_with(c.code, :d))"""),
        {"d": DISTRICT},
    ).one()  # fmt: skip
    assert (ours["units"], ours["party_members"]) == tuple(counted) and counted[0] == 9
