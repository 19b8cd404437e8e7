"""Faults and hostile numbers: the answer is a clear problem, never a bare 500.

- PostgreSQL away: every request that needs it (``/health`` included) answers 503 problem+json
  with ``Retry-After``, and ``/health`` says what is wrong;
- the database's disk full: 503 naming it; the data directory's disk short: ``/health`` says so;
- non-finite or absurd numbers, a boolean seed, a number for a date: 422 naming the field.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from gis.infra.settings import Settings
from tests.served import free_port

PROBLEM = "application/problem+json"


def assert_unavailable(answer, words: str) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert int(answer.headers["retry-after"]) >= 1
    assert words in answer.json()["detail"]


def test_with_the_database_away_every_request_is_503_and_health_says_why(
    settings: Settings,
) -> None:
    closed = free_port()  # nobody listens there: a stopped database
    away = settings.model_copy(
        update={"database_url": f"postgresql+psycopg://gridmap:x@127.0.0.1:{closed}/gridmap"}
    )
    with TestClient(create_app(away)) as client:
        health = client.get("/health")
        assert_unavailable(health, "无法连接数据库")
        assert health.json()["problems"] and health.json()["database"] is None
        assert_unavailable(client.get("/layers", headers={"Authorization": "Bearer x"}), "数据库")
        assert_unavailable(client.get("/auth/me"), "无法连接数据库")
        login = client.post("/auth/login", json={"username": "root", "password": "whatever it is"})
        assert_unavailable(login, "无法连接数据库")
        assert_unavailable(client.get("/login"), "无法连接数据库")
        # What needs no database still works: the API description, static files.
        assert client.get("/openapi.json").status_code == 200


def test_a_full_database_disk_is_a_503_that_says_so(client, conn) -> None:
    # PostgreSQL's own error for a full disk (SQLSTATE 53100), raised where a change writes.
    conn.execute(
        text(
            "CREATE FUNCTION pg_temp.disk_full() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'could not extend file' USING ERRCODE = 'disk_full'; END $$"
        )
    )
    conn.execute(
        text(
            "CREATE TRIGGER disk_full BEFORE INSERT ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION pg_temp.disk_full()"
        )
    )
    answer = client.patch("/users/t-planner", json={"display_name": "王五"})
    assert_unavailable(answer, "磁盘已满")
    assert client.get("/users/t-planner").json()["display_name"] != "王五"  # nothing changed


def test_health_says_when_the_data_disk_is_short(settings: Settings, users) -> None:
    short = settings.model_copy(update={"min_free_disk_mb": 10**12})  # an exabyte needed
    with TestClient(create_app(short)) as client:
        health = client.get("/health")
    assert_unavailable(health, "磁盘空间不足")
    assert health.json()["database"]["up_to_date"] is True  # the database itself is fine


SCENARIO = '{"name": "x", "area": ["369901"], "target_count": 3, %s}'


@pytest.mark.parametrize(
    ("field", "where"),
    [
        ('"weights": {"households": 1e999}', "weights.households"),
        ('"weights": {"households": NaN}', "weights.households"),
        ('"band": [0, Infinity]', "band.1"),
        ('"band": [300, 1e999]', "band.1"),
        ('"band": [0, 1e308]', "band.1"),
        ('"weights": {"population": 1e300}', "weights.population"),
        ('"seed": false', "seed"),
        ('"seed": 1.5', "seed"),
    ],
)
def test_non_finite_and_absurd_numbers_are_refused_naming_the_field(
    client, field: str, where: str
) -> None:
    answer = client.post(
        "/scenarios", content=SCENARIO % field, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["detail"].startswith(f"请求参数有误 body.{where}")


@pytest.mark.parametrize(
    "body",
    [
        '{"weights": {"households": 1e999}, "band": [300, 500]}',
        '{"weights": {"households": 1}, "band": [0, Infinity]}',
        '{"weights": {"households": 1}, "band": [300, 1e999]}',
    ],
)
def test_a_workload_profile_takes_finite_numbers_only(client, body: str) -> None:
    answer = client.put(
        "/workload-profiles/369901", content=body, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    stored = client.get("/workload-profiles/369901").json()
    assert None not in json.loads(json.dumps(stored["band"]))


@pytest.mark.parametrize("value", ["1.02e-248", "1700000000", "0"])
def test_a_date_is_written_as_a_date_not_a_number(client, value: str) -> None:
    answer = client.get("/party/coverage", params={"on": value})
    assert answer.status_code == 422, answer.text
    assert "query.on" in answer.json()["detail"]
    assert client.get("/party/coverage", params={"on": "2026-03-01"}).status_code == 200
