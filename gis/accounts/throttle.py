"""The log-in throttle: failed log-ins counted in the database, so every server process shares it.

Failed log-ins are counted per (user name, client address) and per client address in a sliding
window; over the limit, log-in answers "wait" *before* the password is checked (so a flood costs
no argon2 time). The counts live in ``login_failure`` (one row per failure, kept for the window),
so several server processes, and a restarted one, see the same failures.

Why not a library: the maintained rate limiters (``limits``, ``slowapi``) keep their counters in
memory, Redis, Memcached or MongoDB; Gridmap's only shared store is PostgreSQL, and the throttle
must run inside the log-in's own transaction (a failure is recorded with its audit row, or not at
all). A table and three statements do that.

Guesses racing in parallel cannot slip past the limit together: :meth:`LoginThrottle.retry_after`
takes a transaction lock on (user name, address), so the next guess at that pair waits until the
one before has been counted and committed. (The per-address limit of all names is not locked:
parallel guesses at *different* names may overshoot it by the few the admission gate lets run.)
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import Connection, text

#: What is kept of a user name (longer ones are cut; a made-up name costs one short row).
NAME_LENGTH = 64
#: First key of the advisory lock that serialises log-ins of one (user name, address).
LOCK_CLASS = 60062


@dataclass(frozen=True)
class LoginThrottle:
    """Limits of failed log-ins in a window (see the module doc); the clock is the caller's."""

    max_failures: int = 5  # per user name and client address
    max_failures_per_ip: int = 50  # per client address, any user names
    window: dt.timedelta = dt.timedelta(minutes=15)

    @staticmethod
    def _name(username: str) -> str:
        # Any text may be typed as a user name; PostgreSQL text holds no NUL.
        return username.replace("\x00", "").strip().lower()[:NAME_LENGTH]

    def retry_after(
        self, conn: Connection, username: str, ip: str, *, now: dt.datetime
    ) -> int | None:
        """Seconds to wait before this user name may try again from this address, or None."""
        since = now - self.window
        # Held until the caller's transaction ends, i.e. until this attempt's failure is counted.
        conn.execute(
            text("SELECT pg_advisory_xact_lock(:c, hashtext(:ip || '/' || :name))"),
            {"c": LOCK_CLASS, "ip": ip[:64], "name": self._name(username)},
        )
        row = conn.execute(
            text(
                "SELECT (SELECT at FROM login_failure WHERE client_ip = :ip AND at > :since "
                "        AND username = :name ORDER BY at DESC OFFSET :n_user LIMIT 1), "
                "       (SELECT at FROM login_failure WHERE client_ip = :ip AND at > :since "
                "        ORDER BY at DESC OFFSET :n_ip LIMIT 1)"
            ),
            {
                "ip": ip[:64],
                "name": self._name(username),
                "since": since,
                "n_user": self.max_failures - 1,
                "n_ip": self.max_failures_per_ip - 1,
            },
        ).one()
        # The limit-th newest failure inside the window: the wait ends when it leaves the window.
        oldest = [at for at in row if at is not None]
        if not oldest:
            return None
        wait = (max(oldest) + self.window - now).total_seconds()
        return max(1, math.ceil(float(wait)))

    def failed(self, conn: Connection, username: str, ip: str, *, now: dt.datetime) -> None:
        """Count a failed log-in, and drop failures that have left the window."""
        conn.execute(
            text("DELETE FROM login_failure WHERE at <= :since"), {"since": now - self.window}
        )
        conn.execute(
            text("INSERT INTO login_failure (username, client_ip, at) VALUES (:name, :ip, :now)"),
            {"name": self._name(username), "ip": ip[:64], "now": now},
        )

    def succeeded(self, conn: Connection, username: str, ip: str) -> None:
        """A right password clears the count of this user name at this address."""
        conn.execute(
            text("DELETE FROM login_failure WHERE username = :name AND client_ip = :ip"),
            {"name": self._name(username), "ip": ip[:64]},
        )
