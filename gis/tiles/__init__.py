"""Vector tiles (Mapbox Vector Tile) made in PostGIS, within the caller's scope.

Modules: :mod:`~gis.tiles.coords` (z/x/y checked), :mod:`~gis.tiles.sources` (what can be drawn,
with which fields), :mod:`~gis.tiles.layers` and :mod:`~gis.tiles.hexcells` (the SQL),
:mod:`~gis.tiles.versions` (the version in every URL), :mod:`~gis.tiles.cache` (made tiles kept
in a table), :mod:`~gis.tiles.service` (tiles and TileJSON for a caller) and
:mod:`~gis.tiles.pmtiles` (a layer as one PMTiles archive).
"""

from gis.tiles.coords import TileCoord, tiles_covering
from gis.tiles.service import TILE_MEDIA_TYPE, Tile, current_version, get_tile, render, tilejson
from gis.tiles.sources import Source, source

__all__ = [
    "TILE_MEDIA_TYPE",
    "Source",
    "Tile",
    "TileCoord",
    "current_version",
    "get_tile",
    "render",
    "source",
    "tilejson",
    "tiles_covering",
]
