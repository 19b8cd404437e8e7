"""Log-in over HTTP, sessions by cookie and bearer token, CSRF, security headers, size limits."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import text

from api.routers.pages import safe_next
from api.security import SESSION_COOKIE, csrf_token, tile_source
from gis.access import Access
from gis.accounts.throttle import LoginThrottle
from tests.conftest import TEST_PASSWORD, TEST_SECRET

PROBLEM = "application/problem+json"


def log_in(client, username: str = "t-planner", password: str = TEST_PASSWORD, **headers):
    return client.post(
        "/auth/login", json={"username": username, "password": password}, headers=headers
    )


def failed_logins(conn) -> int:
    sql = "SELECT count(*) FROM audit_log WHERE action = 'auth.login_failed'"
    return int(conn.execute(text(sql)).scalar_one())


def test_data_needs_a_log_in_but_health_and_docs_do_not(anon) -> None:
    for path in ("/districts", "/layers", "/layers/unified/grids", "/units/x", "/users", "/audit"):
        r = anon.get(path)
        assert r.status_code == 401, path
        assert r.headers["content-type"] == PROBLEM
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert "log in first" in r.json()["detail"]
    assert anon.get("/health").status_code == 200
    assert anon.get("/docs").status_code == 200
    assert anon.get("/openapi.json").status_code == 200


def test_log_in_gives_a_cookie_and_a_bearer_token(anon, conn) -> None:
    r = log_in(anon)
    assert r.status_code == 200
    body = r.json()
    assert body["user"]["username"] == "t-planner" and body["user"]["role"] == "planner"
    assert body["user"]["scope"]["text"] == "district:369901"
    assert body["csrf_token"] == csrf_token(TEST_SECRET, body["token"])
    cookie = r.headers["set-cookie"]
    assert f"{SESSION_COOKIE}={body['token']}" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=28800" in cookie
    assert "Secure" not in cookie  # plain http (tests); set on https or with cookie_secure
    # The cookie now works, and so does the token as a bearer header (for scripts).
    me = anon.get("/auth/me").json()
    assert me["authenticated_by"] == "cookie" and me["scope_name"].startswith("区县 测试区")
    anon.cookies.clear()
    me = anon.get("/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json()["authenticated_by"] == "bearer"
    assert conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'auth.login'"))


@pytest.mark.parametrize(
    ("username", "password"),
    [("t-planner", "wrong password"), ("nobody-at-all", TEST_PASSWORD)],
)
def test_a_failed_log_in_says_nothing_more_and_is_recorded(
    anon, conn, username: str, password: str
) -> None:
    before = failed_logins(conn)
    r = log_in(anon, username, password)
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM
    assert r.json()["detail"] == "用户名或密码错误 (wrong user name or password)"
    assert "set-cookie" not in r.headers
    assert failed_logins(conn) == before + 1


def test_log_in_is_rate_limited_per_user_and_address(app, anon) -> None:
    now = [dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)]
    app.state.clock = lambda: now[0]
    app.state.login_throttle = LoginThrottle(
        max_failures=3, max_failures_per_ip=10, window=dt.timedelta(seconds=60)
    )
    assert log_in(anon, password="wrong one!").status_code == 401
    assert log_in(anon).status_code == 200  # a success clears the count
    for _ in range(3):
        assert log_in(anon, password="wrong one!").status_code == 401
    blocked = log_in(anon)  # even the right password waits now
    assert blocked.status_code == 429 and blocked.headers["content-type"] == PROBLEM
    assert 1 <= int(blocked.headers["retry-after"]) <= 61
    assert log_in(anon, "t-county").status_code == 200  # another user from the same address
    now[0] += dt.timedelta(seconds=61)
    assert log_in(anon).status_code == 200


def test_the_address_limit_stops_spraying_many_user_names(conn) -> None:
    throttle = LoginThrottle(max_failures=3, max_failures_per_ip=5, window=dt.timedelta(minutes=1))
    now = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
    for n in range(5):
        assert throttle.retry_after(conn, f"user{n}", "10.0.0.9", now=now) is None
        throttle.failed(conn, f"user{n}", "10.0.0.9", now=now)
    assert throttle.retry_after(conn, "someone-else", "10.0.0.9", now=now) is not None
    assert throttle.retry_after(conn, "someone-else", "10.0.0.10", now=now) is None


def test_log_out_ends_the_session(anon) -> None:
    token = log_in(anon).json()["token"]
    csrf = csrf_token(TEST_SECRET, token)
    assert anon.post("/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert anon.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_expired_sessions_are_refused(app, client_as) -> None:
    client = client_as("t-county")
    assert client.get("/layers").status_code == 200
    app.state.clock = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(hours=9)
    assert client.get("/layers").status_code == 401


def test_unsafe_requests_by_cookie_need_the_csrf_token(client_as) -> None:
    admin = client_as("root")
    body = {"display_name": "李四"}
    assert admin.patch("/users/t-planner", json=body).status_code == 200  # header sent
    token = admin.headers.pop("X-CSRF-Token")
    refused = admin.patch("/users/t-planner", json=body)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    wrong = admin.patch("/users/t-planner", json=body, headers={"X-CSRF-Token": _altered(token)})
    assert wrong.status_code == 403
    # A bearer token is never sent by a browser on its own: no CSRF token needed.
    scripted = client_as("root", via="bearer")
    assert scripted.patch("/users/t-planner", json=body).status_code == 200
    # GETs never need it.
    assert admin.get("/users/t-planner").status_code == 200


def test_the_logout_form_carries_the_csrf_token_in_a_field(client_as) -> None:
    browser = client_as("t-party")
    token = browser.headers.pop("X-CSRF-Token")
    assert browser.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    r = browser.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "login"
    assert browser.get("/layers").status_code == 401


def test_cross_site_requests_are_refused(anon, client_as) -> None:
    foreign = {"Origin": "https://evil.example"}
    assert log_in(anon, **foreign).status_code == 403  # no log-in CSRF either
    assert log_in(anon, **{"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert log_in(anon, Origin="http://testserver").status_code == 200
    admin = client_as("root")
    r = admin.patch("/users/t-planner", json={"display_name": "x"}, headers=foreign)
    assert r.status_code == 403 and "cross-site" in r.json()["detail"]
    r = admin.patch(
        "/users/t-planner", json={"display_name": "x"}, headers={"Referer": "http://evil/x"}
    )
    assert r.status_code == 403


def test_request_bodies_are_limited(app, client_as) -> None:
    admin = client_as("root")
    big = {"display_name": "x" * 2_000_000}
    r = admin.patch("/users/t-planner", json=big)
    assert r.status_code == 413 and r.headers["content-type"] == PROBLEM
    assert "larger than 1,048,576 bytes" in r.json()["detail"]

    def chunks():  # no Content-Length: counted while read
        for _ in range(20):
            yield b"x" * 100_000

    r = admin.patch(
        "/users/t-planner", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413


def test_nul_bytes_in_urls_are_refused(client) -> None:
    r = client.get("/layers/unified/grids/%00")
    assert r.status_code == 400 and "NUL" in r.json()["detail"]
    assert client.get("/communities", params={"street": "1\x002"}).status_code == 400


def test_security_headers(client, anon) -> None:
    for r in (client.get("/layers"), anon.get("/login"), client.get("/")):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "same-origin"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    api = client.get("/layers")
    assert api.headers["content-security-policy"].startswith("default-src 'none'")
    assert api.headers["cache-control"] == "no-store"
    page = anon.get("/login")
    assert "script-src 'self' 'nonce-" in page.headers["content-security-policy"]
    assert "strict-transport-security" not in api.headers  # only over https
    static = client.get("/static/gridmap/login.css")
    assert "no-store" not in static.headers.get("cache-control", "")


def test_the_map_page_sends_strangers_to_log_in(anon) -> None:
    r = anon.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "login?next=/"
    page = anon.get("/login", params={"next": "/"})
    assert page.status_code == 200 and 'name="next" value="/"' in page.text
    assert "<script" not in page.text and "http://" not in page.text.replace('xmlns="http://', "")


def test_the_log_in_form(anon, conn) -> None:
    before = failed_logins(conn)
    wrong = anon.post("/login", data={"username": "t-worker", "password": "nope", "next": "/"})
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
    assert 'value="t-worker"' in wrong.text  # the name stays filled in
    assert failed_logins(conn) == before + 1
    ok = anon.post(
        "/login",
        data={"username": "t-worker", "password": TEST_PASSWORD, "next": "//evil.example/"},
        follow_redirects=False,
    )
    # No open redirect: the field worker lands on their own grid instead.
    assert ok.status_code == 303 and ok.headers["location"] == "/field"
    assert SESSION_COOKIE in ok.headers["set-cookie"]
    page = anon.get("/")
    assert page.status_code == 200 and "测试 t-worker" in page.text
    # Logged in, /login goes straight on.
    assert anon.get("/login", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/", "/"),
        ("/?layer=zongzhi", "/?layer=zongzhi"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/login", "/"),
        ("", "/"),
        ("/x\r\nSet-Cookie: a=b", "/"),
    ],
)
def test_safe_next(target: str, expected: str) -> None:
    assert safe_next(target) == expected


def test_change_my_password(client_as, anon) -> None:
    me = client_as("t-department")
    wrong = me.post(
        "/auth/password", json={"old_password": "not it at all", "new_password": "a new phrase!"}
    )
    assert wrong.status_code == 403
    short = me.post("/auth/password", json={"old_password": TEST_PASSWORD, "new_password": "x"})
    assert short.status_code == 422
    ok = me.post(
        "/auth/password", json={"old_password": TEST_PASSWORD, "new_password": "a new phrase!"}
    )
    assert ok.status_code == 204
    assert me.get("/auth/me").status_code == 200  # this session goes on
    assert log_in(anon, "t-department", "a new phrase!").status_code == 200


def test_demo_mode_lists_the_demo_logins_on_the_log_in_page(app, anon, conn) -> None:
    from gis.accounts import DEMO_PASSWORD, ensure_demo_users

    ensure_demo_users(conn, access=Access.system("system:tests"))
    assert DEMO_PASSWORD not in anon.get("/login").text
    app.state.settings = app.state.settings.model_copy(update={"demo": True})
    page = anon.get("/login").text
    assert DEMO_PASSWORD in page and re.search(r"<code>worker</code>", page)


def test_tile_sources_for_the_csp() -> None:
    assert tile_source("https://t{s}.tianditu.gov.cn/vec_w/wmts?x={x}") == (
        "https://*.tianditu.gov.cn"
    )
    assert tile_source("https://webrd01.is.autonavi.com/a") == "https://webrd01.is.autonavi.com"
    assert tile_source("") is None


def _altered(token: str) -> str:
    """The token with its last character changed (to a different one, whatever it was)."""
    return token[:-1] + ("1" if token.endswith("0") else "0")
