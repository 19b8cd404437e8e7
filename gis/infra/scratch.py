"""A scratch directory per server process, and the clean-up of those that killed processes left.

An import writes its upload to a temporary directory and deletes it when done; a process killed
with -9 cannot, and its ``gridmap-upload-*`` files stayed in the temporary folder for good. Now
each server process works under its own ``gridmap-proc-<pid>-…`` directory, holding an exclusive
``flock`` on a file inside it for as long as it lives. The lock dies with the process, whatever
killed it, so the next process to start removes every scratch directory whose lock it can take:
nothing of a live process is touched, nothing of a dead one is left.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

PREFIX = "gridmap-proc-"
LOCK_NAME = ".owner.lock"
#: Upload directories of Gridmap versions before per-process scratch: removed when this old.
LEGACY_PREFIX = "gridmap-upload-"
LEGACY_AGE_SECONDS = 3600


class ScratchDir:
    """This process's scratch directory (locked while open); :meth:`close` removes it."""

    def __init__(self, base: Path | None = None) -> None:
        self.base = Path(base or tempfile.gettempdir())
        self.path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=self.base))
        self._lock: IO[bytes] | None = (self.path / LOCK_NAME).open("wb")
        fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None
        shutil.rmtree(self.path, ignore_errors=True)


def _owner_gone(directory: Path) -> bool:
    """True when no live process holds the directory's lock (or it never had one)."""
    try:
        with (directory / LOCK_NAME).open("rb") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
    except FileNotFoundError:  # never locked, or just being made: give it a minute
        with contextlib.suppress(OSError):
            return time.time() - directory.stat().st_mtime > 60
        return True
    except OSError:  # locked: its process lives
        return False


def clean_stale(base: Path | None = None, *, now: float | None = None) -> list[Path]:
    """Remove the scratch directories of processes that are gone; returns what was removed."""
    base = Path(base or tempfile.gettempdir())
    now = time.time() if now is None else now
    removed: list[Path] = []
    for entry in base.glob(f"{PREFIX}*"):
        if entry.is_dir() and _owner_gone(entry):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    for entry in base.glob(f"{LEGACY_PREFIX}*"):
        with contextlib.suppress(OSError):
            if now - entry.stat().st_mtime > LEGACY_AGE_SECONDS:
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
    if removed:
        log.info("removed %d scratch directories left by stopped processes", len(removed))
    return removed
