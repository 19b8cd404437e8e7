"""Typed dependencies: the settings and a database connection per request.

Dependencies that only read the app's state are ``async def``: FastAPI runs a plain ``def``
dependency in the thread pool, one hand-over per dependency per request, which under load cost
more than the work (bench/load_mixed.py). Those that touch the database stay ``def``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine

from gis.infra.settings import Settings


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def get_engine(request: Request) -> Engine:
    return engine_of(request)


def get_connection(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Connection]:
    """A connection in a transaction: committed when the route returns, rolled back on error."""
    with engine.begin() as conn:
        yield conn


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": the transaction commits when the route returns, *before* the answer is sent,
# so a client that is told "done" (a log-in, a change) finds it done on its next request.
ConnDep = Annotated[Connection, Depends(get_connection, scope="function")]


async def band(settings: SettingsDep) -> tuple[float, float]:
    return (settings.band_low, settings.band_high)


BandDep = Annotated[tuple[float, float], Depends(band)]
