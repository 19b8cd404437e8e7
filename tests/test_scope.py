"""Scopes: parsing, containment, and the SQL filters on the tiny city (checkable by eye).

::

    row 2   U7  U8 | U9     community A = U1 U2 U4 U5 U7 U8, community B = U3 U6 U9
    row 1   U4  U5 | U6     unified: A001 = {U1 U2}, A002 = {U4 U5 U7 U8}, B001 = {U3 U6 U9}
    row 0   U1  U2 | U3     综治: A901 = {U1 U4 U7}, A902 = the other six (crosses into B)
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from gis.errors import Invalid
from gis.scope import Scope
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, DISTRICT, STREET, unit_code

A001, A002, B001 = f"{COMMUNITY_A}001", f"{COMMUNITY_A}002", f"{COMMUNITY_B}001"
A901, A902 = f"{COMMUNITY_A}901", f"{COMMUNITY_A}902"


@pytest.mark.parametrize(
    ("text_", "scope"),
    [
        ("province:36", Scope.province("36")),
        ("city", Scope.city()),
        ("city:3699", Scope.city("3699")),
        (f"district:{DISTRICT}", Scope.district(DISTRICT)),
        (f"street:{STREET}", Scope.street(STREET)),
        (f"community:{COMMUNITY_A}", Scope.community(COMMUNITY_A)),
        (f"grid:unified/{A001}", Scope.grid(A001)),
        (f"grid:zongzhi/{A901}", Scope.grid(A901, "zongzhi")),
    ],
)
def test_scope_text_round_trip(text_: str, scope: Scope) -> None:
    assert Scope.parse(text_) == scope
    assert Scope.parse(str(scope)) == scope


def test_a_bare_grid_code_is_a_unified_grid() -> None:
    assert Scope.parse(f"grid:{A001}") == Scope.grid(A001, "unified")


@pytest.mark.parametrize(
    ("text_", "message"),
    [
        ("district:36990", "6-digit district code"),
        ("street:369901", "9-digit street code"),
        ("community:abc", "12-digit community code"),
        ("city:361", "2- or 4-digit"),
        ("grid:123", "grid code"),
        ("province:361", "2-digit province code"),
        ("county:361002", "level:code"),
        ("district", "6-digit"),
    ],
)
def test_bad_scopes_are_refused_by_name(text_: str, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        Scope.parse(text_)


def test_containment() -> None:
    district, street = Scope.district(DISTRICT), Scope.street(STREET)
    community, grid = Scope.community(COMMUNITY_A), Scope.grid(A001)
    chain = [
        Scope.city(),
        Scope.province("36"),
        Scope.city("3699"),
        district,
        street,
        community,
        grid,
    ]
    for i, outer in enumerate(chain):
        for inner in chain[i:]:
            assert outer.contains(inner), (outer, inner)
        for larger in chain[:i]:
            assert not outer.contains(larger), (outer, larger)
    assert not Scope.city("3610").contains(district)
    assert not Scope.community(COMMUNITY_B).contains(grid)
    assert not grid.contains(Scope.grid(A002))


def test_areas_seen_from_a_grid_are_its_ancestors() -> None:
    grid = Scope.grid(A001)
    assert [grid.sees_area(c) for c in (DISTRICT, STREET, COMMUNITY_A, COMMUNITY_B)] == [
        True,
        True,
        True,
        False,
    ]
    assert not grid.reaches(COMMUNITY_A)  # seeing the outline is not reaching the community
    assert Scope.street(STREET).sees_area(DISTRICT) and not Scope.street(STREET).reaches(DISTRICT)


def _codes(conn, sql: str, scope_filter) -> list[str]:
    return list(conn.execute(text(sql.format(f=scope_filter.sql)), scope_filter.params).scalars())


GRIDS = """SELECT l.code || '/' || g.code FROM grid g JOIN grid_layer l ON l.id = g.layer_id
           WHERE starts_with(g.code, '3699') AND ({f}) ORDER BY 1"""
UNITS = "SELECT u.code FROM base_unit u WHERE starts_with(u.code, '3699') AND ({f}) ORDER BY 1"
AREAS = """SELECT code FROM (SELECT code FROM district UNION ALL SELECT code FROM street
           UNION ALL SELECT code FROM community) x WHERE starts_with(code, '3699') AND ({f})
           ORDER BY 1"""


def test_grid_filter(conn) -> None:
    every = [f"unified/{c}" for c in (A001, A002, B001)] + [f"zongzhi/{A901}", f"zongzhi/{A902}"]
    assert _codes(conn, GRIDS, Scope.city().grid_sql("g")) == sorted(every)
    assert _codes(conn, GRIDS, Scope.district(DISTRICT).grid_sql("g")) == sorted(every)
    # Community B reaches its unified grid and the 综治 grid that crosses into it.
    assert _codes(conn, GRIDS, Scope.community(COMMUNITY_B).grid_sql("g")) == [
        f"unified/{B001}",
        f"zongzhi/{A902}",
    ]
    # … but only its own grid lies wholly inside it, which is what an edit needs.
    whole = Scope.community(COMMUNITY_B).grid_sql("g", entirely=True)
    assert _codes(conn, GRIDS, whole) == [f"unified/{B001}"]
    # A field worker reaches their one grid, in its layer only (codes repeat across layers).
    assert _codes(conn, GRIDS, Scope.grid(A001).grid_sql("g")) == [f"unified/{A001}"]
    assert _codes(conn, GRIDS, Scope.city("3610").grid_sql("g")) == []


@pytest.mark.parametrize(
    "scope",
    [
        Scope.city(),
        Scope.district(DISTRICT),
        Scope.community(COMMUNITY_A),
        Scope.community(COMMUNITY_B),
        Scope.grid(A001),
        Scope.city("3610"),
    ],
    ids=str,
)
def test_the_one_row_form_reaches_the_same_grids(conn, scope: Scope) -> None:
    """The check written for one grid (EXISTS) and the filter for many (IN) agree."""
    assert _codes(conn, GRIDS, scope.grid_sql("g", one_row=True)) == _codes(
        conn, GRIDS, scope.grid_sql("g")
    )


def test_unit_and_area_filters(conn) -> None:
    assert _codes(conn, UNITS, Scope.grid(A002).unit_sql("u")) == [
        unit_code(n) for n in (4, 5, 7, 8)
    ]
    assert _codes(conn, UNITS, Scope.community(COMMUNITY_B).unit_sql("u")) == [
        unit_code(n) for n in (3, 6, 9)
    ]
    assert _codes(conn, AREAS, Scope.grid(A001).area_sql("code")) == [
        DISTRICT,
        STREET,
        COMMUNITY_A,
    ]
    assert _codes(conn, AREAS, Scope.community(COMMUNITY_B).area_sql("code")) == [
        DISTRICT,
        STREET,
        COMMUNITY_B,
    ]
    assert _codes(conn, AREAS, Scope.street(STREET).filter_sql("code")) == [
        STREET,
        COMMUNITY_A,
        COMMUNITY_B,
    ]
    assert _codes(conn, AREAS, Scope.grid(A001).filter_sql("code")) == []


def test_filters_of_one_scope_combine(conn) -> None:
    scope = Scope.community(COMMUNITY_A)
    both = scope.grid_sql("g") & scope.area_sql("c.code")
    rows = conn.execute(
        text(
            "SELECT g.code FROM grid g JOIN community c ON c.id = g.community_id "
            f"JOIN grid_layer l ON l.id = g.layer_id WHERE l.code = 'unified' AND {both.sql} "
            "AND starts_with(g.code, '3699') ORDER BY 1"
        ),
        both.params,
    ).scalars()
    assert list(rows) == [A001, A002]
