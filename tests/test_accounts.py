"""Accounts in gis/: passwords, users with a role and a scope, sessions, the secret key."""

from __future__ import annotations

import datetime as dt
import os
import stat

import pytest
from sqlalchemy import text

from api.app import create_app
from gis import accounts
from gis.access import Access
from gis.accounts import (
    DEMO_PASSWORD,
    Permission,
    Role,
    SessionPolicy,
    authenticate,
    change_password,
    create_user,
    end_sessions,
    ensure_demo_users,
    get_user,
    hash_password,
    list_users,
    logout,
    open_session,
    reset_password,
    resolve_session,
    update_user,
    verify_password,
)
from gis.errors import Conflict, Forbidden, Invalid, Misconfigured, NotFound
from gis.infra.settings import load_settings, resolve_secret_key
from gis.scope import Scope
from tests.conftest import TEST_PASSWORD, TEST_SECRET
from tests.tiny_city import COMMUNITY_A, DISTRICT

POLICY = SessionPolicy(TEST_SECRET)
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _audit_since(conn) -> None:
    """Only this test's audit rows count: other tests (a live server, a served app) commit
    log-ins and failures of their own, and the suite's order must not matter."""
    conn.info["audit_since"] = conn.execute(
        text("SELECT coalesce(max(id), 0) FROM audit_log")
    ).scalar_one()


def audit_rows(conn, action: str, entity_id: str | None = None) -> list[dict]:
    sql = (
        "SELECT actor, action, entity, entity_id, before, after FROM audit_log "
        "WHERE action = :a AND id > :since"
    )
    params = {"a": action, "since": conn.info.get("audit_since", 0)}
    if entity_id is not None:
        sql += " AND entity_id = :e"
        params["e"] = entity_id
    return [dict(r) for r in conn.execute(text(sql + " ORDER BY id"), params).mappings()]


def new_user(conn, username: str = "zhang.san", **overrides):
    fields = {
        "username": username,
        "password": TEST_PASSWORD,
        "role": Role.PLANNER,
        "scope": Scope.district(DISTRICT),
    } | overrides
    return create_user(conn, **fields, access=Access.system("system:tests"))


def test_passwords_are_argon2id_hashes() -> None:
    first, second = hash_password("a long passphrase"), hash_password("a long passphrase")
    assert first.startswith("$argon2id$") and first != second  # salted
    assert verify_password(first, "a long passphrase")
    assert not verify_password(first, "a long passphrasE")
    assert not verify_password("not a hash", "a long passphrase")


