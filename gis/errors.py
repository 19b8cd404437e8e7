"""One error family for the whole domain.

Every failure a user can cause raises a :class:`GridmapError` subclass whose message says what was
wrong and how to fix it. The web layer maps ``status`` to an HTTP code in one place and the CLI
prints the message; neither needs to know the details.
"""

from __future__ import annotations


class GridmapError(Exception):
    """Base of every error a user can cause; ``status`` is the HTTP code it deserves."""

    status = 400
    title = "请求有误 Bad request"

    def __init__(self, message: str, **detail: object) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class NotFound(GridmapError):
    status = 404
    title = "未找到 Not found"


class Invalid(GridmapError):
    """Input that is well-formed but wrong (a bbox with west > east, an unknown option)."""

    status = 422
    title = "输入有误 Invalid input"


class InvalidGeometry(Invalid):
    title = "几何无效 Invalid geometry"


class InvalidFile(Invalid):
    title = "文件有误 Invalid file"


class TooLarge(InvalidFile):
    """A file over one of the import limits (unpacked size, compression ratio, members, rows)."""

    status = 413
    title = "文件过大 File too large"


class Conflict(GridmapError):
    status = 409
    title = "冲突 Conflict"


class IllegalTransition(Conflict):
    title = "当前状态不允许此操作 Illegal transition"


class TooManyRequests(GridmapError):
    """Over a rate limit (a public form): ``retry_after`` in the detail says how long to wait."""

    status = 429
    title = "请求过于频繁 Too many requests"


class Unauthorized(GridmapError):
    """No valid log-in: a missing, expired or revoked session, or a wrong password."""

    status = 401
    title = "未登录 Unauthorized"


class Forbidden(GridmapError):
    """Logged in, but the role or the scope does not reach this."""

    status = 403
    title = "无权访问 Forbidden"


class Infeasible(Invalid):
    title = "无法实现 Infeasible"


class Misconfigured(GridmapError):
    """A setting that production needs is missing or unsafe; the service refuses to start."""

    status = 500
    title = "配置有误 Misconfigured"


class DatabaseUnavailable(GridmapError):
    status = 503
    title = "数据库不可用 Database unavailable"
