"""The vector-tile cache (gis.tiles.cache)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, LargeBinary, SmallInteger, String, func
from sqlalchemy.orm import Mapped, mapped_column

from gis.infra.models.base import Base


class TileCache(Base):
    """A vector tile made once (gis.tiles.cache), keyed by source, version, scope and z/x/y.

    The version is in the key, so a tile of an edited layer is never served again; an empty
    tile is kept as zero bytes (the cheap 204 is cached too)."""

    __tablename__ = "tile_cache"
    __table_args__ = {"prefixes": ["UNLOGGED"]}  # a cache: no WAL, emptied after a crash
    source: Mapped[str] = mapped_column(String(80), primary_key=True)
    version: Mapped[str] = mapped_column(String(40), primary_key=True)
    scope: Mapped[str] = mapped_column(String(120), primary_key=True)
    z: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    x: Mapped[int] = mapped_column(Integer, primary_key=True)
    y: Mapped[int] = mapped_column(Integer, primary_key=True)
    tile: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
