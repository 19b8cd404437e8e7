"""``gridmap edit …``: the editor from the command line, on a scenario layer of its own (the CLI
commits, so the layer is made for the test and dropped afterwards)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from gis.infra.settings import Settings
from gridmap_cli.main import app
from tests.scratch_layer import scratch_layer
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, unit_code

G1, G2 = f"{COMMUNITY_A}001", f"{COMMUNITY_A}002"


@pytest.fixture
def layer(
    engine: Engine, settings: Settings, pg_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", pg_url)
    monkeypatch.setenv("GRIDMAP_DATA_DIR", str(tmp_path))
    with scratch_layer(engine, settings) as code:
        yield code


def _grid_of(engine: Engine, layer: str, n: int) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                text(
                    "SELECT g.code FROM grid_unit gu JOIN grid g ON g.id = gu.grid_id "
                    "JOIN grid_layer l ON l.id = gu.layer_id JOIN base_unit u ON u.id = gu.unit_id "
                    "WHERE l.code = :l AND u.code = :u"
                ),
                {"l": layer, "u": unit_code(n)},
            ).scalar_one()
        )


def test_move_history_undo_and_revert(layer: str, engine: Engine) -> None:
    cli = CliRunner()
    preview = cli.invoke(
        app, ["edit", "move", unit_code(4), "--to", G1, "--layer", layer, "--dry-run"]
    )
    assert preview.exit_code == 0, preview.output
    assert json.loads(preview.output)["applied"] is False and _grid_of(engine, layer, 4) == G2

    done = cli.invoke(app, ["edit", "move", unit_code(4), "--to", G1, "--layer", layer])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["version"] == 2 and _grid_of(engine, layer, 4) == G1

    history = cli.invoke(app, ["edit", "history", "--layer", layer])
    assert "v2" in history.output and "system:" in history.output and G1 in history.output

    assert cli.invoke(app, ["edit", "undo", "--layer", layer]).exit_code == 0
    assert _grid_of(engine, layer, 4) == G2
    assert cli.invoke(app, ["edit", "redo", "--layer", layer]).exit_code == 0
    assert _grid_of(engine, layer, 4) == G1
    assert cli.invoke(app, ["edit", "revert", "1", "--layer", layer]).exit_code == 0
    assert _grid_of(engine, layer, 4) == G2


def test_errors_are_one_line_and_change_nothing(layer: str, engine: Engine) -> None:
    cli = CliRunner()
    across = cli.invoke(app, ["edit", "move", unit_code(3), "--to", G1, "--layer", layer])
    assert across.exit_code == 2
    assert COMMUNITY_A in across.output and COMMUNITY_B in across.output
    stale = cli.invoke(
        app, ["edit", "move", unit_code(4), "--to", G1, "--layer", layer, "--version", "7"]
    )
    assert stale.exit_code == 2 and "version" in stale.output
    assert cli.invoke(app, ["edit", "lock", G1, "--layer", layer]).exit_code == 0
    locked = cli.invoke(app, ["edit", "move", unit_code(1), "--to", G2, "--layer", layer])
    assert locked.exit_code == 2 and "locked" in locked.output
    assert _grid_of(engine, layer, 1) == G1 and _grid_of(engine, layer, 3) == f"{COMMUNITY_B}001"
