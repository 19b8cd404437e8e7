"""Access fails closed: one required, keyword-only ``access`` wherever scoped data are read or
written, no default that means "everything", and a user's access reaches only their scope.

The tiny city (tests/tiny_city.py): community A holds U1 U2 U4 U5 U7 U8 (grids G1, G2), community
B holds U3 U6 U9 (grid G3).
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import json
import pkgutil
from types import ModuleType

import pytest
from sqlalchemy import Connection, text

import gis
from gis.access import Access
from gis.accounts import Role, User
from gis.errors import Forbidden, Invalid
from gis.incidents.queries import list_incidents
from gis.incidents.reporting import create_incident
from gis.layers import grid_detail, grids_geojson
from gridmap_cli.access import system_access
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, DISTRICT, cell

BAND = (300.0, 500.0)
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
G1, G2, G3 = (f"{COMMUNITY_A}001", f"{COMMUNITY_A}002", f"{COMMUNITY_B}001")
#: Parameters that name who is asking or where they reach, in the shapes before Access.
OLD_SHAPES = ("scope", "viewer", "actor")
#: Functions that act ON a user or client and take that one's new scope (not the caller's).
NEW_SCOPE_OF_SOMEONE_ELSE = {("gis.accounts.users", "update_user", "scope")}


def gis_modules() -> list[ModuleType]:
    """Every module of gis/ (migrations are Alembic scripts run by Alembic, not imported)."""
    names = [
        info.name
        for info in pkgutil.walk_packages(gis.__path__, "gis.")
        if not info.name.startswith("gis.infra.migrations")
    ]
    return [importlib.import_module(name) for name in sorted(names)]


def public_functions() -> list[tuple[str, str, inspect.Signature]]:
    found = []
    for module in gis_modules():
        for name, obj in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(obj):
                continue
            if obj.__module__ != module.__name__:
                continue  # imported from elsewhere: checked where it is defined
            found.append((module.__name__, name, inspect.signature(obj)))
    return found


def test_the_walk_sees_the_functions_that_matter() -> None:
    names = {(m, f) for m, f, _ in public_functions()}
    assert ("gis.layers", "grids_geojson") in names
    assert ("gis.incidents.queries", "list_incidents") in names
    assert ("gis.exchange.importing", "import_file") in names
    assert len(names) > 150


def test_access_is_keyword_only_and_required_everywhere() -> None:
    wrong = [
        f"{module}.{name}: access is {param.kind.description}"
        + ("" if param.default is inspect.Parameter.empty else " with a default")
        for module, name, signature in public_functions()
        if (param := signature.parameters.get("access")) is not None
        and (
            param.kind is not inspect.Parameter.KEYWORD_ONLY
            or param.default is not inspect.Parameter.empty
        )
    ]
    assert wrong == []


def test_no_who_or_where_parameter_has_a_default() -> None:
    """A default scope, viewer or actor is how "the whole city" crept in: none may have one."""
    wrong = [
        f"{module}.{name}({param.name}={param.default!r})"
        for module, name, signature in public_functions()
        for param in signature.parameters.values()
        if param.name in OLD_SHAPES
        and param.default is not inspect.Parameter.empty
        and (module, name, param.name) not in NEW_SCOPE_OF_SOMEONE_ELSE
    ]
    assert wrong == []


def test_nothing_means_everything_any_more() -> None:
    import gis.accounts
    import gis.accounts.roles
    import gis.scope

    assert not hasattr(gis.scope, "EVERYTHING")
    assert not hasattr(gis.accounts.roles, "authorize")
    assert not hasattr(gis.accounts, "authorize")


# ----------------------------------------------------------------------------- in PostGIS


def a_user(role: Role, scope_text: str, department: str | None = None) -> User:
    from gis.scope import Scope

    return User(0, f"t-{role.value}", "测试", role, Scope.parse(scope_text), department, True)


def grid_codes(body: str) -> list[str]:
    return sorted(f["properties"]["code"] for f in json.loads(body)["features"])


def test_a_users_access_reads_only_the_grids_of_their_scope(conn: Connection) -> None:
    whole = grids_geojson(conn, "unified", band=BAND, access=Access.system())
    assert {G1, G2, G3} <= set(grid_codes(whole))  # and the sample city's, when it is loaded
    tiny = system_access(f"district:{DISTRICT}")
    assert grid_codes(grids_geojson(conn, "unified", band=BAND, access=tiny)) == [G1, G2, G3]
    community_b = Access.of(a_user(Role.COUNTY, f"community:{COMMUNITY_B}"))
    assert grid_codes(grids_geojson(conn, "unified", band=BAND, access=community_b)) == [G3]
    with pytest.raises(Forbidden):
        grid_detail(conn, "unified", G1, BAND, access=community_b)
    worker = Access.of(a_user(Role.FIELD_WORKER, f"grid:unified/{G2}"))
    assert grid_codes(grids_geojson(conn, "unified", band=BAND, access=worker)) == [G2]


def test_a_system_access_narrowed_by_scope_reads_only_that_part(conn: Connection) -> None:
    narrowed = system_access(f"community:{COMMUNITY_A}")
    assert grid_codes(grids_geojson(conn, "unified", band=BAND, access=narrowed)) == [G1, G2]
    with pytest.raises(Forbidden):  # one may narrow an access, never widen it
        narrowed.narrowed(Access.system().scope)


def test_a_users_access_lists_only_the_incidents_of_their_scope(conn: Connection) -> None:
    system = Access.system("system:tests")
    made = {}
    for n in (1, 3):  # U1 lies in community A, U3 in community B
        c = cell(n).centroid
        made[n] = create_incident(
            conn, lon=c.x, lat=c.y, category="环境卫生", now=T0, access=system
        )["code"]

    def listed(access: Access) -> set[str]:
        body = json.loads(list_incidents(conn, now=T0, access=access))
        return {f["properties"]["code"] for f in body["features"]} & set(made.values())

    assert listed(system) == {made[1], made[3]}
    assert listed(Access.of(a_user(Role.COUNTY, f"community:{COMMUNITY_B}"))) == {made[3]}
    assert listed(Access.of(a_user(Role.COUNTY, f"district:{DISTRICT}"))) == set(made.values())
    assert listed(Access.of(a_user(Role.COUNTY, "district:361002"))) == set()


def test_a_users_access_cannot_report_outside_their_scope(conn: Connection) -> None:
    c = cell(1).centroid  # community A
    with pytest.raises(Forbidden, match="outside your scope"):
        create_incident(
            conn,
            lon=c.x,
            lat=c.y,
            category="环境卫生",
            now=T0,
            access=Access.of(a_user(Role.FIELD_WORKER, f"grid:unified/{G3}")),
        )


def test_system_access_is_recorded_under_its_system_name(conn: Connection) -> None:
    c = cell(5).centroid
    for access, expected in (
        (Access.system("system:access-test"), "system:access-test"),
        (system_access(), Access.system().name),
    ):
        assert expected.startswith("system:")
        code = create_incident(conn, lon=c.x, lat=c.y, category="环境卫生", now=T0, access=access)[
            "code"
        ]
        actors = conn.execute(
            text("SELECT actor FROM audit_log WHERE action = 'incident.report' AND entity_id = :c"),
            {"c": code},
        ).scalars()
        assert list(actors) == [expected]


def test_the_cli_parses_its_scope_or_says_what_is_wrong() -> None:
    assert str(system_access("district:369901").scope) == "district:369901"
    assert system_access(None).scope.is_everything
    assert not system_access(personal_data=False).personal_data
    with pytest.raises(Invalid, match="level:code"):
        system_access("369901")


def test_an_open311_client_gets_no_wider_scope_than_who_adds_it(conn: Connection) -> None:
    from gis.incidents.open311_clients import add_client

    county = system_access(f"district:{DISTRICT}")
    with pytest.raises(Forbidden, match="outside your own"):
        add_client(conn, "elsewhere-app", "361002", access=county)
    with pytest.raises(Forbidden, match="outside your own"):
        add_client(conn, "everywhere-app", "", access=county)
    client, _ = add_client(conn, "tiny-app", DISTRICT, access=county)
    assert str(client.access.scope) == f"district:{DISTRICT}"
    assert client.access.name == "open311:tiny-app"
