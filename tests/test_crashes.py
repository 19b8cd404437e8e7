"""kill -9, for real: of PostgreSQL during a stream of edits, and of the server in the middle of
an edit, an import, an adoption and a scenario job. Nothing is half-written and nothing
acknowledged is lost.

Everything here runs against its own PostGIS cluster (durability on, unlike the suite's fast
cluster) and a ``gridmap serve`` process, so that the kills are real process deaths. To kill
the server in the middle of a transaction at a known point, the test takes a table lock the
transaction needs last (``audit_log``: every change records itself at its end) or first
(``grid`` for a scenario job's writes), waits until the server's backend is seen waiting on it
in ``pg_stat_activity``, and then kills.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, Engine, text

from gis.access import Access
from gis.accounts import Role, create_user
from gis.infra.db import make_engine, migrate
from gis.infra.pgcluster import Cluster
from gis.infra.settings import Settings
from gis.loader import load_city
from gis.scope import Scope
from tests.served import free_port
from tests.tiny_city import COMMUNITY_A, DISTRICT, unit_code

G1, G2 = f"{COMMUNITY_A}001", f"{COMMUNITY_A}002"
PASSWORD = "crash-test-horse-battery"
SECRET = "crash-test-secret-0123456789abcdefghijkl"
SYSTEM = Access.system("system:tests")


@dataclass
class Crashable:
    """A PostGIS cluster and a served Gridmap on it, both of which the test may kill."""

    cluster: Cluster
    engine: Engine
    data_dir: Path
    port: int
    server: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start_server(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDMAP_")}
        env |= {
            "GRIDMAP_DATABASE_URL": self.cluster.url(),
            "GRIDMAP_DATA_DIR": str(self.data_dir),
            "GRIDMAP_SECRET_KEY": SECRET,
        }
        log = (self.data_dir / "server.log").open("ab")
        self.server = subprocess.Popen(
            [sys.executable, "-m", "gridmap_cli.main", "serve", "--port", str(self.port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert self.server.poll() is None, (self.data_dir / "server.log").read_text()[-2000:]
            time.sleep(0.1)
        raise AssertionError("the server did not answer /health within 60 s")

    def kill_server(self) -> None:
        assert self.server is not None
        self.server.send_signal(signal.SIGKILL)
        self.server.wait(timeout=30)
        self.server = None

    def kill_postgres(self) -> None:
        """SIGKILL to the postmaster and every one of its children at once: a crash."""
        pid = self.cluster.status().pid
        assert pid is not None
        children = [
            int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _ppid(p) == pid
        ]
        for victim in [pid, *children]:
            with contextlib.suppress(ProcessLookupError):  # a child that had just exited
                os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    def token(self, username: str) -> dict[str, str]:
        answer = httpx.post(
            f"{self.base}/auth/login",
            json={"username": username, "password": PASSWORD},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['token']}"}


def _ppid(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


@pytest.fixture(scope="module")
def crash(
    tmp_path_factory: pytest.TempPathFactory, tiny_city_path: Path, settings: Settings
) -> Iterator[Crashable]:
    root = tmp_path_factory.mktemp("crash")
    cluster = Cluster(root / "pg")  # durable: fsync and synchronous commit on
    cluster.start()
    migrate(cluster.url())
    engine = make_engine(cluster.url())
    load_city(engine, tiny_city_path, access=SYSTEM, weights=settings.weights)
    with engine.begin() as conn:
        for name, role, scope in (
            ("c-planner", Role.PLANNER, Scope.district(DISTRICT)),
            ("c-county", Role.COUNTY, Scope.district(DISTRICT)),
            ("c-admin", Role.ADMIN, Scope.city()),
        ):
            create_user(
                conn, access=SYSTEM, username=name, password=PASSWORD, role=role, scope=scope
            )
    data_dir = root / "data"
    data_dir.mkdir()
    target = Crashable(cluster, engine, data_dir, free_port())
    target.start_server()
    try:
        yield target
    finally:
        if target.server is not None:
            target.kill_server()
        engine.dispose()
        cluster.destroy()


def one(conn: Connection, sql: str, **params: Any) -> Any:
    return conn.execute(text(sql), params).scalar_one()


def layer_version(engine: Engine, layer: str = "unified") -> int:
    with engine.connect() as conn:
        return int(one(conn, "SELECT version FROM grid_layer WHERE code = :c", c=layer))


def grid_of_u2(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(
            one(
                conn,
                "SELECT g.code FROM grid_unit gu JOIN grid g ON g.id = gu.grid_id "
                "JOIN grid_layer l ON l.id = gu.layer_id JOIN base_unit u ON u.id = gu.unit_id "
                "WHERE l.code = 'unified' AND u.code = :u",
                u=unit_code(2),
            )
        )


def outlines_match_units(engine: Engine) -> bool:
    """Every unified grid of the tiny city is exactly the union of its units (nothing stale)."""
    with engine.connect() as conn:
        return bool(
            one(
                conn,
                "SELECT bool_and(ST_Equals(g.geom, s.geom)) FROM grid g "
                "JOIN grid_layer l ON l.id = g.layer_id AND l.code = 'unified' "
                "JOIN (SELECT gu.grid_id, ST_Union(u.geom) AS geom FROM grid_unit gu "
                "      JOIN base_unit u ON u.id = gu.unit_id GROUP BY gu.grid_id) s "
                "  ON s.grid_id = g.id "
                "WHERE starts_with(g.code, :d)",
                d=DISTRICT,
            )
        )


def audit_count(engine: Engine, action: str) -> int:
    with engine.connect() as conn:
        return int(one(conn, "SELECT count(*) FROM audit_log WHERE action = :a", a=action))


class HeldLock:
    """A table lock held by the test, so the server's transaction stops at a known point."""

    def __init__(self, engine: Engine, table: str) -> None:
        self.conn = engine.connect()
        self.tx = self.conn.begin()
        self.conn.execute(text(f"LOCK TABLE {table} IN EXCLUSIVE MODE"))
        self.table = table

    def wait_for_waiter(self, engine: Engine, seconds: float = 60) -> None:
        """Block until some other backend waits on a lock (the server's transaction)."""
        deadline = time.monotonic() + seconds
        with engine.connect() as conn:
            while time.monotonic() < deadline:
                waiting = one(
                    conn,
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
                )
                if waiting:
                    return
                conn.rollback()  # pg_stat_activity is a snapshot per transaction
                time.sleep(0.05)
        raise AssertionError(f"no transaction came to wait on {self.table}")

    def release(self) -> None:
        self.tx.rollback()
        self.conn.close()