@pytest.mark.parametrize(
    ("password", "message"),
    [("short", "at least 10"), ("zhang.san-2026", "user name"), ("x" * 300, "at most")],
)
def test_password_rules(conn, users, password: str, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        new_user(conn, password=password)


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"role": Role.FIELD_WORKER}, Invalid, "field_worker has a scope of level grid"),
        ({"scope": Scope.district("999999")}, NotFound, "no district with code '999999'"),
        ({"role": Role.DEPARTMENT, "scope": Scope.city()}, Invalid, "need a department"),
        ({"username": "Zhang San"}, Invalid, "not valid"),
        ({"username": "x"}, Invalid, "not valid"),
        # A field worker's grid must lie in one community: the 综治 grid A902 crosses into B.
        (
            {"role": Role.FIELD_WORKER, "scope": Scope.grid(f"{COMMUNITY_A}902", "zongzhi")},
            Invalid,
            "must lie in one community",
        ),
        ({"role": Role.FIELD_WORKER, "scope": Scope.grid(f"{COMMUNITY_A}999")}, NotFound, "999"),
        ({"scope": Scope.city("3611")}, NotFound, "no district under city code"),
    ],
)
def test_create_user_checks_role_scope_and_place(
    conn, users, overrides: dict, error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        new_user(conn, **overrides)


def test_create_user_is_audited_without_the_hash(conn, users) -> None:
    user = new_user(conn, department=None, display_name="张三")
    assert get_user(conn, "ZHANG.SAN ") == user  # names are case-insensitive
    [row] = audit_rows(conn, "user.create", "zhang.san")
    assert row["actor"] == "system:tests" and row["before"] is None
    assert row["after"] == {
        "role": "planner",
        "scope": f"district:{DISTRICT}",
        "department": None,
        "display_name": "张三",
        "active": True,
    }
    stored = conn.execute(text("SELECT password_hash FROM app_user WHERE username = 'zhang.san'"))
    assert "argon2id" not in str(row) and stored.scalar_one().startswith("$argon2id$")
    with pytest.raises(Conflict, match="exists already"):
        new_user(conn)


def test_administrators_manage_users_inside_their_scope_only(conn, users) -> None:
    tiny_admin = get_user(conn, "t-admin")  # city:3699, the tiny city
    with pytest.raises(Forbidden, match="outside your own"):
        create_user(
            conn,
            username="lc.planner2",
            password=TEST_PASSWORD,
            role=Role.PLANNER,
            scope=Scope.district("361002"),
            access=Access.of(tiny_admin),
        )
    with pytest.raises(Forbidden, match="outside your scope"):
        update_user(conn, "lc-planner", display_name="x", access=Access.of(tiny_admin))
    visible = {u.username for u in list_users(conn, access=Access.of(tiny_admin))}
    assert {"t-planner", "t-worker", "t-admin"} <= visible
    assert not visible & {"root", "lc-planner"}
    planner = get_user(conn, "t-planner")
    with pytest.raises(Forbidden, match="planner may not manage users"):
        list_users(conn, access=Access.of(planner))


def test_role_and_scope_changes_are_audited_before_and_after(conn, users) -> None:
    root = get_user(conn, "root")
    update_user(
        conn,
        "t-party",
        role=Role.PLANNER,
        scope=Scope.district(DISTRICT),
        department=None,
        access=Access.of(root),
    )
    [row] = audit_rows(conn, "user.update", "t-party")
    assert row["actor"] == "root"
    assert row["before"] == {"role": "party", "scope": f"community:{COMMUNITY_A}"}
    assert row["after"] == {"role": "planner", "scope": f"district:{DISTRICT}"}
    with pytest.raises(Invalid, match="scope of level grid"):
        update_user(conn, "t-party", role=Role.FIELD_WORKER, access=Access.of(root))


def test_administrators_cannot_change_their_own_rights(conn, users) -> None:
    root = get_user(conn, "root")
    for change in ({"role": Role.PLANNER}, {"active": False}, {"scope": Scope.city("3610")}):
        with pytest.raises(Forbidden, match="ask another administrator"):
            update_user(conn, "root", **change, access=Access.of(root))
    assert (
        update_user(conn, "root", display_name="超级管理员", access=Access.of(root)).display_name
        == "超级管理员"
    )


def test_log_in_opens_a_session_and_is_recorded(conn, users) -> None:
    session = authenticate(
        conn, "T-Planner", TEST_PASSWORD, policy=POLICY, now=NOW, client_ip="10.1.2.3"
    )
    assert session is not None and session.user.username == "t-planner"
    assert session.expires_at == NOW + dt.timedelta(hours=8)
    assert resolve_session(conn, session.token, policy=POLICY, now=NOW) == (
        get_user(conn, "t-planner"),
        session.id,
    )
    # Only a keyed digest is stored: neither the token nor its plain SHA-256.
    stored = conn.execute(
        text("SELECT token_digest FROM user_session WHERE id = :i"), {"i": session.id}
    ).scalar_one()
    assert session.token not in stored and stored == POLICY.digest(session.token)
    assert resolve_session(conn, session.token, policy=SessionPolicy("x" * 40), now=NOW) is None
    [row] = audit_rows(conn, "auth.login", "t-planner")
    assert row["after"]["session"] == session.id and row["after"]["client_ip"] == "10.1.2.3"
    assert get_user(conn, "t-planner").last_login_at == NOW


@pytest.mark.parametrize(
    ("username", "password", "reason"),
    [
        ("t-planner", "wrong password!", "wrong password"),
        ("nobody", TEST_PASSWORD, "unknown user"),
        ("bad\x00name", TEST_PASSWORD, "unknown user"),
    ],
)
def test_failed_log_ins_are_recorded_with_the_reason(
    conn, users, username: str, password: str, reason: str
) -> None:
    assert authenticate(conn, username, password, policy=POLICY, now=NOW) is None
    [row] = audit_rows(conn, "auth.login_failed")
    assert row["after"]["reason"] == reason
    assert "\x00" not in row["actor"]


def test_a_deactivated_user_cannot_log_in_and_loses_sessions(conn, users) -> None:
    root = get_user(conn, "root")
    worker = get_user(conn, "t-worker")
    session = open_session(conn, worker, policy=POLICY, now=NOW)
    update_user(conn, "t-worker", active=False, now=NOW, access=Access.of(root))
    assert resolve_session(conn, session.token, policy=POLICY, now=NOW) is None
    assert authenticate(conn, "t-worker", TEST_PASSWORD, policy=POLICY, now=NOW) is None
    assert audit_rows(conn, "auth.login_failed")[0]["after"]["reason"] == "deactivated"
    [row] = audit_rows(conn, "user.deactivate", "t-worker")
    assert (row["before"], row["after"]) == ({"active": True}, {"active": False})
    assert not get_user(conn, "t-worker").can(Permission.VIEW_MAP)
    update_user(conn, "t-worker", active=True, now=NOW, access=Access.of(root))
    assert len(audit_rows(conn, "user.reactivate", "t-worker")) == 1
    assert resolve_session(conn, session.token, policy=POLICY, now=NOW) is None  # stays ended


def test_sessions_expire_when_idle_and_at_the_latest_after_their_lifetime(conn, users) -> None:
    policy = SessionPolicy(TEST_SECRET, lifetime=dt.timedelta(hours=8), idle=dt.timedelta(hours=2))
    session = open_session(conn, get_user(conn, "t-county"), policy=policy, now=NOW)
    hour = dt.timedelta(hours=1)
    almost_idle = NOW + 2 * hour - dt.timedelta(seconds=1)
    assert resolve_session(conn, session.token, policy=policy, now=almost_idle) is not None
    # Used every 90 minutes it stays alive: until 8 hours after the log-in.
    for step in range(1, 6):
        assert resolve_session(conn, session.token, policy=policy, now=NOW + step * 1.5 * hour)
    assert resolve_session(conn, session.token, policy=policy, now=NOW + 8 * hour) is None
    idle = open_session(conn, get_user(conn, "t-county"), policy=policy, now=NOW)
    assert resolve_session(conn, idle.token, policy=policy, now=NOW + 2 * hour) is None


def test_a_session_in_use_by_a_long_request_is_never_waited_for(engine, users) -> None:
    """Every request of a session may record that it is in use (``last_seen_at``); while one
    long request (an edit's apply) holds that row, the others go on instead of queueing."""
    with engine.begin() as c:
        session = open_session(c, get_user(c, "t-county"), policy=POLICY, now=NOW)
    try:
        with engine.connect() as holder, engine.connect() as other:
            holder.begin()
            holder.execute(
                text("UPDATE user_session SET last_seen_at = :t WHERE id = :id"),
                {"t": NOW, "id": session.id},
            )
            other.begin()
            other.execute(text("SET LOCAL lock_timeout = '3s'"))  # a wait would fail the test
            later = NOW + dt.timedelta(minutes=5)
            found = resolve_session(other, session.token, policy=POLICY, now=later)
            assert found is not None and found[0].username == "t-county"
            holder.rollback()
            other.rollback()
    finally:
        with engine.begin() as c:
            c.execute(text("DELETE FROM user_session WHERE id = :id"), {"id": session.id})


def test_log_out_ends_the_session(conn, users) -> None:
    session = open_session(conn, get_user(conn, "t-party"), policy=POLICY, now=NOW)
    assert logout(conn, session.token, policy=POLICY, now=NOW).username == "t-party"
    assert resolve_session(conn, session.token, policy=POLICY, now=NOW) is None
    assert logout(conn, session.token, policy=POLICY, now=NOW) is None
    assert audit_rows(conn, "auth.logout", "t-party")[0]["after"] == {"session": session.id}


def test_passwords_reset_and_changed(conn, users) -> None:
    planner = get_user(conn, "t-planner")
    here = open_session(conn, planner, policy=POLICY, now=NOW)
    elsewhere = open_session(conn, planner, policy=POLICY, now=NOW)
    with pytest.raises(Forbidden, match="current password is wrong"):
        change_password(conn, planner, "nope nope nope", "another passphrase")
    change_password(
        conn, planner, TEST_PASSWORD, "another passphrase", keep_session=here.id, now=NOW
    )
    assert resolve_session(conn, here.token, policy=POLICY, now=NOW)
    assert resolve_session(conn, elsewhere.token, policy=POLICY, now=NOW) is None
    reset_password(
        conn, "t-planner", "third passphrase!", now=NOW, access=Access.system("system:tests")
    )
    assert resolve_session(conn, here.token, policy=POLICY, now=NOW) is None
    assert authenticate(conn, "t-planner", "third passphrase!", policy=POLICY, now=NOW)
    assert [r["actor"] for r in audit_rows(conn, "user.password_change")] == ["t-planner"]
    assert [r["actor"] for r in audit_rows(conn, "user.password_reset")] == ["system:tests"]
    assert end_sessions(conn, planner.id, now=NOW) == 1


def test_permissions_follow_the_role(conn, users) -> None:
    can = {
        name: {p for p in Permission if get_user(conn, name).can(p)}
        for name in ("t-admin", "t-planner", "t-county", "t-department", "t-party", "t-worker")
    }
    assert can["t-admin"] == set(Permission)
    assert Permission.EDIT_LAYERS in can["t-planner"] - can["t-county"]
    assert Permission.RUN_SCENARIOS in can["t-county"] - can["t-planner"]
    assert Permission.HANDLE_INCIDENTS in can["t-department"] - can["t-worker"]
    assert Permission.MANAGE_ASSIGNMENTS in can["t-party"] - can["t-department"]
    assert all(Permission.VIEW_MAP in perms for perms in can.values())
    assert not any(Permission.MANAGE_USERS in can[n] for n in can if n != "t-admin")


def test_demo_users_one_per_role_in_the_sample_city(conn, users) -> None:
    created = ensure_demo_users(conn, access=Access.system("system:tests"))
    assert [(u.role, made) for u, made in created] == [(r, True) for r in Role]
    scopes = {u.role: u.scope for u, _ in created}
    assert scopes[Role.PLANNER] == Scope.district("361002")
    assert scopes[Role.DEPARTMENT].level == "street"
    assert scopes[Role.PARTY].level == "community"
    assert scopes[Role.FIELD_WORKER].level == "grid"
    assert scopes[Role.FIELD_WORKER].code.startswith(scopes[Role.PARTY].code)
    again = ensure_demo_users(conn, access=Access.system("system:tests"))
    assert [made for _, made in again] == [False] * len(Role)
    assert authenticate(conn, "worker", DEMO_PASSWORD, policy=POLICY, now=NOW)


def test_no_secret_key_no_server(tmp_path) -> None:
    with pytest.raises(Misconfigured, match="GRIDMAP_SECRET_KEY is not set"):
        create_app(load_settings(data_dir=tmp_path, secret_key=None, demo=False))
    with pytest.raises(Misconfigured, match="too short"):
        resolve_secret_key(load_settings(data_dir=tmp_path, secret_key="short", demo=False))
    assert resolve_secret_key(load_settings(secret_key=TEST_SECRET)) == TEST_SECRET


def test_demo_mode_keeps_a_generated_secret(tmp_path) -> None:
    demo = load_settings(data_dir=tmp_path, secret_key=None, demo=True)
    first = resolve_secret_key(demo)
    assert len(first) >= 32 and resolve_secret_key(demo) == first
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_environment_is_read_for_the_secret(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("GRIDMAP_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("GRIDMAP_DEMO", "0")
    assert resolve_secret_key(load_settings(data_dir=tmp_path)) == TEST_SECRET
    assert accounts.MIN_PASSWORD_LENGTH == 10
