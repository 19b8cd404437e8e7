"""The nightly roll-up: a day's figures computed once into ``patrol_day`` are the figures of the
raw track (the hand-made track of tests/test_patrols.py: tracked 300 s, 180 s in the grid,
355.985 m, 3 buildings passed on 2026-12-01), a late point re-rolls the day, and once the day is
rolled up its raw points may go without changing the figures or the 考核 score.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Connection, text
from typer.testing import CliRunner

from gis.access import Access
from gis.infra.settings import TrackSettings
from gis.patrols import rollup_days
from gis.patrols.rollup import roll_up
from tests.conftest import ClientAs, scalar
from tests.test_patrols import (
    DAY,
    NOON,
    TRACK,
    at_noon,
    expected_metres,
    others,
    point,
    send,
    walk_the_track,
)

__all__ = ["at_noon", "others"]  # the fixtures, shared

USER = "(SELECT id FROM app_user WHERE username = 't-worker')"
FIGURES = ("points", "seconds_tracked", "seconds_in_grid", "metres", "buildings_passed")


def rolled_row(conn: Connection) -> Any:
    return (
        conn.execute(
            text(
                "SELECT points, seconds_tracked, seconds_in_grid, metres, buildings_passed, "
                f"jumps, check_ins, key_places, pruned_at FROM patrol_day WHERE user_id = {USER} "
                "AND day = :day"
            ),
            {"day": DAY},
        )
        .mappings()
        .one()
    )


def test_the_roll_up_is_the_raw_figures_and_outlives_them(
    at_noon: FastAPI, client_as: ClientAs, conn: Connection
) -> None:
    worker = client_as("t-worker")
    patrol = walk_the_track(worker)
    place = {"kind": "key_place", "lon": 116.001, "lat": 27.5005}
    assert worker.post("/field/check-ins", json=place).status_code == 201
    raw = worker.get("/field/figures", params={"on": DAY.isoformat()}).json()["days"][0]

    # The next morning the night's roll-up has run: the same numbers, computed once.
    next_day = NOON + dt.timedelta(days=1)
    at_noon.state.clock = lambda: next_day
    system = Access.system("system:tests")
    tracks = TrackSettings()
    done = rollup_days(conn, access=system, tracks=tracks, now=next_day, day=DAY)
    assert done is not None and done.rows >= 1
    row = rolled_row(conn)
    assert row["seconds_tracked"] == pytest.approx(300) == raw["seconds_tracked"]
    assert row["seconds_in_grid"] == pytest.approx(180) == raw["seconds_in_grid"]
    assert row["metres"] == pytest.approx(expected_metres(), abs=0.05)
    assert row["metres"] == pytest.approx(raw["metres"])
    assert (row["points"], row["buildings_passed"], row["check_ins"], row["key_places"]) == (
        6,
        3,
        1,
        1,
    )
    assert row["pruned_at"] is None
    # Rolling the day up again replaces its rows: nothing doubles.
    rollup_days(conn, access=system, tracks=tracks, now=next_day, day=DAY)
    assert rolled_row(conn) == row
    # Today is still being walked: not rolled up.
    with pytest.raises(Exception, match="昨天"):
        rollup_days(conn, access=system, tracks=tracks, now=next_day, day=DAY + dt.timedelta(1))

    # A late point of that day (a phone that was offline until today) re-rolls it at once.
    late = send(worker, patrol, [point(6, "09:23", 116.0012, 27.5008)])
    assert late.status_code == 200 and late.json()["stored"] == 1, late.text
    assert rolled_row(conn)["points"] == 7
    assert rolled_row(conn)["seconds_tracked"] == pytest.approx(360)
    figures = worker.get("/field/figures", params={"on": DAY.isoformat()}).json()["days"][0]
    score = worker.get("/field/score", params={"month": "2026-12"}).json()

    # The raw points of the rolled-up day go: figures and score are unchanged.
    conn.execute(text(f"DELETE FROM track_point WHERE patrol_id = {patrol}"))
    assert scalar(conn, f"SELECT count(*) FROM track_point WHERE patrol_id = {patrol}") == 0
    after = worker.get("/field/figures", params={"on": DAY.isoformat()}).json()["days"][0]
    for figure in FIGURES:
        assert after[figure] == pytest.approx(figures[figure]), figure
    assert after["seconds_in_grid"] == pytest.approx(240)
    assert worker.get("/field/score", params={"month": "2026-12"}).json() == score
    time_line = next(line for line in score["lines"] if line["measure"] == "time_in_grid")
    assert time_line["value"] == pytest.approx(240 / 360, abs=1e-4)


def test_rollup_from_the_cli(engine: Any, pg_url: str, tmp_path: Any, monkeypatch: Any) -> None:
    from gridmap_cli.main import app

    monkeypatch.setenv("GRIDMAP_DATABASE_URL", pg_url)
    monkeypatch.setenv("GRIDMAP_DATA_DIR", str(tmp_path))
    # A day long before any test's data (this commits: it must not touch their months).
    result = CliRunner().invoke(app, ["field", "rollup", "--day", "2001-01-01"])
    assert result.exit_code == 0, result.output
    assert "2001-01-01" in result.output
    future = CliRunner().invoke(app, ["field", "rollup", "--day", "2999-01-01"])
    assert future.exit_code == 2 and "昨天" in future.output


def test_every_workers_roll_up_in_batches_is_the_same(
    at_noon: FastAPI, client_as: ClientAs, conn: Connection, others: None
) -> None:
    """The roll-up of every worker goes in batches of workers (a batch per ~1 million points):
    one worker a batch gives the same rows as all in one."""
    walk_the_track(client_as("t-worker"))
    second = client_as("p-worker2")
    patrol = second.post("/field/patrols").json()["id"]
    assert send(second, patrol, [point(*p) for p in TRACK]).json()["stored"] == 6
    next_day = NOON + dt.timedelta(days=1)
    tracks = TrackSettings()
    rows = {}
    for budget in (1, 1_000_000):
        done = roll_up(conn, DAY, DAY, tracks=tracks, now=next_day, batch_points=budget)
        assert done.rows >= 2
        rows[budget] = conn.execute(
            text(
                "SELECT user_id, points, seconds_tracked, metres, buildings_passed, building_ids "
                "FROM patrol_day WHERE day = :day ORDER BY user_id"
            ),
            {"day": DAY},
        ).all()
    assert rows[1] == rows[1_000_000]
    assert [r.points for r in rows[1]].count(6) >= 2
