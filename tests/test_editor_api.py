"""The grid editor over the API, on the tiny city (tests/tiny_city.py)::

    row 2   U7  U8 | U9        community A (甲社区) = the two left columns
    row 1   U4  U5 | U6        community B (乙村)   = the right column
    row 0   U1  U2 | U3        Un holds 100·n households

    unified: G1 = A001 {U1, U2}, G2 = A002 {U4, U5, U7, U8}, G3 = B001 {U3, U6, U9}

Every test asserts what a planner cares about — which grid each unit is in, the grid's outline
(compared with the union of its blocks), its workload, the layer version, the history and the
audit row — and, for refused edits, that nothing changed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely import union_all
from sqlalchemy import Connection, text

from gis import editing
from gis.access import Access
from gis.editing import EditOptions, MoveGroup
from gis.errors import Forbidden
from gis.infra.settings import Settings
from gis.party.common import today as party_today
from tests.conftest import ClientAs
from tests.party_city import insert_assignment, seed_members
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, STEP, X0, Y0, cell, unit_code

G1, G2, G3 = f"{COMMUNITY_A}001", f"{COMMUNITY_A}002", f"{COMMUNITY_B}001"
ORIGINAL = {G1: {1, 2}, G2: {4, 5, 7, 8}, G3: {3, 6, 9}}


def plan(conn: Connection) -> dict[str, set[int]]:
    """The tiny city's unified plan: grid code → block numbers."""
    rows = conn.execute(
        text(
            "SELECT g.code, u.code FROM grid_unit gu JOIN grid g ON g.id = gu.grid_id "
            "JOIN grid_layer l ON l.id = gu.layer_id JOIN base_unit u ON u.id = gu.unit_id "
            "WHERE l.code = 'unified' AND starts_with(g.code, '369901')"
        )
    ).all()
    out: dict[str, set[int]] = {}
    for grid, unit in rows:
        out.setdefault(grid, set()).add(int(unit[-3:]))
    return out


def grid_row(conn: Connection, code: str) -> Any:
    return conn.execute(
        text(
            "SELECT g.*, ST_AsText(g.geom) AS wkt FROM grid g JOIN grid_layer l "
            "ON l.id = g.layer_id WHERE l.code = 'unified' AND g.code = :c"
        ),
        {"c": code},
    ).first()


def same_shape(conn: Connection, code: str, blocks: set[int]) -> bool:
    """Whether the grid's outline is exactly the union of those blocks."""
    expected = union_all([cell(n) for n in blocks]).wkt
    return bool(
        conn.execute(
            text(
                "SELECT ST_Equals(g.geom, ST_GeomFromText(:wkt, 4326)) FROM grid g "
                "JOIN grid_layer l ON l.id = g.layer_id WHERE l.code = 'unified' AND g.code = :c"
            ),
            {"wkt": expected, "c": code},
        ).scalar_one()
    )


def version(conn: Connection, layer: str = "unified") -> int:
    return int(
        conn.execute(text("SELECT version FROM grid_layer WHERE code = :c"), {"c": layer}).scalar()
    )


def units(*blocks: int) -> list[str]:
    return [unit_code(n) for n in blocks]


def post(client: TestClient, path: str, body: dict[str, Any], status: int = 200) -> Any:
    response = client.post(path, json=body)
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def planner(client_as: ClientAs) -> TestClient:
    return client_as("t-planner")


# ----------------------------------------------------------------------------- moves


