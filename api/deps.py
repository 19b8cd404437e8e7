"""Typed dependencies: the settings and a database connection per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine

from gis.infra.settings import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_connection(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Connection]:
    """A connection in a transaction: committed when the route returns, rolled back on error."""
    with engine.begin() as conn:
        yield conn


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": the transaction commits when the route returns, *before* the answer is sent,
# so a client that is told "done" (a log-in, a change) finds it done on its next request.
ConnDep = Annotated[Connection, Depends(get_connection, scope="function")]


def band(settings: SettingsDep) -> tuple[float, float]:
    return (settings.band_low, settings.band_high)


BandDep = Annotated[tuple[float, float], Depends(band)]
