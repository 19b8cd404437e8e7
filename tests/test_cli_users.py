"""``gridmap user …``: the first administrator, user management and the demo logins, by CLI.

The CLI commits (it is its own transaction), so every user made here is deleted afterwards.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from gis.accounts import DEMO_PASSWORD, DEMO_USERS, SessionPolicy, authenticate
from gridmap_cli.main import app
from tests.conftest import TEST_SECRET

MADE_HERE = ["first.admin", "cli.planner"] + [u[0] for u in DEMO_USERS]


@pytest.fixture
def cli(
    engine: Engine, users, pg_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", pg_url)
    monkeypatch.setenv("GRIDMAP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("GRIDMAP_DEMO", raising=False)

    def clean() -> None:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM app_user WHERE username = ANY(:u)"), {"u": MADE_HERE})

    clean()
    yield CliRunner()
    clean()


def test_the_first_administrator(cli: CliRunner, engine: Engine) -> None:
    r = cli.invoke(
        app,
        ["user", "create", "first.admin", "--admin", "--password-stdin"],
        input="a strong passphrase\n",
    )
    assert r.exit_code == 0, r.output
    assert "created first.admin: admin, scope city" in r.output
    with engine.begin() as conn:
        session = authenticate(
            conn, "first.admin", "a strong passphrase", policy=SessionPolicy(TEST_SECRET)
        )
        assert session is not None and session.user.role.value == "admin"
        actor = conn.execute(
            text(
                "SELECT actor FROM audit_log WHERE action = 'user.create' "
                "AND entity_id = 'first.admin' ORDER BY id DESC LIMIT 1"
            )
        ).scalar_one()
    assert actor.startswith("system:")


def test_prompted_password_is_asked_twice(cli: CliRunner) -> None:
    r = cli.invoke(
        app,
        ["user", "create", "cli.planner", "--role", "planner", "--scope", "district:369901"],
        input="planner passphrase\nplanner passphrase\n",
    )
    assert r.exit_code == 0, r.output
    r = cli.invoke(app, ["user", "update", "cli.planner", "--inactive"])
    assert r.exit_code == 0 and "deactivated" in r.output
    listed = cli.invoke(app, ["user", "list"]).output
    assert any(line.startswith("cli.planner") and " no " in line for line in listed.splitlines())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["user", "create", "x.y", "--role", "planner"], "give --role and --scope"),
        (["user", "create", "x.y", "--role", "boss", "--scope", "city"], "unknown role"),
        (["user", "create", "x.y", "--role", "planner", "--scope", "district:1"], "6-digit"),
        (["user", "create", "x.y", "--role", "field_worker", "--scope", "city"], "level grid"),
        (["user", "update", "nobody.here", "--name", "x"], "no user named"),
        (["user", "demo"], "only in demo mode"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(cli: CliRunner, args: list[str], message: str) -> None:
    r = cli.invoke(app, args, input="a strong passphrase\na strong passphrase\n")
    assert r.exit_code == 2, r.output
    assert message in r.output


def test_demo_logins_are_made_once(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDMAP_DEMO", "1")
    first = cli.invoke(app, ["user", "demo"])
    assert first.exit_code == 0, first.output
    assert f"password: {DEMO_PASSWORD}" in first.output
    for username, *_ in DEMO_USERS:
        assert f"  {username} " in first.output
    assert "临川区" in first.output and "(existed)" not in first.output
    again = cli.invoke(app, ["user", "demo"])
    assert again.exit_code == 0 and again.output.count("(existed)") == len(DEMO_USERS)


def test_audit_from_the_command_line(cli: CliRunner, tmp_path) -> None:
    listed = cli.invoke(app, ["user", "audit", "--action", "city.", "--limit", "5"])
    assert listed.exit_code == 0, listed.output
    assert "city.import" in listed.output
    out = tmp_path / "audit.csv"
    exported = cli.invoke(app, ["user", "audit", "--action", "city.import", "--csv", str(out)])
    assert exported.exit_code == 0, exported.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8").removeprefix("\ufeff"))))
    assert rows[0][:4] == ["id", "at", "actor", "action"] and rows[1][3] == "city.import"
    assert oct(out.stat().st_mode)[-3:] == "600"
