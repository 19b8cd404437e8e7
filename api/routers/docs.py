"""The API documentation pages, ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), served offline.

FastAPI's own pages load both from a CDN, with a CDN favicon and Google Fonts: on a government
network with no way out they stay blank. These are the same pages with every asset from the
app (vendored under ``maps/static/vendor``, see its README) and the page CSP with a nonce.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse

from api.deps import SettingsDep
from api.page_auth import page_response
from maps.assets import FAVICON, REDOC_JS, SWAGGER_CSS, SWAGGER_JS, static_url

router = APIRouter(include_in_schema=False)

OAUTH2_REDIRECT = "/docs/oauth2-redirect"


def _html(response: HTMLResponse) -> str:
    return bytes(response.body).decode()


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request, settings: SettingsDep) -> HTMLResponse:
    """Swagger UI: try every endpoint with the session of the browser."""
    page = get_swagger_ui_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} API · 接口文档",
        swagger_js_url=static_url(SWAGGER_JS),
        swagger_css_url=static_url(SWAGGER_CSS),
        swagger_favicon_url=static_url(FAVICON),
        oauth2_redirect_url=OAUTH2_REDIRECT,
        # No badge from validator.swagger.io: nothing leaves the app. Tags start folded, with a
        # filter: 150 operations listed at once are a long page, and Swagger UI 5 stopped
        # drawing the list after 8 of them once the councils' routes came (no error shown);
        # folded, every tag opens with all its operations (tests/test_journeys_desk.py).
        swagger_ui_parameters={"validatorUrl": None, "docExpansion": "none", "filter": True},
    )
    return page_response(_html(page), settings)


@router.get(OAUTH2_REDIRECT, response_class=HTMLResponse)
def swagger_ui_redirect(settings: SettingsDep) -> HTMLResponse:
    return page_response(_html(get_swagger_ui_oauth2_redirect_html()), settings)


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request, settings: SettingsDep) -> HTMLResponse:
    """ReDoc: the reference, one long page, without Google Fonts."""
    page = get_redoc_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} API · 接口文档",
        redoc_js_url=static_url(REDOC_JS),
        redoc_favicon_url=static_url(FAVICON),
        with_google_fonts=False,
    )
    answer = page_response(_html(page), settings)
    # ReDoc runs its search index in a Web Worker it makes from a blob: URL.
    answer.headers["Content-Security-Policy"] += "; worker-src 'self' blob:"
    return answer
