"""``gridmap scenario …`` against the test database (commits for real; cleaned up after)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from gridmap_cli.main import app
from tests.tiny_city import DISTRICT


@pytest.fixture
def cli(
    engine: Engine, pg_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", pg_url)
    monkeypatch.setenv("GRIDMAP_DATA_DIR", str(tmp_path))
    with engine.connect() as conn:
        before = set(conn.execute(text("SELECT id FROM scenario")).scalars())
    yield CliRunner()
    with engine.begin() as conn:
        made = [
            i for i in conn.execute(text("SELECT id FROM scenario")).scalars() if i not in before
        ]
        conn.execute(
            text(
                "DELETE FROM grid_layer WHERE id IN "
                "(SELECT layer_id FROM scenario WHERE id = ANY(:i)) AND kind = 'scenario'"
            ),
            {"i": made},
        )
        conn.execute(text("DELETE FROM scenario WHERE id = ANY(:i)"), {"i": made})


def test_create_runs_with_progress_then_compare_and_crosswalk(cli: CliRunner, tmp_path) -> None:
    r = cli.invoke(
        app, ["scenario", "create", "命令行方案", "--area", DISTRICT, "--target-count", "3"]
    )
    assert r.exit_code == 0, r.output
    assert "communities 2/2" in r.output and ": done — 3 grids" in r.output
    sid = re.search(r"scenario (\d+) created", r.output).group(1)  # type: ignore[union-attr]

    listed = cli.invoke(app, ["scenario", "list"])
    assert listed.exit_code == 0 and "命令行方案" in listed.output

    compared = cli.invoke(app, ["scenario", "compare", sid, "unified"])
    assert compared.exit_code == 0, compared.output
    assert re.search(r"grids\s+3\s+3", compared.output)

    out = tmp_path / "xw.csv"
    xw = cli.invoke(app, ["scenario", "crosswalk", sid, "--out", str(out)])
    assert xw.exit_code == 0, xw.output
    assert "grids before 2 → after 3" in xw.output and out.read_text(encoding="utf-8")

    again = cli.invoke(app, ["scenario", "cancel", sid])
    assert again.exit_code == 2 and "only a queued or running scenario" in again.output

    queued = cli.invoke(
        app, ["scenario", "create", "排队", "--area", DISTRICT, "--band", "1000:3000", "--queue"]
    )
    assert queued.exit_code == 0 and "queued" in queued.output
    bad = cli.invoke(app, ["scenario", "create", "x", "--area", DISTRICT, "--band", "300"])
    assert bad.exit_code == 2 and "LOW:HIGH" in bad.output
