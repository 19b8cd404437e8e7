"""Plans as unit → grid tables (issue 20): any layer exported, a plan imported as a scenario.

Over the tiny city (tests/tiny_city.py): G1 = {U1, U2}, G2 = {U4, U5, U7, U8}, G3 = {U3, U6, U9}.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import Connection, text

from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, DISTRICT, UNIFIED, unit_code


def _scenarios(conn: Connection) -> int:
    return int(conn.execute(text("SELECT count(*) FROM scenario")).scalar_one())


def _csv(rows: list[tuple[str, str]], header: str = "unit_code,grid_code") -> bytes:
    return ("\ufeff" + header + "\n" + "".join(f"{u},{g}\n" for u, g in rows)).encode()


def _post(client: Any, data: bytes, name: str = "plan.csv", area: str = DISTRICT) -> Any:
    return client.post(
        "/scenarios/import",
        files={"file": (name, data, "text/csv")},
        data={"name": "外来方案", "area": area},
    )


def _groups(conn: Connection, layer: str) -> set[frozenset[str]]:
    rows = conn.execute(
        text(
            "SELECT g.code, u.code FROM grid_unit gu JOIN grid g ON g.id = gu.grid_id "
            "JOIN grid_layer l ON l.id = gu.layer_id JOIN base_unit u ON u.id = gu.unit_id "
            "WHERE l.code = :l AND starts_with(u.code, :d)"
        ),
        {"l": layer, "d": DISTRICT},
    ).all()
    out: dict[str, set[str]] = {}
    for grid, unit in rows:
        out.setdefault(grid, set()).add(unit)
    return {frozenset(v) for v in out.values()}


def test_a_layer_exported_and_imported_again_is_the_same_plan(client_as, conn) -> None:
    county = client_as("t-county")
    exported = county.get("/layers/unified/assignment?format=csv")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0] == ["unit_code", "grid_code", "grid_name", "community_code"]
    assert {r[0]: r[1] for r in rows[1:]} == {
        unit_code(n): grid for grid, units in UNIFIED.items() for n in units
    }
    made = _post(county, exported.content)
    assert made.status_code == 201, made.text
    scenario = made.json()
    assert scenario["state"] == "done" and scenario["report"]["count"] == 3
    assert scenario["report"]["connected_share"] == 1.0
    layer = f"scenario-{scenario['id']}"
    assert _groups(conn, layer) == _groups(conn, "unified")
    # The same codes (every grid kept its units), and it compares like any scenario.
    codes = {
        r[0]
        for r in conn.execute(
            text(
                "SELECT g.code FROM grid g JOIN grid_layer l ON l.id = g.layer_id WHERE l.code = :l"
            ),
            {"l": layer},
        )
    }
    assert codes == set(UNIFIED)
    compared = county.get(f"/scenarios/compare?a={scenario['id']}&b=unified")
    assert compared.status_code == 200, compared.text


def test_an_xlsx_plan_with_other_labels_gets_codes_of_its_communities(client_as, conn) -> None:
    county = client_as("t-county")
    labels = {1: "north", 2: "north", 4: "west", 5: "west", 7: "west", 8: "west"}
    labels |= {3: "east", 6: "east", 9: "east"}
    table = county.get("/layers/unified/assignment?format=xlsx")
    assert table.status_code == 200
    book = load_workbook(io.BytesIO(table.content))
    sheet = book.active
    for row in sheet.iter_rows(min_row=2):
        n = int(str(row[0].value)[-3:])
        row[1].value = labels[n]
    out = io.BytesIO()
    book.save(out)
    made = county.post(
        "/scenarios/import",
        files={"file": ("plan.xlsx", out.getvalue(), "application/octet-stream")},
        data={"name": "xlsx", "area": DISTRICT},
    )
    assert made.status_code == 201, made.text
    layer = f"scenario-{made.json()['id']}"
    assert _groups(conn, layer) == _groups(conn, "unified")
    codes = [
        r[0]
        for r in conn.execute(
            text(
                "SELECT g.code FROM grid g JOIN grid_layer l ON l.id = g.layer_id WHERE l.code = :l"
            ),
            {"l": layer},
        )
    ]
    assert all(c.startswith((COMMUNITY_A, COMMUNITY_B)) and len(c) == 15 for c in codes)


def test_a_bad_plan_names_every_problem_and_imports_nothing(client_as, conn) -> None:
    county = client_as("t-county")
    before = _scenarios(conn)
    good = [(unit_code(n), grid) for grid, units in UNIFIED.items() for n in units]
    twice = [*good, (unit_code(2), "x")]
    refused = _post(county, _csv(twice))
    assert refused.status_code == 422
    problems = refused.json()["problems"]
    assert any(p.get("unit") == unit_code(2) and p["rows"] == [3, 11] for p in problems)

    unknown = [*good, ("369901001001U999", "x")]
    problems = _post(county, _csv(unknown)).json()["problems"]
    assert [p["row"] for p in problems if p.get("unit") == "369901001001U999"] == [11]

    left_out = [r for r in good if r[0] != unit_code(9)]
    problems = _post(county, _csv(left_out)).json()["problems"]
    assert any(unit_code(9) in p.get("units", []) for p in problems)

    # G3 takes U2 (community A): across communities; U1 with U8 (not touching): in pieces.
    g3 = f"{COMMUNITY_B}001"
    crossing = [(u, g3 if u == unit_code(2) else g) for u, g in good]
    problems = _post(county, _csv(crossing)).json()["problems"]
    assert any(p.get("grid") == g3 and "crosses" in p["reason"] for p in problems)
    apart = [(u, "far" if u in (unit_code(1), unit_code(8)) else g) for u, g in good]
    problems = _post(county, _csv(apart)).json()["problems"]
    assert any(p.get("grid") == "far" and "pieces" in p["reason"] for p in problems)
    assert _scenarios(conn) == before
    # Taken on purpose, the grid in pieces is kept and named in the report; crossings never are.
    kept = county.post(
        "/scenarios/import",
        files={"file": ("plan.csv", _csv(apart), "text/csv")},
        data={"name": "分块", "area": DISTRICT, "accept_pieces": "true"},
    )
    assert kept.status_code == 201, kept.text
    assert kept.json()["report"]["grids_in_pieces"] == ["far"]
    assert kept.json()["report"]["connected_share"] < 1
    before += 1
    crossing_kept = county.post(
        "/scenarios/import",
        files={"file": ("plan.csv", _csv(crossing), "text/csv")},
        data={"name": "跨社区", "area": DISTRICT, "accept_pieces": "true"},
    )
    assert crossing_kept.status_code == 422

    assert _post(county, b"unit,zone\n").status_code == 422  # no grid column
    assert _post(county, b"PK\x03\x04 not a workbook", name="plan.xlsx").status_code == 422
    assert _scenarios(conn) == before


def test_only_scenario_runners_import_and_only_in_their_scope(client_as, conn) -> None:
    before = _scenarios(conn)
    good = _csv([(unit_code(n), grid) for grid, units in UNIFIED.items() for n in units])
    assert _post(client_as("t-planner"), good).status_code == 403
    # The tiny city's county office cannot import a plan for the sample city's 临川区.
    outside = _post(client_as("t-county"), good, area="361002")
    assert outside.status_code == 403, outside.text
    assert _scenarios(conn) == before


def test_a_domain_error_detail_never_overrides_the_problem_members() -> None:
    """A detail named like a member of the problem document (``status``) stays out of it."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from api.problems import install
    from gis.errors import Conflict

    app = FastAPI()
    install(app)

    @app.get("/boom")
    def boom() -> None:
        raise Conflict("已接单 (already taken)", status="accepted", need=7)

    answer = TestClient(app).get("/boom")
    assert answer.status_code == 409
    body = answer.json()
    assert body["status"] == 409 and body["need"] == 7 and body["detail"].startswith("已接单")
