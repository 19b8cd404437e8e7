"""Tile coordinates (XYZ, Web Mercator) checked once, and the tile ranges a bounding box covers.

A tile request names its zoom and column/row as text in a URL; :meth:`TileCoord.parse` turns
that text into numbers or refuses it with a message that says which part is wrong, so the API
answers 4xx problem+json before any SQL runs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from gis.errors import Invalid

#: Deepest zoom served: 22 is ~4 cm a pixel, beyond any boundary a county draws.
MAX_ZOOM = 22
#: MVT geometry grid and the margin kept around a tile (in those units) so strokes meet cleanly.
EXTENT = 4096
BUFFER = 64
#: Half the Web Mercator world's width, in metres.
HALF_WORLD = 20037508.342789244
_INT = re.compile(r"[0-9]{1,7}")


@dataclass(frozen=True)
class TileCoord:
    z: int
    x: int
    y: int

    @classmethod
    def parse(cls, z: str | int, x: str | int, y: str | int) -> TileCoord:
        """Check ``z/x/y`` as given in a URL: whole numbers, ``0 ≤ z ≤ 22``, ``0 ≤ x, y < 2^z``."""
        values = []
        for name, value in (("z", z), ("x", x), ("y", y)):
            text = str(value)
            if not _INT.fullmatch(text):
                raise Invalid(
                    f"瓦片坐标无效 (tile {name} must be a whole number ≥ 0, not {text[:40]!r})",
                    **{name: text[:40]},
                )
            values.append(int(text))
        zoom, col, row = values
        if zoom > MAX_ZOOM:
            raise Invalid(
                f"缩放级别超出范围 (zoom {zoom} is outside 0..{MAX_ZOOM})",
                z=zoom,
                max_zoom=MAX_ZOOM,
            )
        size = 1 << zoom
        for name, value in (("x", col), ("y", row)):
            if value >= size:
                raise Invalid(
                    f"瓦片坐标超出范围 (tile {name}={value} is outside 0..{size - 1} "
                    f"at zoom {zoom})",
                    **{name: value, "z": zoom},
                )
        return cls(zoom, col, row)

    @property
    def metres_per_unit(self) -> float:
        """Size of one MVT grid unit (1/4096 of the tile) in Web Mercator metres."""
        return 2 * HALF_WORLD / (1 << self.z) / EXTENT

    @property
    def centre(self) -> tuple[float, float]:
        """Longitude and latitude of the tile's centre."""
        n = 1 << self.z
        lon = (self.x + 0.5) / n * 360.0 - 180.0
        lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (self.y + 0.5) / n))))
        return lon, lat

    def __str__(self) -> str:
        return f"{self.z}/{self.x}/{self.y}"


def mercator(lon: float, lat: float) -> tuple[float, float]:
    """A lon/lat point in Web Mercator metres (EPSG:3857)."""
    x = HALF_WORLD * lon / 180.0
    y = HALF_WORLD * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / math.pi
    return x, y


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The tile holding a point (clamped to the world's edge)."""
    n = 1 << z
    lat = max(min(lat, 85.05112878), -85.05112878)
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tiles_covering(bounds: Sequence[float], z: int) -> list[TileCoord]:
    """Every tile at zoom ``z`` that a lon/lat box (west, south, east, north) touches."""
    west, south, east, north = bounds
    x0, y0 = lonlat_to_tile(west, north, z)
    x1, y1 = lonlat_to_tile(east, south, z)
    return [TileCoord(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def count_covering(bounds: Sequence[float], z: int) -> int:
    """How many tiles :func:`tiles_covering` would list (without listing them)."""
    west, south, east, north = bounds
    x0, y0 = lonlat_to_tile(west, north, z)
    x1, y1 = lonlat_to_tile(east, south, z)
    return (x1 - x0 + 1) * (y1 - y0 + 1)