def test_move_units_rederives_geometry_totals_and_records_it(
    planner: TestClient, conn: Connection
) -> None:
    v0 = version(conn)
    body = {"units": units(4), "to": G1, "version": v0}
    preview = post(planner, "/layers/unified/edits", body | {"dry_run": True})
    assert preview["applied"] is False and preview["version"] == v0
    grids = {g["code"]: g for g in preview["grids"]}
    assert grids[G1]["before"]["households"] == 300 and grids[G1]["after"]["households"] == 700
    assert grids[G2]["before"]["households"] == 2400 and grids[G2]["after"]["households"] == 2000
    assert grids[G1]["after"]["band"] == "over" and grids[G1]["before"]["band"] == "in"
    assert grids[G1]["after"]["pieces"] == 1 and preview["splits"] == []
    outlines = {f["id"]: f for f in preview["preview"]["features"]}
    assert set(outlines) == {G1, G2} and outlines[G1]["geometry"]["type"] == "MultiPolygon"
    # A preview changes nothing.
    assert plan(conn) == ORIGINAL and version(conn) == v0

    done = post(planner, "/layers/unified/edits", body)
    assert done["applied"] and done["version"] == v0 + 1 and done["moved"] == 1
    assert done["moves"] == [{"unit": unit_code(4), "from": G2, "to": G1}]
    assert plan(conn) == {G1: {1, 2, 4}, G2: {5, 7, 8}, G3: {3, 6, 9}}
    assert same_shape(conn, G1, {1, 2, 4}) and same_shape(conn, G2, {5, 7, 8})
    g1 = grid_row(conn, G1)
    assert (g1.households, g1.unit_count, g1.workload) == (700, 3, 700.0)
    assert version(conn) == v0 + 1

    history = planner.get("/layers/unified/history").json()
    latest = history["items"][0]
    assert latest["version"] == v0 + 1 and latest["kind"] == "move"
    assert latest["actor"] == "t-planner" and latest["moved"] == 1
    assert G2 in latest["summary"] and G1 in latest["summary"]
    detail = planner.get(f"/layers/unified/history/{v0 + 1}").json()
    assert detail["moves"] == [{"unit": unit_code(4), "from": G2, "to": G1}]

    row = conn.execute(
        text(
            "SELECT actor, before, after FROM audit_log WHERE action = 'layer.move' "
            "AND entity_id = 'unified' ORDER BY id DESC LIMIT 1"
        )
    ).one()
    assert row.actor == "t-planner"
    assert row.before == {"version": v0} and row.after["version"] == v0 + 1
    assert row.after["moves"] == [{"unit": unit_code(4), "from": G2, "to": G1}]


def test_a_unit_never_joins_a_grid_of_another_community(
    planner: TestClient, conn: Connection
) -> None:
    v0 = version(conn)
    answer = post(
        planner, "/layers/unified/edits", {"units": units(3), "to": G1, "version": v0}, 409
    )
    assert answer["title"] == "跨越社区边界 Crosses a community boundary"
    for name in (COMMUNITY_A, COMMUNITY_B, "甲社区", "乙村", unit_code(3)):
        assert name in answer["detail"]
    # A new grid from units of two communities is refused too.
    mixed = post(
        planner, "/layers/unified/edits", {"units": units(2, 3), "to": "new", "version": v0}, 409
    )
    assert COMMUNITY_A in mixed["detail"] and COMMUNITY_B in mixed["detail"]
    # Merging grids of two communities as well.
    merge = post(planner, f"/layers/unified/grids/{G1}/merge", {"other": G3, "version": v0}, 409)
    assert "乙村" in merge["detail"] and "甲社区" in merge["detail"]
    assert plan(conn) == ORIGINAL and version(conn) == v0


