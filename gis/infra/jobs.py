"""A small in-process job runner for work that outlives a request (optimizer runs).

Why in-process: one server process, no broker to install. The price, documented: jobs live in
memory, so a restart forgets them (the scenarios feature stores its results in PostGIS instead).
Jobs run one at a time in a worker thread, in submission order.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from gis.errors import GridmapError, NotFound

log = logging.getLogger(__name__)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Job:
    id: int
    kind: str
    params: dict[str, Any]
    state: str = "queued"  # queued → running → done | failed
    created_at: dt.datetime = field(default_factory=_now)
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    finished: threading.Event = field(default_factory=threading.Event, repr=False)

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "params": self.params,
            "created_at": self.created_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "error": self.error,
        }


class JobRunner:
    def __init__(self, workers: int = 1) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gridmap-job")
        self._jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def submit(self, kind: str, params: dict[str, Any], work: Callable[[], dict[str, Any]]) -> Job:
        with self._lock:
            job = Job(next(self._ids), kind, params)
            self._jobs[job.id] = job
        self._pool.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: Callable[[], dict[str, Any]]) -> None:
        job.state, job.started_at = "running", _now()
        try:
            job.result = work()
            job.state = "done"
        except GridmapError as exc:
            job.state, job.error = "failed", exc.message
        except Exception as exc:  # a bug: keep the server alive, say what failed
            log.exception("job %s (%s) failed", job.id, job.kind)
            job.state, job.error = "failed", f"internal error: {type(exc).__name__}"
        finally:
            job.finished_at = _now()
            job.finished.set()

    def get(self, job_id: int) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"no job {job_id}", job=job_id)
        return job

    def wait(self, job_id: int, timeout: float | None = None) -> Job:
        """Block until the job has finished (tests and the CLI use this)."""
        job = self.get(job_id)
        job.finished.wait(timeout)
        return job

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
