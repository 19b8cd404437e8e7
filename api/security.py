"""Web security: response headers, CSRF and request size limits.

Three pure-ASGI middlewares, outermost first:

:class:`SecurityHeaders`
    ``X-Content-Type-Options``, ``X-Frame-Options``, ``Referrer-Policy``, a restrictive
    ``Content-Security-Policy`` on everything that does not set its own (pages set one with a
    per-response nonce, see :func:`page_csp`), and ``Strict-Transport-Security`` over https.
:class:`BodyLimit`
    Refuses a body larger than ``max_body_bytes`` (``max_upload_bytes`` under an upload path)
    with 413, from ``Content-Length`` before reading, or while reading a chunked body.
:class:`CsrfProtect`
    For unsafe methods (POST, PUT, PATCH, DELETE): a browser's ``Origin`` (or ``Referer``) must
    be this site's, and a request authenticated by the session *cookie* must carry the session's
    CSRF token, in an ``X-CSRF-Token`` header (scripts) or a ``csrf_token`` form field (forms).
    The token is an HMAC of the session token under the secret key: nothing to store, it changes
    with every log-in, and a page from another site can neither read nor compute it. Requests
    with an ``Authorization: Bearer`` header are exempt (a browser never adds one by itself), and
    so is the log-in itself (no session yet; the Origin check and SameSite cookies cover it).
The log-in throttle lives in the database (:mod:`gis.accounts.throttle`), so that every server
process shares it; forwarded client addresses are believed only from the proxies in
``GRIDMAP_TRUSTED_PROXIES`` (uvicorn's ``ProxyHeadersMiddleware``, see :func:`api.app.create_app`).

Why these are ours and not a library's (checked against the maintained ones):

- headers: ``secure`` (2.x) has an ASGI middleware, but it sets one fixed set of headers on every
  answer and *overwrites* what the answer set. Gridmap's pages set their own CSP with a
  per-response nonce, the API docs need none (Swagger UI), static files must stay cacheable and
  HSTS belongs on https only: rules per path and "add if absent", which is the 40 lines below.
- CSRF: ``starlette-csrf`` and ``asgi-csrf`` do a double-submit *cookie* (a second, readable cookie
  the page copies into a header). Gridmap's token is an HMAC of the HttpOnly session token, handed
  out by ``/auth/login`` and ``/auth/me``: nothing stored, new with every log-in, exempt for bearer
  scripts, accepted as a form field for the log-out form, with an Origin/Sec-Fetch-Site check in
  front. Neither library checks Origin, and adopting either would change the contract every page
  and test relies on, for no gain in safety.
- size limits: no maintained ASGI middleware counts a chunked body as it arrives and answers 413
  as problem+json.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.exceptions import HTTPException as StarletteHTTPException

from gis.infra.settings import Settings

ASGIScope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[ASGIScope, Receive, Send], Awaitable[None]]

SESSION_COOKIE = "gridmap_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
#: Unsafe routes that need no CSRF token: logging in opens the session the token belongs to; a
#: resident's need is posted without a session (public and rate-limited, gis.needs.intake).
CSRF_EXEMPT = frozenset({"/login", "/auth/login", "/needs/ask", "/needs/intake"})
#: Paths whose bodies may be as large as ``max_upload_bytes`` (city packages, layers).
UPLOAD_PREFIXES: tuple[str, ...] = ("/imports",)
#: Pages served with their own CSP; FastAPI's API docs load Swagger UI from a CDN.
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def csrf_token(secret: str, session_token: str) -> str:
    """The CSRF token of a session: an HMAC of its token, so it needs no storage."""
    mac = hmac.new(secret.encode(), b"csrf\x00" + session_token.encode(), hashlib.sha256)
    return mac.hexdigest()


def csrf_ok(secret: str, session_token: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(
        csrf_token(secret, session_token), presented or ""
    )


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def page_csp(nonce: str, settings: Settings) -> str:
    """The CSP of an HTML page: scripts only from here or with this response's nonce."""
    images = ["'self'", "data:", "blob:"]
    tiles = tile_source(settings.tile_url)
    if tiles:
        images.append(tiles)
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",  # folium and Leaflet set inline styles
            f"img-src {' '.join(images)}",
            "connect-src 'self'",
            "font-src 'self' data:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def tile_source(template: str) -> str | None:
    """The CSP source of a tile URL template: ``https://t{s}.tianditu.gov.cn/…`` →
    ``https://*.tianditu.gov.cn``."""
    if not template:
        return None
    parts = urlsplit(template)
    if not parts.scheme or not parts.netloc:
        return None
    labels = ["*" if "{" in label else label for label in parts.netloc.split(".")]
    return f"{parts.scheme}://{'.'.join(labels)}"


def add_nonce(html: str, nonce: str) -> str:
    """Put the nonce on every ``<script`` tag of a page we render ourselves."""
    return html.replace("<script", f'<script nonce="{nonce}"')


