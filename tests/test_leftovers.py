"""Start-up and leftovers: a recycled pid does not block `gridmap db start`, a killed process's
scratch files are cleaned, photos are not world-readable."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api.app import create_app
from gis.infra.pgcluster import Cluster
from gis.infra.settings import Settings
from tests.test_incidents import PNG, report


def test_a_pid_file_naming_another_clusters_postgres_does_not_block_start(
    tmp_path: Path, engine: Engine
) -> None:
    # The postmaster of the test database: a live postgres, but of another cluster.
    with engine.connect() as conn:
        other_dir = Path(conn.execute(text("SHOW data_directory")).scalar_one())
    other_pid = int((other_dir / "postmaster.pid").read_text().splitlines()[0])
    cluster = Cluster(tmp_path / "gm", fast=True)
    cluster.start()
    try:
        cluster.stop()
        lines = ["0", str(cluster.pgdata), "0", "0", "", "localhost", "0 0", "ready"]
        lines[0], lines[3] = str(other_pid), str(cluster._read_meta()["port"])
        (cluster.pgdata / "postmaster.pid").write_text("\n".join(lines) + "\n")
        assert cluster.status().state == "stopped"  # not "running" on someone else's server
        started = cluster.start()
        assert started.state == "running" and started.pid != other_pid
        os.kill(other_pid, 0)  # the other cluster's server was left alone
    finally:
        cluster.destroy()


KILLED_IMPORT = """
import os, sys
from pathlib import Path
from gis.infra.scratch import ScratchDir
scratch = ScratchDir(Path(sys.argv[1]))
upload = scratch.path / "gridmap-upload-x1"
upload.mkdir()
(upload / "city.gpkg").write_bytes(b"half an upload")
print(scratch.path, flush=True)
sys.stdin.read()
"""


def test_the_scratch_files_of_a_killed_process_are_removed_at_the_next_start(
    tmp_path: Path,
) -> None:
    from gis.infra.scratch import ScratchDir, clean_stale

    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_IMPORT, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    left = Path(child.stdout.readline().strip())
    mine = ScratchDir(tmp_path)  # a live process's directory is never touched
    try:
        assert clean_stale(tmp_path) == []  # the importer still runs: its files stay
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert (left / "gridmap-upload-x1" / "city.gpkg").exists()  # what kill -9 leaves
        assert clean_stale(tmp_path) == [left]
        assert not left.exists() and mine.path.exists()
    finally:
        mine.close()
        assert child.stdin is not None
        child.stdin.close()
    assert not mine.path.exists()


def test_the_server_works_in_its_own_scratch_directory(settings: Settings, users) -> None:
    with TestClient(create_app(settings)) as client:
        scratch = client.app.state.scratch_dir
        assert scratch.is_dir() and scratch.name.startswith(f"gridmap-proc-{os.getpid()}-")
    assert not scratch.exists()


def test_photos_are_stored_readable_by_the_server_only(client_as, conn, settings) -> None:
    code = report(conn, 1)
    worker = client_as("t-worker")
    answer = worker.post(f"/incidents/{code}/photos", files={"file": ("x.png", PNG, "image/png")})
    assert answer.status_code == 201, answer.text
    stored = conn.execute(
        text(
            "SELECT p.path FROM incident_photo p JOIN incident i ON i.id = p.incident_id "
            "WHERE i.code = :c"
        ),
        {"c": code},
    ).scalar_one()
    mode = stat.S_IMODE((settings.data_dir / stored).stat().st_mode)
    assert mode & 0o007 == 0, oct(mode)  # nothing for others
    assert mode == 0o640
