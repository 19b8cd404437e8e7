"""Every page through the one shell and the one page dependency (api/page_auth.py).

Who gets a page: a stranger is sent to log in and comes back to the page asked for; a user whose
password an administrator reset is sent to change it first; a role the page is not for gets the
one 403 page, in Chinese first and under the header, so they can go on elsewhere. And what every
page is: ``lang="zh-CN"`` (or browsers draw 汉字 with Japanese glyphs), one charset, the favicon,
nothing loaded from another host (government networks have no way out), every inline script
under the response's CSP nonce (or the browser refuses to run it).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from api.page_auth import page_viewer
from gis.accounts import Role
from gis.scenarios.run import savepoint_tx
from gis.scenarios.worker import run_queued
from maps.nav import PageViewer
from tests.browser import is_local
from tests.conftest import ClientAs
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, DISTRICT

WorkerViewer = Annotated[PageViewer, Depends(page_viewer(role=Role.FIELD_WORKER))]

#: Every page a session user opens, and where a stranger is sent instead (relative, so the app
#: also works behind a path prefix: from /incidents/map, ``../login`` is the app's /login).
PAGES = [
    ("/", "login?next=/"),
    ("/edit", "login?next=/edit"),
    ("/compare", "login?next=/compare"),
    ("/incidents/map", "../login?next=/incidents/map"),
    ("/facilities/map", "../login?next=/facilities/map"),
    ("/province", "login?next=/province"),
    ("/party", "login?next=/party"),
    ("/field", "login?next=/field"),
    (f"/field?grid={COMMUNITY_A}001", f"login?next=/field%3Fgrid%3D{COMMUNITY_A}001"),
    ("/admin", "login?next=/admin"),
    ("/password", "login?next=/password"),
    ("/scenarios/1/report", "../../login?next=/scenarios/1/report"),
]

#: Pages a role may not open: (user, path, what the refusal says).
REFUSED = [
    ("t-worker", "/edit", "无编辑权限"),
    ("t-county", "/edit", "无编辑权限"),
    ("t-planner", "/compare", "无权"),
    ("t-party", "/compare", "无权"),
    ("t-county", "/admin", "无权"),
    ("t-planner", "/admin", "无权"),
    ("t-worker", f"/field?grid={COMMUNITY_B}001", "无权"),  # another grid than their own
]


@pytest.mark.parametrize(("path", "login"), PAGES)
def test_a_stranger_is_sent_to_log_in_and_back(anon: TestClient, path: str, login: str) -> None:
    answer = anon.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == login


@pytest.mark.parametrize(("username", "path", "says"), REFUSED)
def test_a_role_the_page_is_not_for_gets_the_403_page(
    client_as: ClientAs, username: str, path: str, says: str
) -> None:
    answer = client_as(username).get(path, follow_redirects=False)
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    page = answer.text
    assert says in page
    # Chinese first: the first words a reader meets under the header are Chinese.
    main = page.split("<main>", 1)[1]
    first = re.sub(r"<[^>]+>", " ", main).split()[0]
    assert re.match(r"[\u4e00-\u9fff]", first), first
    # The header, with the user and the pages they may open, so they can go on.
    assert 'data-testid="user-badge"' in page and 'data-testid="home"' in page
    assert "测试 " + username in page
    _assert_shell(answer)


def test_the_403_page_escapes_what_it_shows(client_as: ClientAs, conn: Connection) -> None:
    conn.execute(text("UPDATE app_user SET display_name = '<b>x</b>' WHERE username = 't-worker'"))
    page = client_as("t-worker").get("/edit").text
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page


@pytest.mark.parametrize(("path", "login"), [p for p in PAGES if p[0] != "/password"])
def test_a_reset_password_is_changed_before_any_page(
    client_as: ClientAs, conn: Connection, path: str, login: str
) -> None:
    conn.execute(text("UPDATE app_user SET must_change_password = true WHERE username = 'root'"))
    client = client_as("root")
    answer = client.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == login.split("login?")[0] + "password"
    form = client.get("/password")  # the one page they may open
    assert form.status_code == 200 and 'data-testid="password-forced"' in form.text


# ----------------------------------------------------------------------------- the shell


class _Page(HTMLParser):
    """The tags of a page that matter to the shell: charsets, icons, what is loaded, scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.html_lang: list[str | None] = []
        self.charsets = 0
        self.icons: list[str] = []
        self.loads: list[str] = []
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.html_lang.append(found.get("lang"))
        if tag == "meta" and (
            "charset" in found or (found.get("http-equiv") or "").lower() == "content-type"
        ):
            self.charsets += 1
        if tag == "link" and found.get("rel") == "icon":
            self.icons.append(found.get("href") or "")
        if tag == "script":
            self.scripts.append(found)
        for name in ("src", "href"):
            if found.get(name) and tag in {"script", "link", "img", "iframe", "source"}:
                self.loads.append(found[name] or "")


