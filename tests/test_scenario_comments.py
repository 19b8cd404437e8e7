"""Comments on a scenario and its grids (issue 20): who, when, what; in the compare API and the
printed report; in scope only."""

from __future__ import annotations

from sqlalchemy import text

from tests.tiny_city import COMMUNITY_B, DISTRICT, UNIFIED, unit_code


def _imported_scenario(client) -> dict:
    rows = "".join(f"{unit_code(n)},{grid}\n" for grid, units in UNIFIED.items() for n in units)
    made = client.post(
        "/scenarios/import",
        files={"file": ("plan.csv", ("unit_code,grid_code\n" + rows).encode(), "text/csv")},
        data={"name": "评议方案", "area": DISTRICT},
    )
    assert made.status_code == 201, made.text
    return made.json()


def test_comments_on_a_grid_and_on_the_whole_plan(client_as, conn) -> None:
    county = client_as("t-county")
    sid = _imported_scenario(county)["id"]
    grid = f"{COMMUNITY_B}001"
    first = county.post(f"/scenarios/{sid}/comments", json={"body": "整体可行", "grid": None})
    assert first.status_code == 201, first.text
    second = county.post(
        f"/scenarios/{sid}/comments", json={"body": "菜场和学校同格", "grid": grid}
    )
    assert second.status_code == 201
    listed = county.get(f"/scenarios/{sid}/comments").json()
    assert [(c["grid_code"], c["body"]) for c in listed] == [
        (None, "整体可行"),
        (grid, "菜场和学校同格"),
    ]
    assert all(c["author"] == "t-county" for c in listed)
    page = county.get(f"/scenarios/{sid}/report").text
    assert "菜场和学校同格" in page and grid in page
    audited = conn.execute(
        text("SELECT count(*) FROM audit_log WHERE action = 'scenario.comment'")
    ).scalar_one()
    assert audited >= 2


def test_a_bad_comment_is_refused_and_changes_nothing(client_as, conn) -> None:
    county = client_as("t-county")
    sid = _imported_scenario(county)["id"]

    def count() -> int:
        return int(
            conn.execute(
                text("SELECT count(*) FROM scenario_comment WHERE scenario_id = :s"), {"s": sid}
            ).scalar_one()
        )

    unknown = county.post(
        f"/scenarios/{sid}/comments", json={"body": "x", "grid": "369901001002999"}
    )
    assert unknown.status_code == 404 and "369901001002999" in unknown.json()["detail"]
    assert county.post(f"/scenarios/{sid}/comments", json={"body": "   "}).status_code == 422
    assert county.post(f"/scenarios/{sid}/comments", json={"body": ""}).status_code == 422
    assert county.post(f"/scenarios/{sid}/comments", json={"body": "x" * 2001}).status_code == 422
    assert county.post("/scenarios/999999/comments", json={"body": "x"}).status_code == 404
    planner = client_as("t-planner")  # no run_scenarios: neither reads nor writes
    assert planner.get(f"/scenarios/{sid}/comments").status_code == 403
    assert planner.post(f"/scenarios/{sid}/comments", json={"body": "x"}).status_code == 403
    outside = client_as("lc-planner")
    assert outside.post(f"/scenarios/{sid}/comments", json={"body": "x"}).status_code == 403
    assert count() == 0
