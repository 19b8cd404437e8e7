"""`gridmap db` owns a PostGIS: start, a status that tells the truth, stop, survive kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from gis.infra.pgcluster import Cluster

GRIDMAP = [sys.executable, "-m", "gridmap_cli.main"]


def run(data_dir: Path, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDMAP_")}
    env["GRIDMAP_DATA_DIR"] = str(data_dir)
    if url:
        env["GRIDMAP_DATABASE_URL"] = url
    return subprocess.run(
        [*GRIDMAP, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def wait_gone(pid: int) -> None:
    """Block until the killed process has disappeared (waitpid-like, no fixed sleep)."""
    while Path(f"/proc/{pid}").exists():
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split()[2]
        except OSError:
            return
        if state == "Z":
            return
        os.sched_yield()


@pytest.fixture
def data_dir(tmp_path: Path):
    yield tmp_path / "gm"
    Cluster(tmp_path / "gm").destroy()


def test_start_status_stop_and_recover_from_kill(data_dir: Path) -> None:
    absent = run(data_dir, "db", "status")
    assert absent.returncode == 1 and "absent" in absent.stdout

    started = run(data_dir, "db", "start")
    assert started.returncode == 0, started.stderr
    assert "running" in started.stdout
    status = run(data_dir, "db", "status")
    assert status.returncode == 0 and "running" in status.stdout

    url = run(data_dir, "db", "url").stdout.strip()
    assert url.startswith("postgresql+psycopg://gridmap:") and "127.0.0.1" in url
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("CREATE TABLE survivor (x int)")
        conn.execute("INSERT INTO survivor VALUES (42)")

    again = run(data_dir, "db", "start")  # idempotent: same server
    assert again.returncode == 0 and again.stdout == status.stdout

    cluster = Cluster(data_dir)
    pid = cluster.status().pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    wait_gone(pid)
    after_kill = run(data_dir, "db", "status")
    assert after_kill.returncode == 1 and "stopped" in after_kill.stdout

    restarted = run(data_dir, "db", "start")
    assert restarted.returncode == 0, restarted.stderr + restarted.stdout
    with psycopg.connect(cluster.url().replace("+psycopg", "")) as conn:
        assert conn.execute("SELECT x FROM survivor").fetchone() == (42,)

    stopped = run(data_dir, "db", "stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    final = run(data_dir, "db", "status")
    assert final.returncode == 1 and "stopped" in final.stdout


def test_stale_pid_file_is_recovered(data_dir: Path) -> None:
    cluster = Cluster(data_dir)
    cluster.start()
    cluster.stop()
    pidfile = cluster.pgdata / "postmaster.pid"
    # A pid file left by a crash, naming a pid that is not a postgres (our own test process).
    pidfile.write_text(f"{os.getpid()}\n{cluster.pgdata}\n0\n5432\n")
    if cluster.as_root:
        os.chown(pidfile, *_postgres_ids())
    assert cluster.status().state == "stopped"
    assert cluster.start().state == "running"


def _postgres_ids() -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam("postgres")
    return entry.pw_uid, entry.pw_gid


def test_external_url_starts_nothing(data_dir: Path, pg_url: str) -> None:
    out = run(data_dir, "db", "start", url=pg_url)
    assert out.returncode == 0 and "starts nothing" in out.stdout
    assert not data_dir.exists()
    status = run(data_dir, "db", "status", url=pg_url)
    assert status.returncode == 0 and "reachable" in status.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="as a normal user the tests above already cover it")
def test_works_as_a_normal_user(tmp_path: Path) -> None:
    """As root we run the server through runuser; a normal user runs it directly."""
    import shutil

    home = tmp_path / "home"
    home.mkdir()
    shutil.chown(home, "postgres", "postgres")
    tmp_path.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDMAP_")}
    env |= {"GRIDMAP_DATA_DIR": str(home / "gm"), "HOME": str(home)}

    def as_user(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["runuser", "-u", "postgres", "--", *GRIDMAP, *args],
            capture_output=True, text=True, env=env, timeout=120, check=False, cwd=home,
        )  # fmt: skip

    reach = as_user("--help")
    if reach.returncode != 0:  # e.g. the interpreter lives under a 0700 home directory
        pytest.skip(f"the postgres user cannot run this checkout's Python: {reach.stderr[-200:]}")
    try:
        started = as_user("db", "start")
        assert started.returncode == 0, started.stderr
        assert "running" in as_user("db", "status").stdout
        assert (home / "gm" / "password").stat().st_uid == _postgres_ids()[0]
    finally:
        as_user("db", "stop")