URL_RE = re.compile(r"""https?://[^\s"'<>)\\]+""")


def _assert_shell(answer: object) -> None:
    """What every page of the shell is (see the module's docstring)."""
    assert hasattr(answer, "text") and hasattr(answer, "headers")
    page: str = answer.text
    parsed = _Page()
    parsed.feed(page)
    assert page.startswith("<!DOCTYPE html>")
    assert parsed.html_lang == ["zh-CN"]
    assert parsed.charsets == 1
    assert len(parsed.icons) == 1 and parsed.icons[0].startswith("/static/gridmap/favicon.svg")
    foreign = [url for url in parsed.loads if not is_local(url)]
    assert foreign == [], foreign
    # Nor in what runs or styles the page (inline scripts, styles).
    inline = " ".join(
        body for _, body in re.findall(r"<(script|style)[^>]*>(.*?)</\1>", page, re.S)
    )
    remote = [url for url in URL_RE.findall(inline) if not is_local(url)]
    assert remote == [], remote
    nonce = re.search(r"'nonce-([^']+)'", answer.headers["content-security-policy"])
    assert nonce
    for script in parsed.scripts:
        assert script.get("nonce") == nonce.group(1), script
    assert page.count("<script") == len(parsed.scripts)


@pytest.fixture
def scenario(client_as: ClientAs, conn: Connection) -> int:
    """One finished scenario of the tiny city, for its report page."""
    made = client_as("root").post(
        "/scenarios", json={"name": "壳", "area": [DISTRICT], "seed": 1, "target_count": 3}
    )
    assert made.status_code == 202, made.text
    run_queued(savepoint_tx(conn))
    return int(made.json()["id"])


def test_every_page_is_built_on_the_shell(
    client_as: ClientAs, anon: TestClient, scenario: int
) -> None:
    root = client_as("root")
    paths = [path for path, _ in PAGES if "/scenarios/" not in path]
    paths += [
        f"/scenarios/{scenario}/report",
        "/ogc?f=html",
        "/ogc/conformance?f=html",
        "/ogc/collections?f=html",
        "/ogc/collections/units?f=html",
        "/ogc/collections/units/items?f=html&limit=3",
    ]
    for path in paths:
        answer = root.get(path)
        assert answer.status_code == 200, (path, answer.text[:300])
        assert answer.headers["content-type"].startswith("text/html"), path
        _assert_shell(answer)
    _assert_shell(anon.get("/login"))
    refused = anon.post("/login", data={"username": "root", "password": "wrong", "next": "/"})
    assert refused.status_code == 401
    _assert_shell(refused)


def test_the_logged_in_pages_carry_the_csrf_token_for_scripts(client_as: ClientAs) -> None:
    root = client_as("root")
    token = root.headers["X-CSRF-Token"]
    for path in ("/", "/edit", "/compare", "/incidents/map", "/party", "/field", "/admin"):
        page = root.get(path).text
        assert page.count('<meta name="csrf-token"') == 1, path
        assert f'<meta name="csrf-token" content="{token}">' in page, path


def test_a_page_for_one_role_refuses_the_others(app: FastAPI, client_as: ClientAs) -> None:
    @app.get("/only-for-field-workers")
    def only(viewer: WorkerViewer) -> dict[str, str]:
        return {"name": viewer.name}

    assert client_as("t-worker").get("/only-for-field-workers").json() == {"name": "测试 t-worker"}
    refused = client_as("root").get("/only-for-field-workers")
    assert refused.status_code == 403 and "不能打开此页面" in refused.text
    _assert_shell(refused)