def test_locked_grids_keep_their_units(planner: TestClient, conn: Connection) -> None:
    v0 = version(conn)
    locked = post(planner, f"/layers/unified/grids/{G1}/lock", {"version": v0})
    assert locked["version"] == v0 + 1 and grid_row(conn, G1).locked
    out = post(
        planner, "/layers/unified/edits", {"units": units(1), "to": G2, "version": v0 + 1}, 409
    )
    assert out["title"] == "网格已锁定 Grid is locked" and G1 in out["detail"]
    into = post(
        planner, "/layers/unified/edits", {"units": units(4), "to": G1, "version": v0 + 1}, 409
    )
    assert G1 in into["detail"]
    merge = post(planner, f"/layers/unified/grids/{G2}/merge", {"other": G1}, 409)
    assert "locked" in merge["detail"]
    assert plan(conn) == ORIGINAL and version(conn) == v0 + 1
    # Locking twice says so; unlocking frees it.
    post(planner, f"/layers/unified/grids/{G1}/lock", {}, 409)
    post(planner, f"/layers/unified/grids/{G1}/unlock", {"version": v0 + 1})
    post(planner, "/layers/unified/edits", {"units": units(1), "to": G2, "version": v0 + 2})
    assert plan(conn)[G2] == {1, 4, 5, 7, 8}


def test_new_grid_gets_the_next_code_of_its_community(
    planner: TestClient, conn: Connection
) -> None:
    done = post(planner, "/layers/unified/edits", {"units": units(7, 8), "to": "new"})
    new = f"{COMMUNITY_A}003"
    assert done["kind"] == "new" and plan(conn)[new] == {7, 8}
    assert {g["code"]: g["status"] for g in done["grids"]}[new] == "created"
    row = grid_row(conn, new)
    assert row.name == "甲社区第3网格" and row.households == 1500
    assert same_shape(conn, new, {7, 8}) and same_shape(conn, G2, {4, 5})


def test_a_move_that_cuts_a_grid_in_two_needs_a_confirm(
    planner: TestClient, conn: Connection
) -> None:
    body = {"units": units(6), "to": "new"}  # G3 = U3 U6 U9 in a column: U3 and U9 fall apart
    preview = post(planner, "/layers/unified/edits", body | {"dry_run": True})
    assert preview["splits"] == [G3] and preview["needs_confirm"] is True
    after = {g["code"]: g for g in preview["grids"]}[G3]["after"]
    assert after["pieces"] == 2
    refused = post(planner, "/layers/unified/edits", body, 409)
    assert (
        refused["title"] == "编辑会拆分网格 Edit splits a grid" and "confirm" in refused["detail"]
    )
    assert plan(conn) == ORIGINAL
    post(planner, "/layers/unified/edits", body | {"confirm": True})
    assert plan(conn)[G3] == {3, 9}
    assert (
        conn.execute(
            text("SELECT ST_NumGeometries(geom) FROM grid WHERE code = :c"), {"c": G3}
        ).scalar()
        == 2
    )


def test_a_setting_refuses_edits_that_cut_a_grid(conn: Connection, settings: Settings) -> None:
    strict = settings.model_copy(update={"edit_split_grids": "refuse"})
    groups = [MoveGroup(units(6), "new")]
    preview = editing.move_units(
        conn,
        "unified",
        groups,
        EditOptions(None, dry_run=True),
        strict,
        access=Access.system("system:tests"),
    )
    assert preview.refused and not preview.needs_confirm
    with pytest.raises(editing.SplitsGrid, match="refuses"):
        editing.move_units(
            conn,
            "unified",
            groups,
            EditOptions(None, confirm=True),
            strict,
            access=Access.system("system:tests"),
        )
    assert plan(conn) == ORIGINAL


# ----------------------------------------------------------------------------- split, merge


def test_split_a_grid_along_a_line(planner: TestClient, conn: Connection) -> None:
    v0 = version(conn)
    # A line down the middle of G2 (between the columns), a little past its top and bottom.
    x = X0 + STEP
    line = {"type": "LineString", "coordinates": [[x, Y0 + 0.8 * STEP], [x, Y0 + 3.2 * STEP]]}
    preview = post(planner, f"/layers/unified/grids/{G2}/split", {"line": line, "dry_run": True})
    assert plan(conn) == ORIGINAL and preview["kind"] == "split"
    done = post(planner, f"/layers/unified/grids/{G2}/split", {"line": line, "version": v0})
    new = f"{COMMUNITY_A}003"
    # U5 + U8 (1,300 households) outweigh U4 + U7 (1,100): G2 keeps them, a new grid the rest.
    assert plan(conn) == {G1: {1, 2}, G2: {5, 8}, new: {4, 7}, G3: {3, 6, 9}}
    assert same_shape(conn, G2, {5, 8}) and same_shape(conn, new, {4, 7})
    assert done["version"] == v0 + 1


