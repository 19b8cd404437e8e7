"""The FastAPI application factory: settings in, app out; the pool lives in the lifespan."""

from __future__ import annotations

import datetime as dt
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.to_thread
import uvicorn
from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api import auth, page_auth, problems
from api.capacity import Admission, AdmissionGate
from api.routers import (
    account_pages,
    admin_pages,
    areas,
    audit,
    docs,
    editor_pages,
    exchange,
    facilities,
    facilities_pages,
    health,
    incident_pages,
    incidents,
    layers,
    ogc,
    open311,
    optimizer,
    pages,
    plan_files,
    scenario_comments,
    scenario_shares,
    subscriptions,
    tiles,
    users,
)
from api.routers import assessment as assessment_api
from api.routers import assessment_pages as assessment_pages_api
from api.routers import council_pages as council_pages_api
from api.routers import councils as councils_api
from api.routers import forms as forms_api
from api.routers import needs as needs_api
from api.routers import needs_intake as needs_intake_api
from api.routers import needs_pages as needs_pages_api
from api.routers import party as party_api
from api.routers import party_pages as party_pages_api
from api.routers import patrols as patrols_api
from api.routers import projects as projects_api
from api.routers import province_pages as province_pages_api
from api.routers import rollups as rollups_api
from api.routers.editor import router as editor_router
from api.routers.scenario_pages import router as scenario_pages_router
from api.routers.scenarios import router as scenarios_router
from api.security import BodyLimit, CsrfProtect, SecurityHeaders
from gis import __version__
from gis.accounts import SessionPolicy
from gis.accounts.throttle import LoginThrottle
from gis.infra.answers import CACHE
from gis.infra.db import server_engine
from gis.infra.scratch import ScratchDir, clean_stale
from gis.infra.settings import Settings, load_settings, resolve_secret_key
from gis.notify.service import start_thread
from maps.assets import STATIC_DIR


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. The database (embedded or by URL) is opened at start-up, closed at exit.

    Refuses to build (:class:`~gis.errors.Misconfigured`) without a secret key outside demo mode.
    """
    settings = settings or load_settings()
    secret = resolve_secret_key(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = server_engine(settings)
        app.state.engine = engine
        # Threads for every admitted request and then some (static files, background work).
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(
            limiter.total_tokens,
            2 * (settings.request_slots + settings.write_slots + settings.light_slots),
        )
        clean_stale()
        scratch = ScratchDir()
        app.state.scratch_dir = scratch.path
        async with anyio.create_task_group() as background:
            supervisor = os.environ.get(SUPERVISOR_ENV)
            if settings.workers > 1 and supervisor:
                background.start_soon(_stop_when_orphaned, int(supervisor))
            notifier = None
            if settings.notify.worker_in_serve:  # the outbox and deadline loop (gis.notify)
                notifier = start_thread(engine, settings.notify)
            try:
                yield
            finally:
                background.cancel_scope.cancel()
                if notifier is not None:
                    notifier[1].set()
                    notifier[0].join(timeout=10)
                engine.dispose()
                scratch.close()

    app = FastAPI(
        title="Gridmap",
        version=__version__,
        summary="Grid mapping for community governance (网格化管理) on PostGIS",
        description="Every endpoint but /health and the docs needs a log-in (POST /auth/login), "
        "and answers only within the user's scope in the admin hierarchy.",
        lifespan=lifespan,
        docs_url=None,  # served offline by api.routers.docs
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.policy = SessionPolicy(
        secret,
        lifetime=dt.timedelta(hours=settings.session_hours),
        idle=dt.timedelta(minutes=settings.session_idle_minutes),
    )
    app.state.login_throttle = LoginThrottle(
        max_failures=settings.login_max_failures,
        max_failures_per_ip=settings.login_max_failures_per_ip,
        window=dt.timedelta(seconds=settings.login_window_seconds),
    )
    app.state.clock = lambda: dt.datetime.now(dt.UTC)
    problems.install(app)
    page_auth.install(app)
    # Middleware added last runs first: the client's address (from a trusted proxy only), headers
    # on every answer, admission (503 when full), then the size limit, then CSRF.
    # A city-wide layer is megabytes of GeoJSON that compresses ~5×: worth it on county networks.
    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=5)
    app.add_middleware(
        CsrfProtect,
        secret=secret,
        allowed_origins=settings.allowed_origins.split(","),
    )
    app.add_middleware(
        BodyLimit, max_bytes=settings.max_body_bytes, max_upload_bytes=settings.max_upload_bytes
    )
    CACHE.enabled = settings.answer_cache  # one per process, as the settings are
    app.state.admission = Admission.create(
        request_slots=settings.request_slots,
        write_slots=settings.write_slots,
        light_slots=settings.light_slots,
        queue_per_slot=settings.queue_per_slot,
        queue_seconds=settings.queue_seconds,
    )
    app.add_middleware(AdmissionGate, admission=app.state.admission)
    app.add_middleware(SecurityHeaders, hsts=settings.cookie_secure)
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted_proxies(settings))
    app.include_router(health.router)
    app.include_router(docs.router)
    app.include_router(auth.router)
    app.include_router(areas.router)
    app.include_router(layers.router)
    app.include_router(tiles.router)
    app.include_router(users.router)
    app.include_router(audit.router)
    app.include_router(optimizer.router)
    app.include_router(exchange.router)
    app.include_router(facilities_pages.router)  # before /facilities/{code}
    app.include_router(facilities.router)
    app.include_router(pages.router)
    app.include_router(account_pages.router)
    app.include_router(admin_pages.router)
    app.include_router(party_api.router)
    app.include_router(party_pages_api.router)
    app.include_router(needs_intake_api.router)  # /needs/ask before /needs/{code}
    app.include_router(needs_pages_api.router)  # before /needs/{code}, which "map" would match
    app.include_router(needs_api.router)
    app.include_router(projects_api.router)
    app.include_router(rollups_api.router)
    app.include_router(province_pages_api.router)
    app.include_router(council_pages_api.router)  # before /councils/{code}
    app.include_router(councils_api.router)
    app.include_router(patrols_api.router)  # /field/patrols…, after the /field page
    app.include_router(assessment_pages_api.router)  # /assessment/map
    app.include_router(assessment_api.router)  # /field/score, /assessment/…
    app.include_router(forms_api.router)  # /forms (一表同享)
    app.include_router(incident_pages.router)  # before /incidents/{id}, which "map" would match
    app.include_router(incidents.router)
    app.include_router(open311.router)
    app.include_router(subscriptions.router)
    app.include_router(ogc.router)  # OGC API — Features for GIS clients (QGIS, OWSLib)
    app.include_router(editor_router)
    app.include_router(editor_pages.router)
    app.include_router(plan_files.router)  # /scenarios/import before /scenarios/{id}
    app.include_router(scenarios_router)
    app.include_router(scenario_comments.router)
    app.include_router(scenario_shares.router)
    app.include_router(scenario_pages_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


#: Set by ``gridmap serve --workers N`` to its own pid, for the worker processes it starts.
SUPERVISOR_ENV = "GRIDMAP_SUPERVISOR_PID"


async def _stop_when_orphaned(supervisor: int) -> None:
    """One of several server processes: stop when the supervisor is gone (killed with -9, it
    cannot stop its workers), so that no orphan keeps the port and the database connections.
    Checked against the pid the supervisor wrote down, not the parent at start-up: a worker may
    finish starting after its supervisor has died."""
    while os.getppid() == supervisor:
        await anyio.sleep(1)
    os.kill(os.getpid(), signal.SIGTERM)  # uvicorn's own graceful shutdown


def trusted_proxies(settings: Settings) -> list[str]:
    """The proxies whose X-Forwarded-For is believed; none unless configured."""
    return [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]


def server_config(
    app: FastAPI | str,
    *,
    host: str,
    port: int,
    log_level: str = "info",
    workers: int = 1,
) -> uvicorn.Config:
    """How uvicorn serves the app: its own forwarded-header handling off (it trusts 127.0.0.1 by
    default, so anyone on the machine could pick their address), the app's is configured.

    ``app`` is the app, or for several ``workers`` the import path of a factory (each process
    builds its own app, pool and admission gate from the same environment).
    """
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        proxy_headers=False,
        forwarded_allow_ips="",
        workers=workers,
        factory=isinstance(app, str),
    )
