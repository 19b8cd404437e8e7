"""A grid layer as one PMTiles archive: its vector tiles from zoom ``minzoom`` to ``maxzoom``.

A province map can then be published as a single static file behind any web server or CDN
(PMTiles is read with HTTP range requests; no tile server). The tiles are the ones the API
serves (:func:`gis.tiles.service.render`), gzipped as PMTiles readers expect, written with the
``pmtiles`` package's reference writer in tile-id order (a clustered archive). Empty tiles are
left out: a reader treats a missing tile as empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import write
from sqlalchemy import Connection

from gis.access import Access
from gis.errors import Invalid
from gis.infra.settings import Settings
from gis.tiles.coords import MAX_ZOOM, TileCoord, count_covering, tiles_covering
from gis.tiles.service import WORLD, compress, render, scope_bounds, tilejson
from gis.tiles.sources import Source, source
from gis.tiles.versions import SourceState, source_state

#: More tiles than this is a job for a tile pipeline, not one command (z16 over a province).
MAX_TILES = 250_000


@dataclass(frozen=True)
class Archive:
    path: Path
    tiles: int  # tiles with content written
    addressed: int  # tiles looked at (with content or empty)
    bytes: int
    version: str


def export_pmtiles(
    conn: Connection,
    settings: Settings,
    layer: str,
    path: Path,
    *,
    minzoom: int,
    maxzoom: int,
    access: Access,
) -> Archive:
    """Write the grids of ``layer`` (as ``access`` may see them) to ``path`` as PMTiles v3."""
    if not 0 <= minzoom <= maxzoom <= MAX_ZOOM:
        raise Invalid(
            f"缩放级别无效 (zooms must satisfy 0 ≤ minzoom ≤ maxzoom ≤ {MAX_ZOOM}; "
            f"got {minzoom}..{maxzoom})",
            minzoom=minzoom,
            maxzoom=maxzoom,
        )
    src = source(f"grids.{layer}")
    state = source_state(conn, settings, src, access=access)
    bounds = scope_bounds(conn, src, state, access=access)
    if bounds == WORLD:  # no grid of the layer is reached
        raise Invalid(f"图层没有可导出的网格 (layer {layer!r} has no grids to export)", layer=layer)
    count = sum(count_covering(bounds, z) for z in range(minzoom, maxzoom + 1))
    if count > MAX_TILES:
        raise Invalid(
            f"瓦片过多 ({count:,} tiles from z{minzoom} to z{maxzoom}; at most "
            f"{MAX_TILES:,}: lower --maxzoom)",
            tiles=count,
        )
    coords = [c for z in range(minzoom, maxzoom + 1) for c in tiles_covering(bounds, z)]
    coords.sort(key=lambda c: zxy_to_tileid(c.z, c.x, c.y))
    doc = tilejson(conn, settings, src.name, access=access, base_url="")
    partial = path.with_name(path.name + ".part")  # the target appears whole or not at all
    try:
        written = _write(conn, src, state, coords, partial, bounds, minzoom, doc, access)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if not written:
        partial.unlink(missing_ok=True)
        raise Invalid(f"图层没有可导出的网格 (layer {layer!r} has no grids to export)", layer=layer)
    partial.replace(path)
    return Archive(path, written, len(coords), path.stat().st_size, state.version)


def _write(
    conn: Connection,
    src: Source,
    state: SourceState,
    coords: list[TileCoord],
    path: Path,
    bounds: list[float],
    minzoom: int,
    doc: dict[str, Any],
    access: Access,
) -> int:
    written = 0
    with write(str(path)) as writer:
        for coord in coords:
            body = compress(render(conn, src, state, coord, access=access))
            if body:
                writer.write_tile(zxy_to_tileid(coord.z, coord.x, coord.y), body)
                written += 1
        if not written:
            return 0
        writer.finalize(
            {
                "tile_type": TileType.MVT,
                "tile_compression": Compression.GZIP,
                "min_lon_e7": int(bounds[0] * 1e7),
                "min_lat_e7": int(bounds[1] * 1e7),
                "max_lon_e7": int(bounds[2] * 1e7),
                "max_lat_e7": int(bounds[3] * 1e7),
                "center_zoom": minzoom,
                "center_lon_e7": int((bounds[0] + bounds[2]) / 2 * 1e7),
                "center_lat_e7": int((bounds[1] + bounds[3]) / 2 * 1e7),
            },
            {
                "name": doc["name"],
                "description": doc["description"],
                "attribution": doc["attribution"],
                "version": state.version,
                "vector_layers": doc["vector_layers"],
            },
        )
    return written