def test_a_slanted_split_line_snaps_to_whole_units(planner: TestClient, conn: Connection) -> None:
    # From the bottom-left of U4 to the top-right of U8, crossing U4, U5 and U8 on the slant.
    line = {
        "type": "LineString",
        "coordinates": [
            [X0 - 0.2 * STEP, Y0 + 0.9 * STEP],
            [X0 + 2.1 * STEP, Y0 + 3.1 * STEP],
        ],
    }
    post(planner, f"/layers/unified/grids/{G2}/split", {"line": line})
    after = plan(conn)
    new = f"{COMMUNITY_A}003"
    assert after[G2] | after[new] == {4, 5, 7, 8} and not after[G2] & after[new]
    assert after[new] and after[G2]
    assert same_shape(conn, G2, after[G2]) and same_shape(conn, new, after[new])


def test_a_line_that_misses_the_grid_is_refused(planner: TestClient, conn: Connection) -> None:
    line = {"type": "LineString", "coordinates": [[X0 - 1, Y0 - 1], [X0 - 0.9, Y0 - 1]]}
    answer = post(planner, f"/layers/unified/grids/{G2}/split", {"line": line}, 422)
    assert "one side" in answer["detail"]
    bad = post(
        planner,
        f"/layers/unified/grids/{G2}/split",
        {"line": {"type": "Point", "coordinates": [X0, Y0]}},
        422,
    )
    assert "LineString" in bad["detail"]
    assert plan(conn) == ORIGINAL


def test_merge_two_neighbours(planner: TestClient, conn: Connection) -> None:
    v0 = version(conn)
    done = post(planner, f"/layers/unified/grids/{G1}/merge", {"other": G2, "version": v0})
    assert plan(conn) == {G1: {1, 2, 4, 5, 7, 8}, G3: {3, 6, 9}}
    assert grid_row(conn, G2) is None  # merged away
    assert same_shape(conn, G1, {1, 2, 4, 5, 7, 8}) and grid_row(conn, G1).households == 2700
    assert {g["code"]: g["status"] for g in done["grids"]} == {G1: "changed", G2: "deleted"}


def test_only_neighbours_merge(planner: TestClient, conn: Connection) -> None:
    post(planner, "/layers/unified/edits", {"units": units(7), "to": "new"})
    lonely = f"{COMMUNITY_A}003"  # U7, top left: no boundary with G1 at the bottom
    answer = post(planner, f"/layers/unified/grids/{G1}/merge", {"other": lonely}, 422)
    assert "share a boundary" in answer["detail"]


def test_rename_and_recode(planner: TestClient, conn: Connection) -> None:
    new_code = f"{COMMUNITY_A}011"
    post(planner, f"/layers/unified/grids/{G1}/rename", {"name": "河东网格", "code": new_code})
    row = grid_row(conn, new_code)
    assert row.name == "河东网格" and grid_row(conn, G1) is None
    wrong = post(planner, f"/layers/unified/grids/{G2}/rename", {"code": f"{COMMUNITY_B}009"}, 422)
    assert COMMUNITY_A in wrong["detail"]
    taken = post(planner, f"/layers/unified/grids/{G2}/rename", {"code": new_code}, 409)
    assert "already has" in taken["detail"]
    post(planner, "/layers/unified/undo", {})
    assert grid_row(conn, G1).name == "甲社区第1网格"


# ----------------------------------------------------------------------------- versions


