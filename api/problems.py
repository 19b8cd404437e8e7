"""Errors as ``application/problem+json`` (RFC 9457), mapped from the domain in one place.

:func:`install` registers the handlers and makes the OpenAPI document say so: every operation
lists the problem answers it can give (401/403 where a log-in is needed, 404, 413 with a body,
422, 429 for log-in) with the :class:`~api.schemas.Problem` schema, instead of FastAPI's
``HTTPValidationError``.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.schemas import Problem
from gis.errors import GridmapError

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
DESCRIPTIONS = {
    "400": "Bad request",
    "401": "Not logged in (or the session ended)",
    "403": "Forbidden: the role or the scope does not reach this, or a failed CSRF check",
    "404": "Not found",
    "409": "Conflict",
    "413": "Request body too large",
    "422": "Invalid input",
    "429": "Too many failed log-ins",
    "503": "Busy, or the database is unavailable: retry after Retry-After seconds",
}
#: Problem titles for HTTP errors raised outside the domain (routing, methods, limits):
#: Chinese first, like the domain errors' titles in gis/errors.py.
TITLES = {
    400: "请求有误 Bad request",
    401: "未登录 Unauthorized",
    403: "无权访问 Forbidden",
    404: "未找到 Not found",
    405: "不支持此请求方法 Method not allowed",
    406: "无法提供所需格式 Not acceptable",
    409: "冲突 Conflict",
    413: "请求内容过大 Request body too large",
    415: "不支持的内容类型 Unsupported media type",
    422: "输入有误 Invalid input",
    429: "请求过于频繁 Too many requests",
    500: "服务器内部错误 Internal server error",
    503: "服务暂不可用 Service unavailable",
}
#: Seconds a client is told to wait when the database is away.
DATABASE_RETRY_AFTER = 5


def problem(status: int, title: str, detail: str, instance: str, **extra: Any) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    } | extra
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def database_trouble(exc: BaseException) -> str:
    """What is wrong with the database, in words for an operator (never the SQL)."""
    if isinstance(exc, sa_exc.TimeoutError):
        return "数据库连接已用尽 (no free database connection in time)"
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None) or ""
    if sqlstate == "53100":
        return "数据库磁盘已满 (the database's disk is full: free space, then retry)"
    if sqlstate.startswith("53"):
        return f"数据库资源不足 (the database is out of resources, SQLSTATE {sqlstate})"
    if sqlstate.startswith("57P"):
        return "数据库正在关闭或重启 (the database is shutting down or restarting)"
    return "无法连接数据库 (the database cannot be reached)"


def database_unavailable(path: str, exc: BaseException) -> JSONResponse:
    """503 problem+json with Retry-After: the database is away, full or busy."""
    log.warning("database unavailable at %s: %s", path, str(exc).splitlines()[0][:300])
    trouble = database_trouble(exc)
    # /health lists its problems (the route adds the disk's when the database answers).
    extra: dict[str, Any] = {"problems": [trouble], "database": None} if path == "/health" else {}
    answer = problem(
        503,
        TITLES[503],
        trouble,
        path,
        retry_after_ms=DATABASE_RETRY_AFTER * 1000,
        **extra,
    )
    answer.headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return answer


#: RFC 9457's own members: a detail of a domain error never overrides them.
PROBLEM_MEMBERS = frozenset({"type", "title", "status", "detail", "instance"})


def install(app: FastAPI) -> None:
    @app.exception_handler(GridmapError)
    async def domain_error(request: Request, exc: GridmapError) -> JSONResponse:
        # Scalars, and lists of them or of small records (an import's problems, row by row).
        extra = {
            k: json.loads(json.dumps(v, ensure_ascii=False, default=str))
            if isinstance(v, list)
            else v
            for k, v in exc.detail.items()
            if isinstance(v, str | int | float | bool | list) and k not in PROBLEM_MEMBERS
        }
        answer = problem(exc.status, exc.title, exc.message, request.url.path, **extra)
        if exc.status == 401:
            answer.headers["WWW-Authenticate"] = 'Bearer realm="gridmap"'
        if exc.status == 429 and "retry_after" in exc.detail:
            answer.headers["Retry-After"] = str(exc.detail["retry_after"])
        return answer

    @app.exception_handler(sa_exc.OperationalError)
    @app.exception_handler(sa_exc.InterfaceError)
    @app.exception_handler(sa_exc.TimeoutError)
    async def database_away(request: Request, exc: Exception) -> JSONResponse:
        return database_unavailable(request.url.path, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"])
        detail = f"请求参数有误 {where} ({where}: {first['msg']})"
        return problem(422, TITLES[422], detail, request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "error"
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"此地址没有资源 (no resource at {request.url.path})"
        elif exc.status_code == 405 and detail == "Method Not Allowed":
            detail = f"此地址不支持 {request.method} 请求 (method not allowed)"
        try:
            title = TITLES.get(exc.status_code) or HTTPStatus(exc.status_code).phrase
        except ValueError:
            title = detail
        answer = problem(exc.status_code, title, detail, request.url.path)
        for name, value in (exc.headers or {}).items():
            answer.headers[name] = value
        return answer

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = document_problems(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Describe every operation's problem answers with the Problem schema (see module doc)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema()
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            codes = {"400", "422", "503"}  # 400: a URL with a NUL byte (api.security.BodyLimit)
            if operation.get("security"):
                codes |= {"401", "403"}
            if "{" in path or any(p.get("in") == "query" for p in operation.get("parameters", [])):
                codes.add("404")
            if "requestBody" in operation:
                codes |= {"403", "409", "413"}
            if method != "get":
                codes.add("403")  # the Origin check
            if path.endswith("/login"):
                codes |= {"401", "429"}
            codes |= {c for c in responses if c[0] in "45"}
            if path == "/health":
                codes = {"503"}
            for code in codes:
                entry = responses.setdefault(code, {})
                entry["description"] = entry.get("description") or DESCRIPTIONS.get(code, "Error")
                entry["content"] = {PROBLEM: {"schema": PROBLEM_REF}}
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema
