"""Test fixtures: a real, throwaway PostGIS; the tiny city and the sample city loaded once.

With ``GRIDMAP_TEST_DATABASE_URL`` set, that database is used (it must be PostGIS 3 and may be
emptied); otherwise a private cluster is started under a temporary directory and deleted at the
end. Tests that write run inside a transaction that is rolled back, so they cannot see each other.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from api.app import create_app
from api.deps import get_connection
from gis.db import make_engine, migrate
from gis.loader import load_city
from gis.pgcluster import Cluster
from gis.settings import DEFAULT_SAMPLE, Settings, load_settings
from tests.tiny_city import write_tiny_city

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("GRIDMAP_TEST_DATABASE_URL")
    if external:
        yield external
        return
    cluster = Cluster(tmp_path_factory.mktemp("pg"), fast=True)
    cluster.start()
    try:
        yield cluster.url()
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def settings(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return load_settings(database_url=pg_url, data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def tiny_city_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_city(tmp_path_factory.mktemp("tiny") / "tiny_city.gpkg")


@pytest.fixture(scope="session")
def engine(pg_url: str, settings: Settings, tiny_city_path: Path) -> Iterator[Engine]:
    """The migrated test database holding the tiny city and the sample city."""
    migrate(pg_url)
    eng = make_engine(pg_url)
    load_city(eng, tiny_city_path, weights=settings.weights)
    if DEFAULT_SAMPLE.exists():  # test_sample_city.py fails loudly when it is missing
        load_city(eng, DEFAULT_SAMPLE, weights=settings.weights)
    yield eng
    eng.dispose()


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is always rolled back."""
    with engine.connect() as connection:
        outer = connection.begin()
        try:
            yield connection
        finally:
            outer.rollback()


@pytest.fixture
def client(settings: Settings, conn: Connection) -> Iterator[TestClient]:
    """The app over HTTP (in process); every request shares the test's rolled-back transaction."""
    app = create_app(settings)

    def shared_connection() -> Iterator[Connection]:
        savepoint = conn.begin_nested()
        try:
            yield conn
        except Exception:
            savepoint.rollback()
            raise
        else:
            savepoint.commit()

    app.dependency_overrides[get_connection] = shared_connection
    with TestClient(app) as test_client:
        yield test_client


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(settings: Settings, engine: Engine) -> Iterator[str]:
    """The real app served by uvicorn on a free localhost port (for the browser tests)."""
    port = _free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def scalar(conn: Connection, sql: str, **params: object) -> object:
    return conn.execute(text(sql), params).scalar_one()