def test_an_edit_on_a_stale_version_is_refused_with_what_changed(
    client_as: ClientAs, conn: Connection
) -> None:
    v0 = version(conn)
    first, second = client_as("t-planner"), client_as("root")
    post(first, "/layers/unified/edits", {"units": units(4), "to": G1, "version": v0})
    answer = post(
        second, "/layers/unified/edits", {"units": units(5), "to": G1, "version": v0}, 409
    )
    assert answer["title"] == "图层版本已过期 Stale layer version"
    assert answer["current_version"] == v0 + 1 and answer["your_version"] == v0
    assert f"v{v0 + 1} move by t-planner" in answer["detail"] and G1 in answer["detail"]
    assert plan(conn)[G1] == {1, 2, 4}  # the second edit changed nothing
    post(second, "/layers/unified/edits", {"units": units(5), "to": G1, "version": v0 + 1})
    assert plan(conn)[G1] == {1, 2, 4, 5}


def test_undo_and_redo(planner: TestClient, conn: Connection) -> None:
    v0 = version(conn)
    post(planner, "/layers/unified/edits", {"units": units(4), "to": G1})
    post(planner, "/layers/unified/edits", {"units": units(7, 8), "to": "new"})
    new = f"{COMMUNITY_A}003"
    assert plan(conn) == {G1: {1, 2, 4}, G2: {5}, new: {7, 8}, G3: {3, 6, 9}}

    undone = post(planner, "/layers/unified/undo", {"version": v0 + 2})
    assert undone["kind"] == "undo" and undone["version"] == v0 + 3
    assert plan(conn) == {G1: {1, 2, 4}, G2: {5, 7, 8}, G3: {3, 6, 9}}
    assert grid_row(conn, new) is None
    post(planner, "/layers/unified/undo", {})
    assert plan(conn) == ORIGINAL and same_shape(conn, G2, {4, 5, 7, 8})
    history = planner.get("/layers/unified/history").json()
    assert history["can_undo"] is None and history["can_redo"]["version"] == v0 + 1

    post(planner, "/layers/unified/redo", {})
    assert plan(conn) == {G1: {1, 2, 4}, G2: {5, 7, 8}, G3: {3, 6, 9}}
    post(planner, "/layers/unified/redo", {})
    assert plan(conn) == {G1: {1, 2, 4}, G2: {5}, new: {7, 8}, G3: {3, 6, 9}}
    assert same_shape(conn, new, {7, 8})
    assert post(planner, "/layers/unified/redo", {}, 409)["detail"].startswith(
        "图层 'unified' 没有可重做的操作 (nothing to redo"
    )
    # Undo of the redo, then a new edit: the redo stack is gone.
    post(planner, "/layers/unified/undo", {})
    post(planner, "/layers/unified/edits", {"units": units(2), "to": G2})
    post(planner, "/layers/unified/redo", {}, 409)
    assert version(conn) == v0 + 8


def test_undo_is_per_planner_and_refuses_what_others_moved_since(
    client_as: ClientAs, conn: Connection
) -> None:
    mine, theirs = client_as("t-planner"), client_as("root")
    post(mine, "/layers/unified/edits", {"units": units(4), "to": G1})
    post(theirs, "/layers/unified/edits", {"units": units(4), "to": G2})
    assert post(theirs, "/layers/unified/redo", {}, 409)
    answer = post(mine, "/layers/unified/undo", {}, 409)
    assert unit_code(4) in answer["detail"] and "moved since" in answer["detail"]
    # root's own undo is theirs alone.
    post(theirs, "/layers/unified/undo", {})
    assert plan(conn)[G1] == {1, 2, 4}


