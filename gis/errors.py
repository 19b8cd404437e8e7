"""One error family for the whole domain.

Every failure a user can cause raises a :class:`GridmapError` subclass whose message says what was
wrong and how to fix it. The web layer maps ``status`` to an HTTP code in one place and the CLI
prints the message; neither needs to know the details.
"""

from __future__ import annotations


class GridmapError(Exception):
    """Base of every error a user can cause; ``status`` is the HTTP code it deserves."""

    status = 400
    title = "Bad request"

    def __init__(self, message: str, **detail: object) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class NotFound(GridmapError):
    status = 404
    title = "Not found"


class Invalid(GridmapError):
    """Input that is well-formed but wrong (a bbox with west > east, an unknown option)."""

    status = 422
    title = "Invalid input"


class InvalidGeometry(Invalid):
    title = "Invalid geometry"


class InvalidFile(Invalid):
    title = "Invalid file"


class TooLarge(InvalidFile):
    """A file over one of the import limits (unpacked size, compression ratio, members, rows)."""

    status = 413
    title = "File too large"


class Conflict(GridmapError):
    status = 409
    title = "Conflict"


class IllegalTransition(Conflict):
    title = "Illegal transition"


class Unauthorized(GridmapError):
    """No valid log-in: a missing, expired or revoked session, or a wrong password."""

    status = 401
    title = "Unauthorized"


class Forbidden(GridmapError):
    """Logged in, but the role or the scope does not reach this."""

    status = 403
    title = "Forbidden"


class Infeasible(Invalid):
    title = "Infeasible"


class Misconfigured(GridmapError):
    """A setting that production needs is missing or unsafe; the service refuses to start."""

    status = 500
    title = "Misconfigured"


class DatabaseUnavailable(GridmapError):
    status = 503
    title = "Database unavailable"
