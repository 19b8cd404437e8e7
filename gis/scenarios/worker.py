"""The durable job runner of scenarios: jobs are rows in PostGIS, run by a worker thread.

Why this shape: one server process and no broker to install, yet nothing is lost on a restart.
``POST /scenarios`` only inserts a queued job; the worker claims queued jobs one at a time
(``FOR UPDATE SKIP LOCKED``, so several processes may run workers), writes progress and checks
for a cancel request between communities.

While it runs a job, a worker holds a PostgreSQL session advisory lock on the job's id. A server
that stops — cleanly or not — loses its connections and so its locks. At start-up
:func:`recover_interrupted` marks every job that is 'running' but whose lock nobody holds as
failed, "interrupted by a restart of the server": a job is never silently lost nor left running
forever, and a job another live process is running is left alone. Re-run such a scenario by
creating it again (same parameters and seed: same plan).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import Connection, Engine, text

from gis.scenarios.run import Hook, Tx, engine_tx, run_job

log = logging.getLogger(__name__)

#: First key of the two-int advisory lock of a running scenario job (the second is its id).
LOCK_CLASS = 60061
INTERRUPTED = (
    "服务器重启中断了本次计算，请重新创建方案再运行一次 "
    "(interrupted by a restart of the server: create the scenario again to re-run it)"
)

_CLAIM = """
    WITH next AS (
        SELECT id FROM scenario_job
        WHERE state = 'queued' {only}
        ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1
    )
    UPDATE scenario_job j SET state = 'running', started_at = now()
    FROM next WHERE j.id = next.id
    RETURNING j.id, j.scenario_id
"""


def claim(conn: Connection, job_id: int | None = None, *, lock: bool = False) -> int | None:
    """Take the next queued job (or that one) for running; None when there is none.

    With ``lock``, the session advisory lock of the job is taken on ``conn`` first: it outlives
    this transaction and tells :func:`recover_interrupted` that the job is alive.
    """
    only = "AND id = :only" if job_id is not None else ""
    row = conn.execute(text(_CLAIM.format(only=only)), {"only": job_id}).first()
    if row is None:
        return None
    if lock:
        conn.execute(text("SELECT pg_advisory_lock(:c, :j)"), {"c": LOCK_CLASS, "j": row.id})
    conn.execute(
        text("UPDATE scenario SET state = 'running' WHERE id = :s"), {"s": row.scenario_id}
    )
    return int(row.id)


def recover_interrupted(conn: Connection) -> list[int]:
    """Mark running jobs whose worker is gone as failed; returns their ids (see module doc)."""
    rows = conn.execute(
        text(
            """UPDATE scenario_job SET state = 'failed', error = :why, finished_at = now()
               WHERE id IN (SELECT id FROM scenario_job WHERE state = 'running'
                            FOR UPDATE SKIP LOCKED)
                 AND pg_try_advisory_xact_lock(:c, id)
               RETURNING id, scenario_id"""
        ),
        {"why": INTERRUPTED, "c": LOCK_CLASS},
    ).all()
    if rows:
        conn.execute(
            text("UPDATE scenario SET state = 'failed' WHERE id = ANY(:ids)"),
            {"ids": [r.scenario_id for r in rows]},
        )
        log.warning("%d scenario job(s) were interrupted by a restart: marked failed", len(rows))
    return [int(r.id) for r in rows]


def run_queued(
    tx: Tx, *, hook: Hook | None = None, scheduler: str | None = None
) -> list[tuple[int, str]]:
    """Run every queued job now, in this thread, through ``tx`` (the CLI's and the tests' way;
    no advisory lock: the caller's transaction is the only one that sees them)."""
    ran: list[tuple[int, str]] = []
    while True:
        with tx() as conn:
            job_id = claim(conn)
        if job_id is None:
            return ran
        ran.append((job_id, run_job(tx, job_id, hook=hook, scheduler=scheduler)))


class ScenarioWorker:
    """Runs queued scenario jobs in one background thread of the app process."""

    def __init__(
        self, engine: Engine, *, poll_seconds: float = 5.0, scheduler: str | None = None
    ) -> None:
        self.engine = engine
        self.scheduler = scheduler  # a Dask cluster for the optimizer (GRIDMAP_OPTIMIZER_SCHEDULER)
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._finished = threading.Condition()
        self._thread: threading.Thread | None = None
        self.recovered: list[int] = []

    def start(self) -> None:
        """Start the thread; its first act is :func:`recover_interrupted` (so that an app whose
        database is not up yet still starts: the thread retries)."""
        self._thread = threading.Thread(target=self._loop, name="gridmap-scenarios", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking jobs. A job still running when the process exits is marked failed at the
        next start (module doc)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_one(self, job_id: int | None = None, *, hook: Hook | None = None) -> Any:
        """Claim and run one queued job (that one, if given) under its advisory lock; returns
        (job id, final state), or None when there was nothing to run."""
        with self.engine.connect() as holder:
            with holder.begin():
                claimed = claim(holder, job_id, lock=True)
            if claimed is None:
                return None
            try:
                state = run_job(
                    engine_tx(self.engine), claimed, hook=hook, scheduler=self.scheduler
                )
            finally:
                holder.execute(
                    text("SELECT pg_advisory_unlock(:c, :j)"), {"c": LOCK_CLASS, "j": claimed}
                )
                holder.commit()
        with self._finished:
            self._finished.notify_all()
        return claimed, state

    def wait(self, job_id: int, timeout: float = 60.0) -> str:
        """Block until the job is no longer queued or running; returns its state."""

        def state() -> str:
            with self.engine.connect() as conn:
                found = conn.execute(
                    text("SELECT state FROM scenario_job WHERE id = :j"), {"j": job_id}
                ).scalar()
            return str(found)

        with self._finished:
            self._finished.wait_for(lambda: state() not in ("queued", "running"), timeout)
        return state()

    def _recover(self) -> bool:
        try:
            with self.engine.begin() as conn:
                self.recovered = recover_interrupted(conn)
        except Exception:  # the database is not reachable (yet): try again at the next poll
            log.exception("scenario worker could not check for interrupted jobs")
            return False
        return True

    def _loop(self) -> None:
        recovered = self._recover()  # at least once, even when stopped at once
        while not recovered and not self._stop.is_set():
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
            recovered = self._recover()
        while not self._stop.is_set():
            try:
                ran = self.run_one()
            except Exception:  # the database went away: keep the thread, try again later
                log.exception("scenario worker could not take a job")
                ran = None
            if ran is None:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