def test_revert_to_an_earlier_version(planner: TestClient, conn: Connection) -> None:
    v0 = version(conn)
    post(planner, "/layers/unified/edits", {"units": units(4), "to": G1})
    post(planner, "/layers/unified/edits", {"units": units(7, 8), "to": "new"})
    post(planner, f"/layers/unified/grids/{G2}/rename", {"name": "小网格"})
    post(planner, f"/layers/unified/grids/{G1}/lock", {})
    post(planner, f"/layers/unified/grids/{G3}/split", {"line": _horizontal(1.5)})
    assert version(conn) == v0 + 5

    preview = post(planner, "/layers/unified/revert", {"to_version": v0, "dry_run": True})
    assert preview["applied"] is False and version(conn) == v0 + 5
    middle = post(planner, "/layers/unified/revert", {"to_version": v0 + 2, "version": v0 + 5})
    assert middle["kind"] == "revert" and middle["version"] == v0 + 6
    assert plan(conn) == {G1: {1, 2, 4}, G2: {5}, f"{COMMUNITY_A}003": {7, 8}, G3: {3, 6, 9}}
    assert not grid_row(conn, G1).locked and grid_row(conn, G2).name == "甲社区第2网格"

    post(planner, "/layers/unified/revert", {"to_version": v0})
    assert plan(conn) == ORIGINAL
    for code, blocks in ORIGINAL.items():
        assert same_shape(conn, code, blocks)
    assert grid_row(conn, f"{COMMUNITY_A}003") is None
    items = planner.get("/layers/unified/history").json()["items"]
    assert [i["kind"] for i in items[:2]] == ["revert", "revert"]
    # Already there: nothing to revert.
    post(planner, "/layers/unified/revert", {"to_version": v0}, 409)
    # Back to the future: revert the revert.
    post(planner, "/layers/unified/revert", {"to_version": v0 + 5})
    assert grid_row(conn, G1).locked and plan(conn)[G3] != {3, 6, 9}


def _horizontal(rows: float) -> dict[str, Any]:
    y = Y0 + rows * STEP
    return {"type": "LineString", "coordinates": [[X0 + 1.9 * STEP, y], [X0 + 3.1 * STEP, y]]}


# ----------------------------------------------------------------------------- who may


@pytest.mark.parametrize("username", ["t-county", "t-worker", "t-department", "t-party"])
def test_roles_without_the_edit_permission_are_refused(
    client_as: ClientAs, conn: Connection, username: str
) -> None:
    client = client_as(username)
    assert (
        client.post("/layers/unified/edits", json={"units": units(4), "to": G1}).status_code == 403
    )
    assert client.get("/layers/unified/history").status_code == 403
    assert client.post("/layers/unified/undo", json={}).status_code == 403
    assert client.post(f"/layers/unified/grids/{G1}/lock", json={}).status_code == 403
    bbox = f"{X0},{Y0},{X0 + 3 * STEP},{Y0 + 3 * STEP}"
    assert client.get("/layers/unified/units", params={"bbox": bbox}).status_code == 403
    page = client.get("/edit")
    assert page.status_code == 403 and "Not allowed to edit" in page.text
    assert plan(conn) == ORIGINAL


