"""Suggest and the community brush in the editor, on the sample city as 临川区's planner.

What a planner relies on: a suggestion's numbers are the ones the editor's own preview shows,
applying it leaves every grid whole and puts more grids in the band, it never touches a grid
outside the area, and a wrong request changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from tests.conftest import ClientAs

pytestmark = pytest.mark.slow

LAYER = "/layers/unified"


def _off_band_community(conn: Connection) -> str:
    """A community of 临川区 with several grids, one of them outside 300–500 households."""
    return str(
        conn.execute(
            text(
                """
                SELECT c.code FROM grid g JOIN grid_layer l ON l.id = g.layer_id
                JOIN community c ON c.id = g.community_id
                WHERE l.code = 'unified' AND starts_with(c.code, '361002') AND NOT g.locked
                GROUP BY c.code
                HAVING count(*) >= 3
                   AND bool_or(g.workload > 500 OR g.workload < 300)
                ORDER BY sum((g.workload > 500 OR g.workload < 300)::int) DESC, c.code
                LIMIT 1
                """
            )
        ).scalar_one()
    )


def _grid_loads(conn: Connection, community: str) -> dict[str, tuple[float, int]]:
    rows = conn.execute(
        text(
            "SELECT g.code, g.workload, g.pieces FROM grid g JOIN grid_layer l ON l.id = g.layer_id"
            " JOIN community c ON c.id = g.community_id"
            " WHERE l.code = 'unified' AND c.code = :c"
        ),
        {"c": community},
    ).all()
    return {r.code: (float(r.workload), int(r.pieces)) for r in rows}


def _planner(client_as: ClientAs) -> TestClient:
    return client_as("lc-planner")


def test_a_community_suggestion_previews_and_applies_as_it_says(
    client_as: ClientAs, conn: Connection
) -> None:
    planner = _planner(client_as)
    community = _off_band_community(conn)
    before = _grid_loads(conn, community)
    answer = planner.post(f"{LAYER}/suggest", json={"community": community})
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    assert found["grids"] == len(before) and found["suggestions"]
    best = found["suggestions"][0]
    assert best["in_band_before"] == found["in_band"]
    assert best["in_band_after"] / best["grids_after"] > found["in_band"] / found["grids"]
    moved = [u for group in best["moves"] for u in group["units"]]
    assert len(moved) == best["units_moved"] == len(set(moved))
    assert {g["to"] for g in best["moves"]} <= set(before) | {"new"}

    body = {"moves": best["moves"], "version": found["version"]}
    preview = planner.post(f"{LAYER}/edits", json=body | {"dry_run": True}).json()
    assert preview["needs_confirm"] is False and not preview["refused"]
    shown = {(g["code"], g["status"]): g["after"] for g in preview["grids"]}
    for grid in best["grids"]:  # the suggestion's numbers are the preview's
        if grid["status"] == "changed":
            assert shown[grid["code"], "changed"]["workload"] == pytest.approx(grid["after"], 0.01)
            assert shown[grid["code"], "changed"]["pieces"] == 1
        if grid["status"] == "deleted":
            assert (grid["code"], "deleted") in shown

    applied = planner.post(f"{LAYER}/edits", json=body)
    assert applied.status_code == 200, applied.text
    now = _grid_loads(conn, community)
    assert len(now) == best["grids_after"]
    assert all(pieces == 1 for _, pieces in now.values())
    assert sum(300 <= w <= 500 for w, _ in now.values()) == best["in_band_after"]


def test_a_grid_suggestion_touches_only_the_grid_and_its_neighbours(
    client_as: ClientAs, conn: Connection
) -> None:
    planner = _planner(client_as)
    community = _off_band_community(conn)
    loads = _grid_loads(conn, community)
    worst = max(loads, key=lambda g: abs(loads[g][0] - 400))
    near = {n["code"] for n in planner.get(f"{LAYER}/grids/{worst}/neighbours").json()}
    found = planner.post(f"{LAYER}/suggest", json={"grid": worst}).json()
    assert found["area"] == worst and found["grids"] <= len(near) + 1
    for suggestion in found["suggestions"]:
        touched = {g["code"] for g in suggestion["grids"]}
        assert touched <= near | {worst}


def test_a_community_in_band_gets_no_suggestion(client_as: ClientAs, conn: Connection) -> None:
    community = conn.execute(
        text(
            "SELECT c.code FROM grid g JOIN grid_layer l ON l.id = g.layer_id"
            " JOIN community c ON c.id = g.community_id"
            " WHERE l.code = 'unified' AND starts_with(c.code, '361002')"
            " GROUP BY c.code HAVING bool_and(g.workload BETWEEN 300 AND 500) LIMIT 1"
        )
    ).scalar()
    if community is None:
        pytest.skip("every community of 临川区 has a grid out of band")
    found = _planner(client_as).post(f"{LAYER}/suggest", json={"community": community}).json()
    assert found["suggestions"] == [] and found["in_band"] == found["grids"]


@pytest.mark.parametrize(
    ("body", "status", "names"),
    [
        ({"grid": "361002001001001", "community": "361002001001"}, 422, "grid"),
        ({}, 422, "grid"),
        ({"community": "36100200100"}, 422, "community"),
        ({"community": "361003001001"}, 404, "361003001001"),  # 东乡区: outside 临川区
        ({"grid": "361002999999001"}, 404, "361002999999001"),
    ],
)
def test_suggest_refuses_what_it_cannot_answer(
    client_as: ClientAs, body: dict[str, str], status: int, names: str
) -> None:
    answer = _planner(client_as).post(f"{LAYER}/suggest", json=body)
    assert answer.status_code == status, answer.text
    assert names in answer.text


def test_the_brush_takes_a_whole_community_in_scope(client_as: ClientAs, conn: Connection) -> None:
    planner = _planner(client_as)
    community = _off_band_community(conn)
    units = conn.execute(
        text(
            "SELECT count(*) FROM base_unit u JOIN community c ON c.id = u.community_id"
            " WHERE c.code = :c"
        ),
        {"c": community},
    ).scalar_one()
    found = planner.post(f"{LAYER}/select", json={"area": community}).json()
    assert len(found["units"]) == units
    assert {u["community_code"] for u in found["units"]} == {community}
    street = planner.post(f"{LAYER}/select", json={"area": community[:9]}).json()
    assert len(street["units"]) > units
    assert all(u["community_code"].startswith(community[:9]) for u in street["units"])
    outside = planner.post(f"{LAYER}/select", json={"area": "361003001001"})
    assert outside.status_code == 404
    both = planner.post(f"{LAYER}/select", json={"area": community, "polygon": {}})
    assert both.status_code == 422


def test_a_grid_too_heavy_for_the_band_is_split(client_as: ClientAs, conn: Connection) -> None:
    """The tiny city's 乙村 is one grid of 1,800 households in three units (300, 600, 900): no
    boundary move can help, splitting can — every unit its own grid, the 300 one in band."""
    from tests.tiny_city import COMMUNITY_B

    planner = client_as("t-planner")
    found = planner.post(f"{LAYER}/suggest", json={"grid": f"{COMMUNITY_B}001"})
    assert found.status_code == 200, found.text
    best = found.json()["suggestions"][0]
    assert best["grids_after"] == 3 and best["in_band_after"] == 1
    assert [g["to"] for g in best["moves"]] == ["new", "new"]
    preview = planner.post(f"{LAYER}/edits", json={"moves": best["moves"], "dry_run": True})
    assert preview.status_code == 200, preview.text
    assert sorted(g["status"] for g in preview.json()["grids"]) == ["changed", "created", "created"]
