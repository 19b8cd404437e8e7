"""The one database transaction a CLI command runs in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from gis.infra.settings import load_settings

if TYPE_CHECKING:
    from sqlalchemy import Connection


@contextmanager
def transaction(*, migrate_first: bool = True) -> Iterator[Connection]:
    """One transaction on the configured database, brought to the latest schema first: a
    command either changes everything it set out to, or nothing."""
    from gis.infra.db import make_engine, migrate, resolve_url  # local: keeps --help fast

    url = resolve_url(load_settings())
    if migrate_first:
        migrate(url)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()
