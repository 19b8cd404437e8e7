"""Admission control: the server takes only as much work as it has database connections for.

Every request but static files and the API docs needs the database (if only to resolve the
session). Before this gate, 40 worker threads shared 10 pooled connections: at 50 concurrent
requests 40 waited 30 s for a connection and failed with a bare 500, and ``GET /auth/me`` stalled
behind them. Now:

- requests are admitted in three lanes, each with its own slots: ``light`` (``/health``,
  ``/auth/me``, ``/auth/logout``: cheap, and what tells a user or a load balancer whether the
  server lives), ``work`` (reads: GET and HEAD) and ``write`` (changes, which queue on their
  layer's lock: in a lane of their own they never hold up the map);
- the pool holds a connection for every slot (:func:`gis.infra.db.server_engine`), so an admitted
  request never waits for a connection;
- a request that finds its lane full waits in a short queue (``queue_per_slot`` requests per
  slot) for at most ``queue_seconds``; when the queue is full it is answered at once, in
  milliseconds, and when the wait is over it is answered then: ``503`` problem+json with
  ``Retry-After`` (seconds, as HTTP has it; ``retry_after_ms`` in the body).

The gate is pure ASGI and holds the slot until the answer is sent (a streamed export included).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import anyio

ASGIScope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[ASGIScope, Receive, Send], Awaitable[None]]

#: Paths that never touch the database: no slot needed.
FREE_PREFIXES = ("/static/",)
FREE_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
#: Cheap answers with slots of their own, so that they answer under load.
LIGHT_PATHS = frozenset({"/health", "/auth/me", "/auth/logout"})
RETRY_AFTER_SECONDS = 1


@dataclass
class Lane:
    """Slots of one kind of request, and the queue in front of them."""

    name: str
    slots: int
    queue_length: int
    queue_seconds: float
    waiting: int = 0
    active: int = 0
    refused: int = 0
    _semaphore: anyio.Semaphore | None = field(default=None, repr=False)

    @property
    def semaphore(self) -> anyio.Semaphore:
        if self._semaphore is None:  # made inside the event loop that uses it
            self._semaphore = anyio.Semaphore(self.slots)
        return self._semaphore

    async def enter(self) -> bool:
        """Take a slot, waiting in the queue if needed; False when refused."""
        semaphore = self.semaphore
        if semaphore.value == 0 and self.waiting >= self.queue_length:
            return False
        self.waiting += 1
        try:
            with anyio.move_on_after(self.queue_seconds):
                await semaphore.acquire()
                self.active += 1
                return True
        finally:
            self.waiting -= 1
        return False

    def leave(self) -> None:
        self.active -= 1
        self.semaphore.release()


@dataclass
class Admission:
    """The lanes of one app (kept on ``app.state.admission``: tests read it)."""

    work: Lane
    write: Lane
    light: Lane

    @classmethod
    def create(
        cls,
        *,
        request_slots: int,
        write_slots: int,
        light_slots: int,
        queue_per_slot: int,
        queue_seconds: float,
    ) -> Admission:
        def lane(name: str, slots: int) -> Lane:
            return Lane(name, slots, slots * queue_per_slot, queue_seconds)

        # Light requests queue briefly too, but never behind the heavy ones.
        return cls(
            lane("work", request_slots), lane("write", write_slots), lane("light", light_slots)
        )

    def lane(self, path: str, method: str) -> Lane | None:
        if path in FREE_PATHS or path.startswith(FREE_PREFIXES):
            return None
        if path in LIGHT_PATHS:
            return self.light
        return self.work if method in ("GET", "HEAD") else self.write


class AdmissionGate:
    """Admits database work up to the slots there are connections for (see the module doc)."""

    def __init__(self, app: ASGIApp, *, admission: Admission) -> None:
        self.app = app
        self.admission = admission

    async def __call__(self, scope: ASGIScope, receive: Receive, send: Send) -> None:
        http = scope["type"] == "http"
        lane = self.admission.lane(scope["path"], scope["method"]) if http else None
        if lane is None:
            await self.app(scope, receive, send)
            return
        if not await lane.enter():
            lane.refused += 1
            await busy(send, scope["path"], lane)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            lane.leave()


async def busy(send: Send, path: str, lane: Lane) -> None:
    """The 503 answer of a full lane."""
    body = json.dumps(
        {
            "type": "about:blank",
            "title": "Service unavailable",
            "status": 503,
            "detail": f"服务器繁忙，请 {RETRY_AFTER_SECONDS} 秒后重试 (the server is busy: "
            f"{lane.active} requests in progress, {lane.waiting} waiting; "
            f"retry in {RETRY_AFTER_SECONDS} s)",
            "instance": path,
            "retry_after_ms": RETRY_AFTER_SECONDS * 1000,
        },
        ensure_ascii=False,
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