def test_anonymous_is_sent_to_log_in(anon: TestClient) -> None:
    assert anon.post("/layers/unified/edits", json={"units": units(4), "to": G1}).status_code == 401
    page = anon.get("/edit", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("login?next=")


def test_a_planner_of_another_district_may_not_edit_here(
    client_as: ClientAs, conn: Connection
) -> None:
    other = client_as("lc-planner")  # plans 361002 of the sample city
    v0 = version(conn)
    answer = post(other, "/layers/unified/edits", {"units": units(4), "to": G1}, 403)
    assert G2 in answer["detail"] or G1 in answer["detail"]
    post(other, f"/layers/unified/grids/{G1}/lock", {}, 403)
    post(other, f"/layers/unified/grids/{G1}/merge", {"other": G2}, 403)
    bbox = f"{X0},{Y0},{X0 + 3 * STEP},{Y0 + 3 * STEP}"
    seen = other.get("/layers/unified/units", params={"bbox": bbox}).json()
    assert seen["features"] == []
    grids = other.get("/layers/unified/editor/grids", params={"bbox": bbox}).json()
    assert grids["features"] == []
    lasso = {"type": "Polygon", "coordinates": [[[X0, Y0], [X0 + 0.003, Y0], [X0, Y0 + 0.003]]]}
    assert post(other, "/layers/unified/select", {"polygon": lasso})["units"] == []
    # Nor do they see the tiny city's edits, nor may they revert past them.
    post(client_as("t-planner"), "/layers/unified/edits", {"units": units(4), "to": G1})
    history = other.get("/layers/unified/history").json()
    assert all(not i["summary"].count("369901") for i in history["items"])
    assert post(other, "/layers/unified/revert", {"to_version": v0}, 403)
    assert plan(conn)[G1] == {1, 2, 4} and version(conn) == v0 + 1


def test_a_planner_may_not_undo_into_someone_elses_scope(conn: Connection) -> None:
    """The domain check, without HTTP: a scope that does not hold the grids refuses."""
    from gis.accounts import get_user

    user = get_user(conn, "lc-planner")
    with pytest.raises(Forbidden):
        editing.move_units(
            conn,
            "unified",
            [MoveGroup(units(4), G1)],
            EditOptions(None),
            Settings(),
            access=Access.of(user),
        )


# ----------------------------------------------------------------------------- bad input


def test_bad_requests_name_the_problem(planner: TestClient, conn: Connection) -> None:
    missing = post(planner, "/layers/unified/edits", {"units": ["nope"], "to": G1}, 404)
    assert "nope" in missing["detail"]
    post(planner, "/layers/unified/edits", {"units": units(4), "to": f"{COMMUNITY_A}999"}, 404)
    post(planner, "/layers/nowhere/edits", {"units": units(4), "to": G1}, 404)
    post(planner, "/layers/unified/edits", {"to": G1}, 422)
    same = post(planner, "/layers/unified/edits", {"units": units(4), "to": G2}, 422)
    assert "already" in same["detail"]
    dup = post(planner, "/layers/unified/edits", {"units": units(4, 4), "to": G1}, 422)
    assert "twice" in dup["detail"]
    dept = post(
        planner, "/layers/zongzhi/edits", {"units": units(1), "to": f"{COMMUNITY_A}902"}, 422
    )
    assert "departmental" in dept["detail"]
    post(planner, "/layers/unified/revert", {"to_version": 10_000}, 422)
    post(planner, f"/layers/unified/grids/{G1}/rename", {"code": "12"}, 422)
    assert plan(conn) == ORIGINAL


# ----------------------------------------------------------------------------- what the page reads


def test_units_and_grids_in_view(planner: TestClient) -> None:
    bbox = f"{X0},{Y0},{X0 + 3 * STEP},{Y0 + 3 * STEP}"
    seen = planner.get("/layers/unified/units", params={"bbox": bbox}).json()
    by_code = {f["properties"]["code"]: f["properties"] for f in seen["features"]}
    assert len(by_code) == 9 and seen["truncated"] is False
    assert by_code[unit_code(4)]["grid"] == G2 and by_code[unit_code(4)]["households"] == 400
    few = planner.get("/layers/unified/units", params={"bbox": bbox, "limit": 3}).json()
    assert few["truncated"] is True and few["features"] == [] and few["numberMatched"] == 9

    grids = planner.get("/layers/unified/editor/grids", params={"bbox": bbox}).json()
    props = {f["properties"]["code"]: f["properties"] for f in grids["features"]}
    assert set(props) >= {G1, G2, G3}
    assert props[G2]["workload"] == 2400 and props[G2]["band"] == "over"
    assert props[G1]["band"] == "in" and props[G1]["editable"] is True
    assert props[G1]["locked"] is False and grids["version"] >= 1


def test_lasso_snaps_to_whole_units(planner: TestClient) -> None:
    # All of U1, a third of U2, a sliver of U4: only U1 is more than half inside.
    x1, y1 = X0 + 1.33 * STEP, Y0 + 1.1 * STEP
    lasso = {
        "type": "Polygon",
        "coordinates": [[[X0 - 0.0001, Y0 - 0.0001], [x1, Y0 - 0.0001], [x1, y1], [X0, y1]]],
    }
    picked = post(planner, "/layers/unified/select", {"polygon": lasso})
    assert [u["code"] for u in picked["units"]] == [unit_code(1)]
    # A bow-tie (self-crossing) lasso is repaired, not refused.
    bow = {
        "type": "Polygon",
        "coordinates": [
            [
                [X0, Y0],
                [X0 + 3 * STEP, Y0 + 3 * STEP],
                [X0 + 3 * STEP, Y0],
                [X0, Y0 + 3 * STEP],
                [X0, Y0],
            ]
        ],
    }
    assert post(planner, "/layers/unified/select", {"polygon": bow})["units"]
    post(
        planner, "/layers/unified/select", {"polygon": {"type": "Polygon", "coordinates": []}}, 422
    )


def test_a_grid_left_empty_is_removed_and_undo_brings_it_back(
    planner: TestClient, conn: Connection
) -> None:
    done = post(planner, "/layers/unified/edits", {"units": units(1, 2), "to": G2})
    assert {g["code"]: g["status"] for g in done["grids"]} == {G1: "deleted", G2: "changed"}
    assert grid_row(conn, G1) is None and plan(conn)[G2] == {1, 2, 4, 5, 7, 8}
    post(planner, "/layers/unified/undo", {})
    assert plan(conn) == ORIGINAL
    g1 = grid_row(conn, G1)
    assert g1.name == "甲社区第1网格" and g1.households == 300 and same_shape(conn, G1, {1, 2})


def test_a_merged_away_grid_keeps_the_record_of_who_led_it(
    planner: TestClient, client_as: ClientAs, conn: Connection
) -> None:
    """The grid goes; its current leader follows to the grid that took it over (G1 had none,
    see tests/test_leaders.py for two leaders), its past one goes to the archive with it."""
    people = seed_members(conn)
    member = next(iter(people.values())).code
    before = party_today() - dt.timedelta(days=400)
    past = insert_assignment(
        conn, member, "grid_leader", grid=G2, starts_on=before, ends_on=before + dt.timedelta(9)
    )
    current = insert_assignment(
        conn, member, "grid_leader", grid=G2, starts_on=before + dt.timedelta(10)
    )
    post(planner, f"/layers/unified/grids/{G1}/merge", {"other": G2, "version": version(conn)})
    assert grid_row(conn, G2) is None
    led = conn.execute(
        text(
            "SELECT a.id, g.code FROM assignment a JOIN grid g ON g.id = a.grid_id "
            "WHERE a.id = ANY(:ids)"
        ),
        {"ids": [past, current]},
    ).all()
    assert [tuple(r) for r in led] == [(current, G1)]
    kept = conn.execute(
        text(
            "SELECT id, role, layer_code, grid_code, starts_on, ends_on FROM assignment_archive "
            "WHERE id = ANY(:ids) ORDER BY id"
        ),
        {"ids": [past, current]},
    ).all()
    assert [tuple(r) for r in kept] == [
        (past, "grid_leader", "unified", G2, before, before + dt.timedelta(9)),
    ]
    # The party office reads the record back (names in full); a planner sees them masked; a
    # field worker, whose scope is one live grid, sees none.
    member_row = people[next(iter(people))]
    office = client_as("t-party").get(f"/party/archive/unified/{G2}")
    assert office.status_code == 200, office.text
    assert [a["id"] for a in office.json()] == [past]
    assert office.json()[0]["member"]["name"] == member_row.name
    masked = planner.get(f"/party/archive/unified/{G2}").json()[0]["member"]["name"]
    assert masked != member_row.name and masked[0] == member_row.name[0]
    assert client_as("t-worker").get(f"/party/archive/unified/{G2}").json() == []
