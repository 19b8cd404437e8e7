"""Retention of raw tracks (reduced to daily figures after 90 days, then deleted) and GPX import.

Uses the hand-made track of tests/test_patrols.py (tracked 300 s, 180 s in the grid, 355.985 m,
3 buildings passed on 2026-12-01).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Connection
from typer.testing import CliRunner

from gis.access import Access
from gis.chinatime import CHINA
from gis.infra.settings import TrackSettings
from gis.patrols import prune_tracks
from tests.conftest import ClientAs, scalar
from tests.test_patrols import DAY, TRACK, at_noon, expected_metres, walk_the_track

__all__ = ["at_noon"]  # the fixture, shared

GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="another app" xmlns="http://www.topografix.com/GPX/1/1">
  <trk><name>巡查</name><trkseg>
{points}
  </trkseg></trk>
</gpx>"""


def gpx_file(track: list[tuple[int, str, float, float]], day: dt.date = DAY) -> bytes:
    """The track as GPX, times in UTC as GPX writes them (China time − 8 h)."""

    def utc(hhmm: str) -> str:
        at = dt.datetime.combine(day, dt.time.fromisoformat(hhmm), tzinfo=CHINA)
        return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    points = "\n".join(
        f'    <trkpt lat="{lat}" lon="{lon}"><time>{utc(hhmm)}</time></trkpt>'
        for _, hhmm, lon, lat in track
    )
    return GPX.format(points=points).encode()


def test_old_points_become_daily_figures(
    at_noon: Any, client_as: ClientAs, conn: Connection
) -> None:
    worker = client_as("t-worker")
    walk_the_track(worker)
    worker.post("/field/check-ins", json={"lon": 116.001, "lat": 27.5005})
    before = worker.get("/field/figures", params={"on": DAY.isoformat()}).json()["days"][0]
    system = Access.system("system:tests")
    tracks = TrackSettings()
    assert tracks.retention_days == 90
    # 90 days later, the day is still kept …
    kept = prune_tracks(
        conn, access=system, now=dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC), tracks=tracks
    )
    assert (kept.points, kept.days) == (0, 0)
    # … 91 days later, it is reduced to one row and its points are gone.
    later = dt.datetime(2027, 3, 2, 12, tzinfo=dt.UTC)
    pruned = prune_tracks(conn, access=system, now=later, tracks=tracks)
    assert pruned.points >= 6 and pruned.days >= 1
    user = "(SELECT id FROM app_user WHERE username = 't-worker')"
    assert (
        scalar(
            conn,
            f"SELECT count(*) FROM track_point t JOIN patrol p ON p.id = t.patrol_id "
            f"WHERE p.user_id = {user}",
        )
        == 0
    )
    after = worker.get("/field/figures", params={"on": DAY.isoformat()}).json()["days"][0]
    assert after["reduced"] is True and before["reduced"] is False
    for figure in ("points", "seconds_tracked", "seconds_in_grid", "metres", "buildings_passed"):
        assert after[figure] == pytest.approx(before[figure]), figure
    assert after["metres"] == pytest.approx(expected_metres(), abs=0.05)
    assert after["check_ins"] == 1  # check-ins are not track points: kept
    # A second run changes nothing and writes no audit row.
    day_row = f"SELECT row_to_json(d)::text FROM patrol_day d WHERE user_id = {user}"
    snapshot = scalar(conn, day_row)
    audits = scalar(conn, "SELECT count(*) FROM audit_log WHERE action = 'track.prune'")
    again = prune_tracks(conn, access=system, now=later, tracks=tracks)
    assert (again.points, again.days) == (0, 0)
    assert scalar(conn, day_row) == snapshot
    assert scalar(conn, "SELECT count(*) FROM audit_log WHERE action = 'track.prune'") == audits


def test_prune_from_the_cli(engine: Any, pg_url: str, tmp_path: Any, monkeypatch: Any) -> None:
    from gridmap_cli.main import app

    monkeypatch.setenv("GRIDMAP_DATABASE_URL", pg_url)
    monkeypatch.setenv("GRIDMAP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GRIDMAP_TRACK_RETENTION_DAYS", "30")
    result = CliRunner().invoke(app, ["field", "prune"])
    assert result.exit_code == 0, result.output
    assert "Pruned" in result.output
    assert CliRunner().invoke(app, ["field", "prune", "--days", "0"]).exit_code == 2


def test_gpx_import(at_noon: Any, client_as: ClientAs, conn: Connection) -> None:
    worker = client_as("t-worker")
    early = (9, "06:30", 116.0005, 27.5005)
    # Out of order in the file on purpose: the points are put in time order.
    data = gpx_file([TRACK[3], *TRACK[:3], *TRACK[4:], early])
    answer = worker.post(
        "/field/patrols/gpx", files={"file": ("walk.gpx", data, "application/gpx+xml")}
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["batch"]["stored"], body["batch"]["outside_hours"]) == (6, 1)
    day = worker.get("/field/figures", params={"on": DAY.isoformat()}).json()["days"][0]
    assert day["seconds_in_grid"] == pytest.approx(180)
    assert day["seconds_tracked"] == pytest.approx(300)
    assert day["metres"] == pytest.approx(expected_metres(), abs=0.05)
    # The same file again: refused, nothing counted twice.
    again = worker.post(
        "/field/patrols/gpx", files={"file": ("walk.gpx", data, "application/gpx+xml")}
    )
    assert again.status_code == 409, again.text
    assert worker.get("/field/figures", params={"on": DAY.isoformat()}).json()["days"][0][
        "seconds_tracked"
    ] == pytest.approx(300)
    # Not GPX, a point in the future, entities: refused with a reason.
    bad = worker.post("/field/patrols/gpx", files={"file": ("x.gpx", b"hello", "text/plain")})
    assert bad.status_code == 422 and "GPX" in bad.json()["detail"]
    future = gpx_file([(0, "13:30", 116.0005, 27.5005)])
    assert (
        worker.post("/field/patrols/gpx", files={"file": ("f.gpx", future, "x")}).status_code == 422
    )
    bomb = b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaa">]><gpx>&a;</gpx>'
    assert (
        worker.post("/field/patrols/gpx", files={"file": ("b.gpx", bomb, "x")}).status_code == 422
    )
