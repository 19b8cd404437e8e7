"""The tile cache: a table of made tiles (gzipped, as sent) keyed by (source, version, scope,
z, x, y). Reading goes with the version query (gis.tiles.versions.PROBE); this module writes.

In the database rather than on disk because the data are there: the cache shares their
transactions and backups, every server process sees the same tiles, and a test's rolled-back
transaction leaves nothing behind. What the cache buys is measured by bench/tiles.py (cold
against warm).

Only tiles with content up to zoom :data:`MAX_ZOOM` are kept. An empty tile costs one index
lookup to make, and so does a deep one (a few features); keeping them would let anyone walking
z22 fill the table with rows that buy nothing.

Rows of a version that is no longer current are never read again; :func:`prune` deletes them
(called when a page asks for a source's TileJSON, i.e. once per map opened).
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from gis.tiles.coords import TileCoord

MAX_ZOOM = 16
KEY = "source = :source AND version = :version AND scope = :scope AND z = :z AND x = :x AND y = :y"


def _key(source: str, version: str, scope: str, coord: TileCoord) -> dict[str, object]:
    return {
        "source": source,
        "version": version,
        "scope": scope,
        "z": coord.z,
        "x": coord.x,
        "y": coord.y,
    }


def put(
    conn: Connection, source: str, version: str, scope: str, coord: TileCoord, tile: bytes
) -> None:
    conn.execute(
        text(
            "INSERT INTO tile_cache (source, version, scope, z, x, y, tile) "
            "VALUES (:source, :version, :scope, :z, :x, :y, :tile) ON CONFLICT DO NOTHING"
        ),
        _key(source, version, scope, coord) | {"tile": tile},
    )


def prune(conn: Connection, source: str, version: str) -> int:
    """Delete the cached tiles of ``source`` made for any other version; how many went."""
    return conn.execute(
        text("DELETE FROM tile_cache WHERE source = :source AND version <> :version"),
        {"source": source, "version": version},
    ).rowcount


def clear(conn: Connection) -> int:
    """Empty the cache (the bench's cold runs; an operator after restoring a backup)."""
    return conn.execute(text("DELETE FROM tile_cache")).rowcount