def in_thread(call: Any) -> tuple[threading.Thread, dict[str, Any]]:
    """Run a request in a thread; its answer (or the error) lands in the returned dict."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["answer"] = call()
        except httpx.HTTPError as exc:
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def kill_server_midway(crash: Crashable, table: str, call: Any) -> dict[str, Any]:
    """Send ``call`` (a request) while the test holds ``table``; once its transaction waits on
    the lock, kill the server. Returns what the request thread got (never an answer)."""
    lock = HeldLock(crash.engine, table)
    thread, out = in_thread(call)
    try:
        lock.wait_for_waiter(crash.engine)
        crash.kill_server()
    finally:
        lock.release()
    thread.join(timeout=30)
    return out


def unified_plan(engine: Engine) -> list[Any]:
    """Every unit of the unified layer with its grid's code, by unit."""
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT g.code, u.code FROM grid_unit gu JOIN grid g ON g.id = gu.grid_id "
                "JOIN grid_layer l ON l.id = gu.layer_id JOIN base_unit u ON u.id = gu.unit_id "
                "WHERE l.code = 'unified' ORDER BY 2"
            )
        ).all()


def move_u2(crash: Crashable, headers: dict[str, str], to: str, timeout: float = 30) -> int:
    version = layer_version(crash.engine)
    answer = httpx.post(
        f"{crash.base}/layers/unified/edits",
        json={"units": [unit_code(2)], "to": to, "version": version},
        headers=headers,
        timeout=timeout,
    )
    return answer.status_code