def _headers(scope: ASGIScope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


async def _problem(send: Send, status: int, title: str, detail: str, path: str) -> None:
    problem = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": path,
    }
    body = json.dumps(problem, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """Adds the security headers to every HTTP response (see the module doc)."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: ASGIScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https" or self.hsts
        docs = scope["path"] in DOCS_PATHS
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}

                def add(name: bytes, value: str) -> None:
                    if name not in present:
                        headers.append((name, value.encode()))

                add(b"x-content-type-options", "nosniff")
                add(b"x-frame-options", "DENY")
                add(b"referrer-policy", "same-origin")
                add(b"cross-origin-opener-policy", "same-origin")
                add(b"permissions-policy", "camera=(), microphone=(), payment=(), usb=()")
                if not docs:
                    add(b"content-security-policy", API_CSP)
                if not static:  # answers hold personal data: no shared or disk caches
                    add(b"cache-control", "no-store")
                if https:
                    add(b"strict-transport-security", "max-age=31536000")
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class PayloadTooLarge(StarletteHTTPException):
    """Raised from ``receive`` when a body grows past the limit.

    An HTTP exception, so that FastAPI passes it on (reading a body, it turns other errors into
    400) to the problem handler; :class:`BodyLimit` answers it itself when nothing else did.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(413, detail)


class BodyLimit:
    """Refuses request bodies over the limit with 413 (see the module doc), and URLs holding a
    NUL character with 400 (no Gridmap input may hold one, and PostgreSQL text cannot)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        max_upload_bytes: int,
        upload_prefixes: Iterable[str] = UPLOAD_PREFIXES,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes
        self.upload_prefixes = tuple(upload_prefixes)

    async def __call__(self, scope: ASGIScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        raw = bytes(scope.get("raw_path") or b"") + b"?" + bytes(scope.get("query_string", b""))
        if b"%00" in raw or "\x00" in path:
            await _problem(send, 400, "Bad request", "the URL holds a NUL character", path)
            return
        upload = path.startswith(self.upload_prefixes)
        limit = self.max_upload_bytes if upload else self.max_bytes
        too_large = f"the request body is larger than {limit:,} bytes"
        length = _headers(scope).get("content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await _problem(send, 400, "Bad request", "Content-Length is not a number", path)
                return
            if declared > limit:
                await _problem(send, 413, "Payload too large", too_large, path)
                return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(too_large)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except PayloadTooLarge:
            if started:
                raise
            await _problem(send, 413, "Payload too large", too_large, path)


class CsrfProtect:
    """Origin check and CSRF token for unsafe requests (see the module doc)."""

    def __init__(self, app: ASGIApp, *, secret: str, allowed_origins: Iterable[str] = ()) -> None:
        self.app = app
        self.secret = secret
        self.allowed = {o.strip().rstrip("/").lower() for o in allowed_origins if o.strip()}

    def _same_site(self, source: str, host: str) -> bool:
        parts = urlsplit(source)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        # Netlocs are compared, not schemes: behind a proxy that ends TLS the app sees http.
        return parts.netloc.lower() == host.lower() or origin in self.allowed

    async def __call__(self, scope: ASGIScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        headers = _headers(scope)
        host = headers.get("host", "")
        source = headers.get("origin") or headers.get("referer")
        if headers.get("sec-fetch-site") == "cross-site" or (
            source is not None and not self._same_site(source, host)
        ):
            await _problem(
                send, 403, "Forbidden", "cross-site request refused (Origin check)", path
            )
            return
        bearer = headers.get("authorization", "").lower().startswith("bearer ")
        session = _cookie(headers.get("cookie", ""), SESSION_COOKIE)
        if bearer or not session or path in CSRF_EXEMPT:
            await self.app(scope, receive, send)
            return
        presented = headers.get(CSRF_HEADER)
        replay: list[Message] = []
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if presented is None and content_type == "application/x-www-form-urlencoded":
            body, replay = await _read_body(receive)  # bounded: BodyLimit is outside
            fields = parse_qs(body.decode("latin-1"), keep_blank_values=True)
            presented = next(iter(fields.get(CSRF_FIELD, [])), None)
        if not csrf_ok(self.secret, session, presented):
            await _problem(
                send,
                403,
                "Forbidden",
                "CSRF token missing or wrong: send the X-CSRF-Token header that GET /auth/me "
                "returns (or log in again)",
                path,
            )
            return
        if replay:
            pending = deque(replay)

            async def replay_receive() -> Message:
                return pending.popleft() if pending else await receive()

            await self.app(scope, replay_receive, send)
        else:
            await self.app(scope, receive, send)


async def _read_body(receive: Receive) -> tuple[bytes, list[Message]]:
    chunks: list[bytes] = []
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks), messages


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value.strip('"')
    return None
