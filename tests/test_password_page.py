"""The change-password page in headless Chromium: a user whose password an administrator reset
is sent there at log-in and can go on only with a password of their own; everyone reaches it
from the header. The live server commits, so the test makes its own user."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, text

from gis.access import Access
from gis.accounts import Role, create_user, get_user, reset_password
from gis.scope import Scope
from tests.browser import session
from tests.conftest import TEST_PASSWORD
from tests.tiny_city import DISTRICT

RESET = "admin-told-me-this-1"
MINE = "tea-kettle-over-lanterns-77"


@pytest.fixture
def reset_user(engine: Engine, users: dict[str, str]) -> str:
    """A county user whose password the administrator ``root`` has just reset."""
    name = f"pw-{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        create_user(
            conn, access=Access.system("system:tests"), username=name, password=TEST_PASSWORD,
            role=Role.COUNTY, scope=Scope.district(DISTRICT), display_name="测试 改密码",
        )  # fmt: skip
        reset_password(conn, name, RESET, access=Access.of(get_user(conn, "root")))
    return name


def _log_in(page: Any, live_server: str, username: str, password: str) -> None:
    page.goto(live_server + "/login", wait_until="load")
    page.fill("#username", username)
    page.fill("#password", password)
    page.get_by_test_id("login-submit").click()
    page.wait_for_load_state("load")


def _change(page: Any, old: str, new: str, again: str | None = None) -> None:
    page.fill("#old_password", old)
    page.fill("#new_password", new)
    page.fill("#repeat_password", new if again is None else again)
    page.get_by_test_id("password-submit").click()
    page.wait_for_load_state("load")


@pytest.mark.browser
def test_a_reset_password_must_be_changed_before_anything_else(
    browser: Any, live_server: str, engine: Engine, reset_user: str
) -> None:
    with session(browser) as (page, traffic):
        _log_in(page, live_server, reset_user, RESET)
        page.wait_for_url(re.compile(r"/password\?next="))
        assert "管理员重置了您的密码" in page.get_by_test_id("password-forced").inner_text()
        # Nothing else opens until they choose their own: the map sends them back here.
        page.goto(live_server + "/", wait_until="load")
        page.wait_for_url(re.compile(r"/password$"))

        _change(page, RESET, MINE, again=MINE + "x")
        assert "两次输入的新密码不一致" in page.get_by_test_id("password-error").inner_text()
        _change(page, RESET, "qwertyuiop")
        assert "密码" in page.get_by_test_id("password-error").inner_text()
        _change(page, "not-the-old-one-at-all", MINE)
        assert "当前密码不对" in page.get_by_test_id("password-error").inner_text()

        _change(page, RESET, MINE)
        page.wait_for_url(re.compile(r"/compare(\?.*)?$"))  # the county's home page
        assert page.get_by_test_id("user-password").is_visible()
        traffic.assert_clean(expected_errors=("403", "422", "status of 4"))

    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT must_change_password FROM app_user WHERE username = :u"),
            {"u": reset_user},
        ).one()
        changes = conn.execute(
            text(
                "SELECT count(*) FROM audit_log WHERE action = 'user.password_change' "
                "AND entity_id = :u"
            ),
            {"u": reset_user},
        ).scalar_one()
    assert row.must_change_password is False and changes == 1
    with session(browser) as (page, _):
        _log_in(page, live_server, reset_user, RESET)  # the administrator's one no longer works
        assert "用户名或密码错误" in page.get_by_test_id("login-error").inner_text()
        _log_in(page, live_server, reset_user, MINE)
        page.wait_for_url(re.compile(r"/compare(\?.*)?$"))


@pytest.mark.browser
def test_everyone_reaches_the_password_page_from_the_header(browser: Any, live_server: str) -> None:
    with session(browser) as (page, traffic):
        _log_in(page, live_server, "t-planner", TEST_PASSWORD)
        page.get_by_test_id("user-password").click()
        page.wait_for_url(re.compile(r"/password$"))
        assert page.get_by_test_id("password-forced").count() == 0
        assert page.get_by_test_id("password-back").is_visible()
        traffic.assert_clean()