def test_the_server_killed_in_the_middle_of_an_edit_leaves_nothing_half_written(
    crash: Crashable,
) -> None:
    headers = crash.token("c-planner")
    before_version, before_grid = layer_version(crash.engine), grid_of_u2(crash.engine)
    before_audit = audit_count(crash.engine, "layer.move")
    other = G2 if before_grid == G1 else G1

    # The edit has written its rows; its audit record waits on the lock.
    out = kill_server_midway(crash, "audit_log", lambda: move_u2(crash, headers, other))
    assert "answer" not in out  # nobody was told "done"

    crash.start_server()
    assert layer_version(crash.engine) == before_version
    assert grid_of_u2(crash.engine) == before_grid
    assert audit_count(crash.engine, "layer.move") == before_audit
    assert outlines_match_units(crash.engine)
    # … and the same edit goes through once the server is back.
    assert move_u2(crash, crash.token("c-planner"), other) == 200
    assert grid_of_u2(crash.engine) == other


def test_postgres_killed_during_a_stream_of_edits_loses_no_acknowledged_one(
    crash: Crashable,
) -> None:
    headers = crash.token("c-planner")
    start_version = layer_version(crash.engine)
    acknowledged: list[str] = []  # the grid U2 was moved to, for each edit answered 200
    refused: list[int] = []
    stop = threading.Event()

    def edit_forever() -> None:
        trusted = False  # after a failure, U2 may be where an unanswered edit put it: read it
        while not stop.is_set():
            where = acknowledged[-1] if acknowledged and trusted else grid_of_u2_safe()
            to = G2 if where == G1 else G1
            try:
                status = move_u2(crash, headers, to, timeout=10)
            except Exception:  # the database (read for the version) or the server is away
                status = -1
            trusted = status == 200
            if status == 200:
                acknowledged.append(to)
            else:
                refused.append(status)
            if status != 200:
                time.sleep(0.2)

    def grid_of_u2_safe() -> str:
        try:
            return grid_of_u2(crash.engine)
        except Exception:  # the database is down: any guess; a wrong one is refused, not lost
            return G1

    editor = threading.Thread(target=edit_forever, daemon=True)
    editor.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(acknowledged) >= 5, refused
    crash.kill_postgres()
    time.sleep(1.0)  # the editor meets the dead database for a while
    crash.cluster.start()  # crash recovery replays the WAL
    resumed = len(acknowledged)
    deadline = time.monotonic() + 60
    while len(acknowledged) < resumed + 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    editor.join(timeout=30)

    assert len(acknowledged) >= resumed + 3, f"the server did not recover: {refused[-5:]}"
    assert set(refused) <= {409, 503, -1}, refused  # never a 500 while the database was away
    # Every acknowledged edit is there: the version counts them (an edit that committed as the
    # database died, unanswered, may add one more), and U2 is where the last one put it.
    version = layer_version(crash.engine)
    assert start_version + len(acknowledged) <= version <= start_version + len(acknowledged) + 1
    assert grid_of_u2(crash.engine) == acknowledged[-1]
    with crash.engine.connect() as conn:
        recorded = one(
            conn,
            "SELECT count(*) FROM audit_log WHERE action = 'layer.move' "
            "AND at >= now() - interval '10 minutes'",
        )
    assert recorded >= len(acknowledged)
    assert outlines_match_units(crash.engine)


def _upload(crash: Crashable, headers: dict[str, str], layer: str, timeout: float = 60) -> int:
    """Import a departmental layer: the tiny city's unified grids under a new layer code."""
    with crash.engine.connect() as conn:
        features = conn.execute(
            text(
                "SELECT g.code, ST_AsGeoJSON(g.geom) FROM grid g JOIN grid_layer l "
                "ON l.id = g.layer_id WHERE l.code = 'unified' AND starts_with(g.code, :d)"
            ),
            {"d": DISTRICT},
        ).all()
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": c, "name": f"网格{c[-3:]}"},
             "geometry": json.loads(g)}
            for c, g in features
        ],
    }  # fmt: skip
    answer = httpx.post(
        f"{crash.base}/imports",
        files={"file": ("layer.geojson", json.dumps(collection).encode(), "application/geo+json")},
        data={"kind": "layer", "options": json.dumps({"layer": layer})},
        headers=headers,
        timeout=timeout,
    )
    return answer.status_code


