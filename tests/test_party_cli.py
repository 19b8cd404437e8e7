"""``gridmap party …``: coverage report, assign, a refused overlap, end, history — by CLI.

The CLI commits (it is its own transaction), so the members made here are deleted afterwards
(their assignments go with them).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from gridmap_cli.main import app
from tests.party_city import GRID_A1, ORG_A, ORG_AGENCY, building, seed_members
from tests.tiny_city import DISTRICT

PREFIX = "TC"


@pytest.fixture
def cli(engine: Engine, pg_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", pg_url)
    monkeypatch.setenv("GRIDMAP_DATA_DIR", str(tmp_path))
    with engine.begin() as conn:
        people = seed_members(conn, PREFIX)
    try:
        yield CliRunner(), people
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM party_member WHERE code LIKE :p"), {"p": PREFIX + "%"})
            conn.execute(
                text(
                    "DELETE FROM party_organisation o WHERE code = ANY(:c) AND NOT EXISTS "
                    "(SELECT 1 FROM party_member m WHERE m.organisation_id = o.id)"
                ),
                {"c": [ORG_A, ORG_AGENCY]},
            )


def test_assign_refuse_end_and_report(cli, engine: Engine) -> None:
    runner, people = cli
    leader, other = people["leader_a1"].code, people["near"].code
    made = runner.invoke(
        app, ["party", "assign", leader, "grid_leader", f"grid:{GRID_A1}", "--from", "2025-01-01"]
    )
    assert made.exit_code == 0, made.output
    assignment = int(made.output.split()[1].rstrip(":"))
    refused = runner.invoke(
        app, ["party", "assign", other, "grid_leader", f"grid:{GRID_A1}", "--from", "2025-03-01"]
    )
    assert refused.exit_code == 2
    assert "already has a 网格长" in refused.output and leader in refused.output
    assert "张*丰" in refused.output and "张三丰" not in refused.output  # errors are masked

    report = runner.invoke(app, ["party", "coverage", "--scope", f"district:{DISTRICT}"])
    assert report.exit_code == 0, report.output
    line = next(x for x in report.output.splitlines() if "grids with a grid leader" in x)
    assert line.split()[5:8] == ["1", "/", "3"]

    ended = runner.invoke(app, ["party", "end", str(assignment), "--on", "2025-02-28"])
    assert ended.exit_code == 0 and "ends on 2025-02-28" in ended.output
    again = runner.invoke(
        app, ["party", "assign", other, "grid_leader", f"grid:{GRID_A1}", "--from", "2025-03-01"]
    )
    assert again.exit_code == 0, again.output
    history = runner.invoke(app, ["party", "history", f"grid:{GRID_A1}"])
    lines = [x for x in history.output.splitlines() if "网格长" in x]
    assert [x.split()[2] for x in lines] == [other, leader]
    assert "2025-01-01 – 2025-02-28" in lines[1]

    bad = runner.invoke(app, ["party", "assign", other, "chief", f"building:{building(2)}"])
    assert bad.exit_code == 2 and "unknown role 'chief'" in bad.output
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT count(*) FROM assignment a JOIN party_member m ON m.id = a.member_id "
                "WHERE m.code LIKE :p"
            ),
            {"p": PREFIX + "%"},
        ).scalar_one()
    assert rows == 2  # the refused and the bad ones changed nothing
