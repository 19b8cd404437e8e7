"""Roles and scopes over HTTP: for every role, an allowed and a forbidden request per endpoint
group (a table), and the scope leaks a careless query would open.

The tiny city's users (see conftest.TEST_USERS) work in district 369901; what lies outside
their reach is the sample city (361002 临川区, 361003 东乡区), or, for the field worker, the
grid next to theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text

from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, DISTRICT, STREET, unit_code

A001, A002, B001 = f"{COMMUNITY_A}001", f"{COMMUNITY_A}002", f"{COMMUNITY_B}001"
A902 = f"{COMMUNITY_A}902"
LC_DISTRICT, LC_GRID, LC_UNIT = "361002", "361002001001001", "361002001001U001"
ROLES = ("admin", "planner", "county", "department", "party", "worker")
GROUPS = ("areas", "layers", "units", "grid edits", "optimizer", "users", "audit", "self")
#: Groups a role has no right in at all: it gets only forbidden requests there.
NO_RIGHT = {
    "grid edits": {"county", "department", "party", "worker"},
    "optimizer": {"planner", "department", "party", "worker"},
    "users": {"planner", "county", "department", "party", "worker"},
    "audit": {"planner", "county", "department", "party", "worker"},
}
RENAME = {"name": "新的网格名称"}
WRONG_OLD = {"old_password": "not my password", "new_password": "whatever it is 1"}


@dataclass(frozen=True)
class Case:
    role: str
    group: str
    allowed: bool
    method: str
    path: str
    status: int
    body: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        return f"{self.role}-{self.group}-{'allowed' if self.allowed else 'forbidden'}-{self.path}"


def _cases() -> list[Case]:
    cases: list[Case] = []
    for role in ROLES:
        worker = role == "worker"

        def add(group: str, allowed: bool, method: str, path: str, status: int, body=None) -> None:
            cases.append(Case(role, group, allowed, method, path, status, body))  # noqa: B023

        add("areas", True, "GET", f"/districts/{DISTRICT}", 200)
        add("areas", False, "GET", f"/districts/{LC_DISTRICT}", 403)
        add("layers", True, "GET", f"/layers/unified/grids/{A001}", 200)
        add("layers", False, "GET", f"/layers/unified/grids/{A002 if worker else LC_GRID}", 403)
        add("units", True, "GET", f"/units/{unit_code(1)}", 200)
        add("units", False, "GET", f"/units/{unit_code(4) if worker else LC_UNIT}", 403)
        if role in NO_RIGHT["grid edits"]:
            add("grid edits", False, "PATCH", f"/layers/unified/grids/{A001}", 403, RENAME)
        else:
            add("grid edits", True, "PATCH", f"/layers/unified/grids/{A001}", 200, RENAME)
            add("grid edits", False, "PATCH", f"/layers/unified/grids/{LC_GRID}", 403, RENAME)
        run = {"name": "方案", "area": [DISTRICT], "target_count": 2}
        if role in NO_RIGHT["optimizer"]:
            add("optimizer", False, "POST", "/scenarios", 403, run)
        else:
            add("optimizer", True, "POST", "/scenarios", 202, run)
            add("optimizer", False, "POST", "/scenarios", 403, run | {"area": [LC_DISTRICT]})
        if role == "admin":
            add("users", True, "GET", "/users", 200)
            add("users", True, "GET", "/users/t-worker", 200)
            add("users", False, "GET", "/users/lc-planner", 403)  # outside the admin's city
            add("users", False, "PATCH", "/users/t-admin", 403, {"role": "planner"})  # oneself
            add("audit", True, "GET", "/audit", 200)
            add("audit", True, "GET", "/audit.csv", 200)
            add("audit", False, "DELETE", "/audit", 405)  # append-only: no way to delete
        else:
            add("users", False, "GET", "/users", 403)
            add("users", False, "PATCH", "/users/t-worker", 403, {"active": False})
            add("audit", False, "GET", "/audit", 403)
            add("audit", False, "GET", "/audit.csv", 403)
        add("self", True, "GET", "/auth/me", 200)
        add("self", False, "POST", "/auth/password", 403, WRONG_OLD)
    return cases


CASES = _cases()


def test_the_table_covers_every_role_and_group() -> None:
    for role in ROLES:
        for group in GROUPS:
            kinds = {c.allowed for c in CASES if (c.role, c.group) == (role, group)}
            assert False in kinds, (role, group)
            assert (True in kinds) != (role in NO_RIGHT.get(group, set())), (role, group)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_role_table(client_as, case: Case) -> None:
    client = client_as(f"t-{case.role}")
    r = client.request(case.method, case.path, json=case.body)
    assert r.status_code == case.status, r.text
    if case.status in (401, 403):
        assert r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("group", GROUPS)
def test_strangers_get_401_everywhere(anon, group: str) -> None:
    case = next(c for c in CASES if c.group == group and c.role == "admin")
    assert anon.request(case.method, case.path, json=case.body).status_code == 401


# ----------------------------------------------------------------------------- scope leaks


def ids(body: dict) -> list[str]:
    return [f["id"] for f in body["features"]]


def first_unified_grid(conn, district: str) -> str:
    return conn.execute(
        text(
            "SELECT g.code FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
            "WHERE l.code = 'unified' AND starts_with(g.code, :d) ORDER BY g.code LIMIT 1"
        ),
        {"d": district},
    ).scalar_one()


def test_a_planner_of_one_district_cannot_edit_the_other(client_as, conn) -> None:
    planner = client_as("lc-planner")  # 临川区 361002
    theirs, other = first_unified_grid(conn, "361002"), first_unified_grid(conn, "361003")
    r = planner.patch(f"/layers/unified/grids/{other}", json=RENAME)
    assert r.status_code == 403 and "not wholly inside your scope" in r.json()["detail"]
    assert planner.get(f"/layers/unified/grids/{other}").status_code == 403
    r = planner.patch(f"/layers/unified/grids/{theirs}", json=RENAME)
    assert r.status_code == 200 and r.json() == {"layer": "unified", "code": theirs} | RENAME
    renamed = planner.get(f"/layers/unified/grids/{theirs}").json()
    assert renamed["properties"]["name"] == RENAME["name"]


def test_a_district_planner_sees_their_district_only(client_as, conn) -> None:
    planner = client_as("lc-planner")
    communities = ids(planner.get("/communities").json())
    expected = conn.execute(
        text("SELECT count(*) FROM community WHERE starts_with(code, '361002')")
    ).scalar_one()
    assert len(communities) == expected and all(c.startswith("361002") for c in communities)
    assert ids(planner.get("/districts").json()) == ["361002"]
    grids = planner.get("/layers/unified/grids", params={"limit": 20000}).json()
    mine = conn.execute(
        text(
            "SELECT count(*) FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
            "WHERE l.code = 'unified' AND starts_with(g.code, '361002')"
        )
    ).scalar_one()
    assert grids["numberMatched"] == mine == len(grids["features"])
    assert all(code.startswith("361002") for code in ids(grids))
    layers = {layer["code"]: layer for layer in planner.get("/layers").json()}
    assert layers["unified"]["grid_count"] == mine
    assert planner.get("/streets", params={"district": "361003"}).status_code == 403
    other_community = conn.execute(
        text("SELECT min(code) FROM community WHERE starts_with(code, '361003')")
    ).scalar_one()
    r = planner.get("/layers/unified/grids", params={"community": other_community})
    assert r.status_code == 403


def test_a_field_worker_sees_their_own_grid_and_nothing_of_the_others(client_as) -> None:
    worker = client_as("t-worker")
    assert ids(worker.get("/layers/unified/grids").json()) == [A001]
    layers = {layer["code"]: layer for layer in worker.get("/layers").json()}
    assert layers["unified"]["grid_count"] == 1 and layers["zongzhi"]["grid_count"] == 0
    assert worker.get("/layers/zongzhi/grids").json()["numberMatched"] == 0
    # Outlines: their own community, street and district, for orientation; no other community.
    assert ids(worker.get("/districts").json()) == [DISTRICT]
    assert ids(worker.get("/streets").json()) == [STREET]
    assert ids(worker.get("/communities").json()) == [COMMUNITY_A]
    assert worker.get(f"/communities/{COMMUNITY_B}").status_code == 403
    assert worker.get("/layers/unified/grids", params={"community": COMMUNITY_B}).status_code == 403
    unit = worker.get(f"/units/{unit_code(1)}").json()
    assert unit["properties"]["grids"] == {"unified": A001}  # not the 综治 grid's code
    detail = worker.get(f"/layers/unified/grids/{A001}").json()
    assert [u["code"] for u in detail["properties"]["units"]] == [unit_code(1), unit_code(2)]


def test_a_grid_crossing_the_scope_shows_only_the_units_inside(client_as) -> None:
    party = client_as("t-party")  # community A
    # The 综治 grid A902 holds units of A (2, 5, 8) and of B (3, 6, 9): reached, but B's units
    # are not listed to somebody of A.
    body = party.get(f"/layers/zongzhi/grids/{A902}").json()
    assert [u["code"] for u in body["properties"]["units"]] == [unit_code(n) for n in (2, 5, 8)]
    assert party.get(f"/layers/unified/grids/{B001}").status_code == 403
    department = client_as("t-department")  # the street: both communities
    assert len(department.get("/communities").json()["features"]) == 2
