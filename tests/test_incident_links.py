"""An incident's grid is the unified grid that holds its base unit — after every edit, undo,
redo, revert and adoption, in the same transaction (migration 0008).

The tiny city (tests/tiny_city.py) gets incidents in every block: block n holds n of them, at
points inside the block (never on a boundary), so a spatial recount per grid is exact. The
property test runs random edit sequences and checks after every step that each incident's grid
is its unit's grid, that every grid's count matches a count of the points inside its outline, and
that ``GET /incidents?grid=`` answers the same counts.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import Connection, text

from gis import editing
from gis.access import Access
from gis.editing import EditOptions, MoveGroup
from gis.errors import GridmapError
from gis.infra.settings import Settings
from tests.test_leaders import scenario_merging_community_a
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, DISTRICT, STEP, X0, Y0, unit_code

G1, G2, G3 = f"{COMMUNITY_A}001", f"{COMMUNITY_A}002", f"{COMMUNITY_B}001"
ACTOR = "system:tests"


def add_incidents(conn: Connection) -> int:
    """Block n gets n incidents, inside it, with no grid given (the database finds it)."""
    rows = []
    for n in range(1, 10):
        row, col = divmod(n - 1, 3)
        for k in range(n):
            x = X0 + (col + 0.1 + 0.8 * (k + 1) / (n + 1)) * STEP
            y = Y0 + (row + 0.3 + 0.05 * k) * STEP
            rows.append({"code": f"TLK{n}{k:03d}", "lon": x, "lat": y, "unit": unit_code(n)})
    conn.execute(
        text(
            "INSERT INTO incident (code, category, description, reported_at, reporter_kind, "
            "department, state, geom, base_unit_id, community_id) "
            "SELECT :code, '环境卫生', '楼道杂物堆放', now(), 'resident', '城管局', 'reported', "
            "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), u.id, u.community_id "
            "FROM base_unit u WHERE u.code = :unit"
        ),
        rows,
    )
    return len(rows)


def broken_links(conn: Connection) -> list[str]:
    """Incidents of the tiny city whose grid is not the unified grid holding their unit."""
    return list(
        conn.execute(
            text(
                """SELECT i.code FROM incident i JOIN base_unit u ON u.id = i.base_unit_id
                   LEFT JOIN (grid_unit gu JOIN grid_layer l
                              ON l.id = gu.layer_id AND l.code = 'unified')
                     ON gu.unit_id = u.id
                   WHERE starts_with(u.code, :d) AND i.grid_id IS DISTINCT FROM gu.grid_id
                   ORDER BY i.code"""
            ),
            {"d": DISTRICT},
        ).scalars()
    )


def counts(conn: Connection) -> tuple[dict[str, int], dict[str, int]]:
    """Per unified grid of the tiny city: incidents linked to it, and points inside it."""
    rows = conn.execute(
        text(
            """SELECT g.code,
                      (SELECT count(*) FROM incident i WHERE i.grid_id = g.id),
                      (SELECT count(*) FROM incident i WHERE ST_Covers(g.geom, i.geom))
               FROM grid g JOIN grid_layer l ON l.id = g.layer_id
               WHERE l.code = 'unified' AND starts_with(g.code, :d)"""
        ),
        {"d": DISTRICT},
    ).all()
    return {r[0]: r[1] for r in rows}, {r[0]: r[2] for r in rows}


def assert_links(conn: Connection, client: TestClient | None = None) -> None:
    assert broken_links(conn) == []
    linked, inside = counts(conn)
    assert linked == inside
    if client is not None:
        for grid, n in linked.items():
            listed = client.get("/incidents", params={"grid": grid, "limit": 100})
            assert listed.status_code == 200, listed.text
            assert json.loads(listed.text)["numberMatched"] == n, grid


def test_moving_a_grids_last_units_and_undo_keep_every_link(
    client_as: Any, conn: Connection, settings: Settings
) -> None:
    """The issue's story: G1 emptied (deleted), its incidents not left without a grid; undo
    brings G1 back and its incidents with it."""
    add_incidents(conn)
    planner = client_as("t-planner")
    linked, _ = counts(conn)
    assert linked[G1] == 1 + 2  # U1 holds one, U2 two
    moved = planner.post(
        "/layers/unified/edits", json={"units": [unit_code(1), unit_code(2)], "to": G2}
    )
    assert moved.status_code == 200, moved.text
    assert_links(conn, planner)
    assert G1 not in counts(conn)[0]  # emptied, so removed
    assert counts(conn)[0][G2] == 1 + 2 + 4 + 5 + 7 + 8 + 1  # and the loader's one in U5
    assert planner.post("/layers/unified/undo", json={}).status_code == 200
    assert_links(conn, planner)
    assert counts(conn)[0][G1] == 3


def test_incidents_follow_an_adopted_scenario(client_as: Any, conn: Connection) -> None:
    add_incidents(conn)
    county = client_as("t-county")
    sid = scenario_merging_community_a(county, conn)
    assert county.post(f"/scenarios/{sid}/adopt").status_code == 200
    assert_links(conn, client_as("root"))
    linked, _ = counts(conn)
    assert sorted(linked.values()) == [3 + 6 + 9, 1 + 2 + 4 + 5 + 7 + 8 + 1]


def test_an_incident_gets_its_units_grid_whatever_it_is_given(conn: Connection) -> None:
    add_incidents(conn)
    conn.execute(text("UPDATE incident SET grid_id = NULL WHERE code = 'TLK1000'"))
    conn.execute(
        text(
            "UPDATE incident SET base_unit_id = (SELECT id FROM base_unit WHERE code = :u) "
            "WHERE code = 'TLK1000'"
        ),
        {"u": unit_code(9)},
    )
    grid = conn.execute(
        text(
            "SELECT g.code FROM incident i JOIN grid g ON g.id = i.grid_id WHERE i.code = 'TLK1000'"
        )
    ).scalar()
    assert grid == G3


# ----------------------------------------------------------------------------- the property

_OPS = st.one_of(
    st.tuples(st.just("move"), st.integers(1, 9), st.integers(0, 3)),
    st.tuples(st.just("split"), st.integers(0, 5), st.sampled_from("vh"), st.integers(1, 2)),
    st.tuples(st.just("merge"), st.integers(0, 5), st.integers(0, 5)),
    st.tuples(st.just("undo")),
    st.tuples(st.just("redo")),
    st.tuples(st.just("revert"), st.integers(1, 6)),
)


def _grids(conn: Connection, community: str | None = None) -> list[str]:
    return list(
        conn.execute(
            text(
                "SELECT g.code FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
                "WHERE l.code = 'unified' AND starts_with(g.code, :c) ORDER BY g.code"
            ),
            {"c": community or DISTRICT},
        ).scalars()
    )


def _version(conn: Connection) -> int:
    return int(
        conn.execute(text("SELECT version FROM grid_layer WHERE code = 'unified'")).scalar_one()
    )


def _line(axis: str, k: int) -> dict[str, Any]:
    if axis == "v":
        x = X0 + k * STEP
        return {"type": "LineString", "coordinates": [[x, Y0 - STEP / 5], [x, Y0 + 3.2 * STEP]]}
    y = Y0 + k * STEP
    return {"type": "LineString", "coordinates": [[X0 - STEP / 5, y], [X0 + 3.2 * STEP, y]]}


def _step(conn: Connection, settings: Settings, op: tuple[Any, ...], first: int) -> None:
    options = EditOptions(None, confirm=True)
    grids = _grids(conn)
    kind = op[0]
    if kind == "move":
        unit = unit_code(op[1])
        mine = _grids(conn, unit[:12])
        target = ([*mine, "new"])[op[2] % (len(mine) + 1)]
        editing.move_units(
            conn,
            "unified",
            [MoveGroup([unit], target)],
            options,
            settings,
            access=Access.system(ACTOR),
        )
    elif kind == "split":
        code = grids[op[1] % len(grids)]
        editing.split_grid(
            conn,
            "unified",
            code,
            _line(op[2], op[3]),
            options,
            settings,
            access=Access.system(ACTOR),
        )
    elif kind == "merge":
        a, b = grids[op[1] % len(grids)], grids[op[2] % len(grids)]
        editing.merge_grids(conn, "unified", a, b, options, settings, access=Access.system(ACTOR))
    elif kind in ("undo", "redo"):
        getattr(editing, kind)(conn, "unified", settings, access=Access.system(ACTOR))
    else:
        to = max(first, _version(conn) - op[1])
        editing.revert(conn, "unified", to, settings, access=Access.system(ACTOR))


@hsettings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(_OPS, min_size=1, max_size=8))
def test_every_edit_sequence_keeps_incidents_on_their_units_grid(
    conn: Connection, settings: Settings, client: TestClient, ops: list[tuple[Any, ...]]
) -> None:
    example = conn.begin_nested()
    try:
        add_incidents(conn)
        first = _version(conn)
        for op in ops:
            # A refused edit changes nothing; the links must hold all the same.
            with contextlib.suppress(GridmapError):
                _step(conn, settings, op, first)
            assert_links(conn)
        assert_links(conn, client)
    finally:
        example.rollback()


@pytest.mark.parametrize("grid", [G1, G2, G3])
def test_incidents_by_grid_use_the_index(conn: Connection, grid: str) -> None:
    """``GET /incidents?grid=`` filters on incident.grid_id, which is indexed."""
    plan = conn.execute(
        text(
            "EXPLAIN SELECT count(*) FROM incident i WHERE i.grid_id = (SELECT fg.id FROM grid fg "
            "JOIN grid_layer fl ON fl.id = fg.layer_id WHERE fl.code = 'unified' "
            "AND fg.code = :g)"
        ),
        {"g": grid},
    ).scalars()
    assert "ix_incident_grid_id" in "\n".join(plan)