def test_the_server_killed_in_the_middle_of_an_import_leaves_no_layer(crash: Crashable) -> None:
    headers = crash.token("c-admin")
    before = audit_count(crash.engine, "import.layer")
    out = kill_server_midway(crash, "audit_log", lambda: _upload(crash, headers, "crashed"))
    assert "answer" not in out

    crash.start_server()
    with crash.engine.connect() as conn:
        assert one(conn, "SELECT count(*) FROM grid_layer WHERE code = 'crashed'") == 0
    assert audit_count(crash.engine, "import.layer") == before
    assert not any(crash.data_dir.rglob("gridmap-upload-*")), "the killed upload stayed behind"
    assert _upload(crash, crash.token("c-admin"), "crashed") == 200
    with crash.engine.connect() as conn:
        assert one(
            conn,
            "SELECT count(*) FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
            "WHERE l.code = 'crashed'",
        ) == one(
            conn,
            "SELECT count(*) FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
            "WHERE l.code = 'unified' AND starts_with(g.code, :d)",
            d=DISTRICT,
        )


def _scenario(crash: Crashable, headers: dict[str, str]) -> dict[str, Any]:
    answer = httpx.post(
        f"{crash.base}/scenarios",
        json={"name": "崩溃测试", "area": [DISTRICT], "band": [300, 1500], "seed": 1},
        headers=headers,
        timeout=60,
    )
    assert answer.status_code == 202, answer.text
    return dict(answer.json())


def _wait_scenario(crash: Crashable, headers: dict[str, str], sid: int, states: set[str]) -> Any:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        body = httpx.get(f"{crash.base}/scenarios/{sid}", headers=headers, timeout=30).json()
        if body["state"] in states:
            return body
        time.sleep(0.2)
    raise AssertionError(f"scenario {sid} never reached {states}: {body}")


def test_a_scenario_job_killed_with_the_server_is_marked_failed_and_leaves_no_grids(
    crash: Crashable,
) -> None:
    headers = crash.token("c-county")
    lock = HeldLock(crash.engine, "grid")  # the job computes, then waits to write its grids
    try:
        scenario = _scenario(crash, headers)
        lock.wait_for_waiter(crash.engine)
        crash.kill_server()
    finally:
        lock.release()

    crash.start_server()
    headers = crash.token("c-county")
    after = _wait_scenario(crash, headers, scenario["id"], {"failed", "done", "cancelled"})
    assert after["state"] == "failed"
    assert "重启" in json.dumps(after, ensure_ascii=False)
    with crash.engine.connect() as conn:
        assert (
            one(
                conn,
                "SELECT count(*) FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
                "JOIN scenario s ON s.layer_id = l.id WHERE s.id = :s",
                s=scenario["id"],
            )
            == 0
        )


def test_the_server_killed_in_the_middle_of_an_adoption_keeps_todays_layer(
    crash: Crashable,
) -> None:
    headers = crash.token("c-county")
    scenario = _scenario(crash, headers)
    done = _wait_scenario(crash, headers, scenario["id"], {"done", "failed"})
    assert done["state"] == "done", done
    before_version = layer_version(crash.engine)
    before_plan = unified_plan(crash.engine)

    adopt_url = f"{crash.base}/scenarios/{scenario['id']}/adopt"
    out = kill_server_midway(
        crash,
        "audit_log",
        lambda: httpx.post(adopt_url, headers=headers, timeout=60).status_code,
    )
    assert "answer" not in out

    crash.start_server()
    headers = crash.token("c-county")
    assert layer_version(crash.engine) == before_version
    assert unified_plan(crash.engine) == before_plan
    state = httpx.get(f"{crash.base}/scenarios/{scenario['id']}", headers=headers).json()["state"]
    assert state == "done"  # not adopted
    adopted = httpx.post(adopt_url, headers=headers, timeout=60)
    assert adopted.status_code == 200, adopted.text
    assert layer_version(crash.engine) > before_version
    assert outlines_match_units(crash.engine)
