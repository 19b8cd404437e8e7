"""Answers computed once and served again until the data under them change.

The hottest reads of a county office (the layer list with its balance figures, the incident
figures) are the same answer for every user of one scope until somebody writes; under load
they were half of PostgreSQL's work (issue 15). :func:`remembered` keeps such an answer in this
process, keyed by the function, its arguments, what the caller may see (:func:`view_key`) and
the *data versions* of the subjects it reads (gis.infra.versions: counters that every
committed write to their tables bumps, kept by triggers, so no write path can forget).

Correctness, in the order a reader runs:

1. it reads the versions (one tiny query); 2. on a miss it computes the answer in a later
   statement, so the answer is at least as new as the versions it is stored under — never
   older, which is the staleness that matters;
3. a transaction that has itself written to a watched table (``gridmap.wrote``) neither reads
   nor stores: its answers hold its own uncommitted rows.

An answer that also depends on the clock (the overdue count of the incident figures) is kept
at most ``max_age`` seconds and carries the instant it was computed for (its ``now``).
Answers are shared between requests: callers must not mutate them.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Connection

from gis.access import Access
from gis.infra.versions import SUBJECTS, read_versions

MAX_ENTRIES = 512

P = ParamSpec("P")
R = TypeVar("R")


def view_key(*, access: Access) -> Hashable:
    """Everything about the caller that can change an answer: scope, role, department, personal
    data and the extra permissions of a read-only grant. Two users who agree on these see the
    same answer; the role and grants are in the key, so an answer is never served to a caller
    whose permissions were not checked by computing it for the same ones."""
    user = access.user
    return (
        access.scope,
        access.personal_data,
        access.extra,
        user.role if user is not None else None,
        user.department if user is not None else None,
    )


@dataclass
class _Entry:
    value: Any
    at: dt.datetime | None


class AnswerCache:
    """A bounded, thread-safe map of answers (least recently used goes first), with one lock per
    key so that a burst of requests for a just-invalidated answer computes it once."""

    def __init__(self, max_entries: int = MAX_ENTRIES, *, enabled: bool = True) -> None:
        self.max_entries = max_entries
        self.enabled = enabled
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: Hashable, now: dt.datetime | None, max_age: float | None) -> _Entry | None:
        with self._guard:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if max_age is not None and not _fresh(entry.at, now, max_age):
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: Hashable, entry: _Entry) -> None:
        with self._guard:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                old, _ = self._entries.popitem(last=False)
                self._locks.pop(old, None)

    def lock(self, key: Hashable) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def forget(self, key: Hashable) -> None:
        """Drop the lock of a key whose answer was not stored (its reader raised), so that
        refused or failed reads do not leave one lock each behind for good."""
        with self._guard:
            if key not in self._entries:
                self._locks.pop(key, None)

    def clear(self) -> None:
        with self._guard:
            self._entries.clear()
            self._locks.clear()
            self.hits = self.misses = 0


def _fresh(at: dt.datetime | None, now: dt.datetime | None, max_age: float) -> bool:
    if at is None or now is None:
        return False
    return 0 <= (now - at).total_seconds() <= max_age


#: The process's cache; a server turns it off with ``GRIDMAP_ANSWER_CACHE=0`` (settings).
CACHE = AnswerCache()


def remembered(
    *subjects: str, max_age: float | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Serve the decorated reader's answer again while ``subjects``' versions are unchanged.

    The reader takes the connection first and ``access`` by keyword; every other argument must
    be hashable (it is part of the key; an unhashable one computes without the cache). With
    ``max_age``, the reader takes ``now`` by keyword and an answer serves calls whose ``now``
    lies within ``max_age`` seconds after the one it was computed for.
    """
    unknown = set(subjects) - set(SUBJECTS)
    if unknown:
        raise ValueError(f"unknown data subjects {sorted(unknown)}")

    def decorate(reader: Callable[P, R]) -> Callable[P, R]:
        name = f"{reader.__module__}.{reader.__qualname__}"

        @functools.wraps(reader)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            conn = args[0]
            if not CACHE.enabled or not isinstance(conn, Connection):
                return reader(*args, **kwargs)
            access = kwargs.get("access")
            now = kwargs.get("now") if max_age is not None else None
            if not isinstance(access, Access) or (max_age is not None and now is None):
                return reader(*args, **kwargs)
            rest = tuple(sorted((k, v) for k, v in kwargs.items() if k not in ("access", "now")))
            versions = read_versions(conn, subjects)
            if versions.wrote:
                return reader(*args, **kwargs)
            seen = view_key(access=access)
            key = (name, subjects, conn.engine.url, args[1:], rest, seen, versions.numbers)
            try:
                hash(key)
            except TypeError:
                return reader(*args, **kwargs)
            at = now if isinstance(now, dt.datetime) else None
            with CACHE.lock(key):
                entry = CACHE.get(key, at, max_age)
                if entry is not None:
                    CACHE.hits += 1
                    return entry.value  # type: ignore[no-any-return]
                CACHE.misses += 1
                try:
                    value = reader(*args, **kwargs)
                except BaseException:
                    CACHE.forget(key)
                    raise
                CACHE.put(key, _Entry(value, at))
                return value

        return wrapper

    return decorate
