"""What the journeys stand on, over HTTP: each role's landing page after log-in, the API docs
served from the app, one header on every page."""

from __future__ import annotations

import re

import pytest

from tests.conftest import TEST_PASSWORD

HOMES = [
    ("root", "/"),
    ("t-planner", "/edit"),
    ("t-county", "/compare"),
    ("t-department", "/incidents/map"),
    ("t-party", "/party"),
    ("t-worker", "/field"),
]


@pytest.mark.parametrize(("username", "home"), HOMES)
def test_each_role_lands_on_its_home_page(anon, username: str, home: str) -> None:
    """Asked for nothing but the map, a user lands on the page of their main task; a page they
    did ask for is kept."""
    form = {"username": username, "password": TEST_PASSWORD, "next": "/"}
    answer = anon.post("/login", data=form, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == home
    assert anon.get(home).status_code == 200
    # Logged in already, /login?next=/ goes to the same home.
    again = anon.get("/login", params={"next": "/"}, follow_redirects=False)
    assert again.headers["location"] == home


def test_a_page_asked_for_is_kept(anon) -> None:
    form = {"username": "t-worker", "password": TEST_PASSWORD, "next": "/incidents/map"}
    answer = anon.post("/login", data=form, follow_redirects=False)
    assert answer.headers["location"] == "/incidents/map"


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
def test_api_docs_load_everything_from_the_app(anon, path: str) -> None:
    page = anon.get(path)
    assert page.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text) + re.findall(
        r"url: '([^']+)'", page.text
    )
    assert all(u.startswith("/") for u in urls), urls
    assert "cdn" not in page.text and "fonts.googleapis" not in page.text
    csp = page.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce and page.text.count("<script") == page.text.count(f'nonce="{nonce.group(1)}"')
    if path == "/redoc":
        assert "worker-src 'self' blob:" in csp


@pytest.mark.parametrize(("username", "path"), [*HOMES, ("root", "/admin")])
def test_every_page_has_the_one_header(client_as, username: str, path: str) -> None:
    """The same header everywhere: the menu button, the links the user may open, 退出."""
    page = client_as(username).get(path).text
    assert len(re.findall(r'<header class="gm-head[ "]', page)) == 1
    assert 'data-testid="menu"' in page and 'data-testid="logout"' in page
    assert "header.css" in page
