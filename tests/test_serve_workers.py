"""``gridmap serve --workers 2``: several server processes on one port, as deployed on a server.

A log-in made by one process is honoured by the other (one secret key, sessions in the
database), the log-in throttle counts across them, and when the supervisor is killed with -9
its workers stop too, so that no orphan keeps the port and the database connections.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from tests.conftest import TEST_PASSWORD, TEST_SECRET
from tests.served import free_port


def _children(pid: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(proc.name))
    return found


def _workers(pid: int) -> list[int]:
    """The server processes the supervisor started (not multiprocessing's resource tracker)."""
    return [
        child
        for child in _children(pid)
        if "spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes().decode(errors="replace")
    ]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def two_workers(
    pg_url: str, engine: Engine, users: dict[str, str], tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    env = os.environ | {
        "GRIDMAP_DATABASE_URL": pg_url,
        "GRIDMAP_SECRET_KEY": TEST_SECRET,
        "GRIDMAP_DATA_DIR": str(tmp_path / "data"),
    }
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "gridmap_cli.main", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and len(_workers(server.pid)) < 2:
        time.sleep(0.2)
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert server.poll() is None, (tmp_path / "server.log").read_text()[-2000:]
        time.sleep(0.2)
    try:
        yield server, base
    finally:
        workers = _workers(server.pid)
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_two_server_processes_share_sessions_and_stop_with_their_supervisor(
    two_workers: tuple[subprocess.Popen[bytes], str],
) -> None:
    server, base = two_workers
    workers = _workers(server.pid)
    assert len(workers) == 2

    # A session opened by whichever process took the log-in works on every connection, whichever
    # process accepts it (fresh connections spread over both).
    login = httpx.post(
        f"{base}/auth/login", json={"username": "t-county", "password": TEST_PASSWORD}
    )
    assert login.status_code == 200, login.text
    token = login.json()["token"]
    answers = []
    for _ in range(20):
        with httpx.Client(base_url=base) as fresh:  # a new connection each time
            answers.append(fresh.get("/auth/me", headers={"Authorization": f"Bearer {token}"}))
    assert {r.status_code for r in answers} == {200}
    assert {r.json()["user"]["username"] for r in answers} == {"t-county"}

    # kill -9 of the supervisor: it cannot stop its workers, they notice and stop by themselves.
    server.send_signal(signal.SIGKILL)
    server.wait(10)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers), "an orphaned server process kept running"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base}/health", timeout=2)
