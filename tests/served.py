"""A real uvicorn server of an app with its own settings (load, faults, client addresses)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine

from api.app import server_config
from gis.accounts import get_user, open_session


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` on a free localhost port, as ``gridmap serve`` does; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(server_config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    tick = threading.Event()  # never set: a wait with a bound, while uvicorn binds its port
    for _ in range(3000):
        if server.started or not thread.is_alive():
            break
        tick.wait(0.02)
    if not server.started:
        raise RuntimeError("uvicorn did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def bearer(engine: Engine, app: FastAPI, username: str) -> dict[str, str]:
    """The header of a committed session of a test user (no argon2 round)."""
    with engine.begin() as conn:
        session = open_session(conn, get_user(conn, username), policy=app.state.policy)
    return {"Authorization": f"Bearer {session.token}"}
