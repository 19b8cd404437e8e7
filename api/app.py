"""The FastAPI application factory: settings in, app out; the pool lives in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

from api import problems
from api.routers import areas, health, layers, pages
from gis import __version__
from gis.db import make_engine, resolve_url
from gis.settings import Settings, load_settings
from maps.assets import STATIC_DIR


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. The database (embedded or by URL) is opened at start-up, closed at exit."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(resolve_url(settings))
        app.state.engine = engine
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="Gridmap",
        version=__version__,
        summary="Grid mapping for community governance (网格化管理) on PostGIS",
        lifespan=lifespan,
    )
    app.state.settings = settings
    problems.install(app)
    # A city-wide layer is megabytes of GeoJSON that compresses ~5×: worth it on county networks.
    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=5)
    app.include_router(health.router)
    app.include_router(areas.router)
    app.include_router(layers.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
