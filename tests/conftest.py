"""Test fixtures: a real, throwaway PostGIS; the tiny city and the sample city loaded once.

With ``GRIDMAP_TEST_DATABASE_URL`` set, that database is used (it must be PostGIS 3 and may be
emptied); otherwise a private cluster is started under a temporary directory and deleted at the
end. Tests that write run inside a transaction that is rolled back, so they cannot see each other.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from api.app import create_app, server_config
from api.deps import get_connection
from api.security import SESSION_COOKIE, csrf_token
from gis.access import Access
from gis.accounts import Role, create_user, get_user, open_session
from gis.infra.db import make_engine, migrate
from gis.infra.pgcluster import Cluster
from gis.infra.settings import DEFAULT_SAMPLE, Settings, load_settings
from gis.loader import load_city
from gis.scope import Scope
from tests.tiny_city import COMMUNITY_A, DISTRICT, STREET, write_tiny_city

REPO = Path(__file__).resolve().parents[1]


def _describe_lambdas_safely() -> None:
    """CPython 3.11.7's ``ast.parse`` may raise ``SystemError: AST constructor recursion depth
    mismatch`` (gh-106905, fixed in 3.11.8) when hypothesis parses a module, deep in
    schemathesis's strategies, only to print a lambda's source in a strategy's repr. The
    description is cosmetic: on that error, describe the lambda as hypothesis does when it
    cannot read the source, instead of failing collection at random."""
    if sys.version_info >= (3, 11, 8):
        return
    # The same bug strikes when hypothesis first imports its regex strategies lazily, deep in a
    # schema's recursion (pytest rewrites the module with ast.parse): import them here, shallow.
    import hypothesis.strategies._internal.regex  # noqa: F401
    from hypothesis.internal import lambda_sources

    parse = lambda_sources._lambda_description

    def describe(f: Callable[..., Any]) -> str:
        try:
            return str(parse(f))
        except SystemError:
            return "lambda: <unknown>"

    lambda_sources._lambda_description = describe


_describe_lambdas_safely()


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


TEST_SECRET = "test-secret-key-0123456789abcdefghijklmnop"
TEST_PASSWORD = "correct-horse-battery"

#: Users committed once per session. The tiny city's roles (user name = "t-" + role) are given
#: scopes in the tiny city (369901); "root" administers everything; "lc-planner" plans 临川区
#: (361002) of the sample city, for the scope-leak tests between its two districts; "jx-province"
#: is the provincial office of Jiangxi (36), over both cities.
TEST_USERS: dict[str, tuple[Role, Scope, str | None]] = {
    "root": (Role.ADMIN, Scope.city(), None),
    "t-admin": (Role.ADMIN, Scope.city("3699"), None),
    "t-planner": (Role.PLANNER, Scope.district(DISTRICT), None),
    "t-county": (Role.COUNTY, Scope.district(DISTRICT), None),
    "t-department": (Role.DEPARTMENT, Scope.street(STREET), "城管局"),
    "t-party": (Role.PARTY, Scope.community(COMMUNITY_A), None),
    "t-worker": (Role.FIELD_WORKER, Scope.grid(f"{COMMUNITY_A}001"), None),
    "lc-planner": (Role.PLANNER, Scope.district("361002"), None),
    "jx-province": (Role.PROVINCE, Scope.province("36"), None),
}


@pytest.fixture(scope="session")
def settings(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return load_settings(
        database_url=pg_url, data_dir=tmp_path_factory.mktemp("data"), secret_key=TEST_SECRET
    )


@pytest.fixture(scope="session")
def tiny_city_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_city(tmp_path_factory.mktemp("tiny") / "tiny_city.gpkg")


@pytest.fixture(scope="session")
def engine(pg_url: str, settings: Settings, tiny_city_path: Path) -> Iterator[Engine]:
    """The migrated test database holding the tiny city and the sample city."""
    migrate(pg_url)
    eng = make_engine(pg_url)
    load_city(eng, tiny_city_path, weights=settings.weights, access=Access.system())
    if DEFAULT_SAMPLE.exists():  # test_sample_city.py fails loudly when it is missing
        load_city(eng, DEFAULT_SAMPLE, weights=settings.weights, access=Access.system())
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def users(engine: Engine) -> dict[str, str]:
    """The test users, committed (the browser tests log in through a real server); user name →
    password. A database reused from an earlier run gets them afresh."""
    with engine.begin() as connection:
        connection.execute(
            text("DELETE FROM app_user WHERE username = ANY(:names)"), {"names": list(TEST_USERS)}
        )
        for username, (role, scope, department) in TEST_USERS.items():
            if scope.code.startswith("3610") and not DEFAULT_SAMPLE.exists():
                continue  # the sample city is missing: test_sample_city.py says so loudly
            create_user(
                connection,
                username=username,
                password=TEST_PASSWORD,
                role=role,
                scope=scope,
                department=department,
                display_name="市级管理员" if username == "root" else f"测试 {username}",
                access=Access.system("system:tests"),
            )
    return dict.fromkeys(TEST_USERS, TEST_PASSWORD)


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
def app(settings: Settings, conn: Connection, users: dict[str, str]) -> FastAPI:
    """The app, every request of which shares the test's rolled-back transaction."""
    return share_connection(create_app(settings), conn)


def share_connection(application: FastAPI, conn: Connection) -> FastAPI:
    """Make every request of ``application`` run in a savepoint of the test's connection."""

    def shared_connection() -> Iterator[Connection]:
        savepoint = conn.begin_nested()
        try:
            yield conn
        except Exception:
            savepoint.rollback()
            raise
        else:
            savepoint.commit()

    application.dependency_overrides[get_connection] = shared_connection
    return application


@pytest.fixture
def anon(app: FastAPI) -> Iterator[TestClient]:
    """The app over HTTP (in process), not logged in."""
    with TestClient(app) as test_client:
        yield test_client


ClientAs = Callable[..., TestClient]


@pytest.fixture
def client_as(app: FastAPI, conn: Connection, users: dict[str, str]) -> Iterator[ClientAs]:
    """``client_as(username, via="cookie"|"bearer")``: a client logged in as a test user.

    The session is opened directly (no argon2 round per test) inside the test's transaction. By
    cookie, the client sends the CSRF header a page's script would; by bearer, the header only.
    """
    opened: list[TestClient] = []

    def make(username: str, via: str = "cookie") -> TestClient:
        session = open_session(conn, get_user(conn, username), policy=app.state.policy)
        test_client = TestClient(app)
        if via == "cookie":
            test_client.cookies.set(SESSION_COOKIE, session.token)
            test_client.headers["X-CSRF-Token"] = csrf_token(TEST_SECRET, session.token)
        else:
            test_client.headers["Authorization"] = f"Bearer {session.token}"
        opened.append(test_client)
        return test_client

    yield make
    for test_client in opened:
        test_client.close()


@pytest.fixture
def client(client_as: ClientAs) -> TestClient:
    """The app over HTTP, logged in as the administrator of everything ("root")."""
    return client_as("root")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (``playwright install`` is not needed)."""
    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def live_server(settings: Settings, engine: Engine, users: dict[str, str]) -> Iterator[str]:
    """The real app served by uvicorn on a free localhost port (for the browser tests)."""
    port = _free_port()
    config = server_config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
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
