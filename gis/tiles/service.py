"""Tiles and TileJSON for a caller: the entry points the API, the CLI and the bench use."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.crs import check_display_crs
from gis.infra.settings import Settings
from gis.tiles import cache, layers
from gis.tiles.coords import TileCoord
from gis.tiles.hexcells import hexagon_layer
from gis.tiles.sources import POINTS_FROM, Source, source
from gis.tiles.versions import SourceState, cache_scope, source_state

TILE_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
#: The bounds of a source of which the caller reaches nothing (TileJSON's default).
WORLD = [-180.0, -85.0511, 180.0, 85.0511]


@dataclass(frozen=True)
class Tile:
    """One answer: the tile gzipped as it is sent (``b""`` for an empty tile), or ``None`` when
    the version asked for is not the current one (``current`` names it)."""

    source: str
    asked: str
    current: str
    coord: TileCoord
    gzipped: bytes | None
    cached: bool = False

    @property
    def stale(self) -> bool:
        return self.gzipped is None

    @property
    def empty(self) -> bool:
        return not self.gzipped

    def raw(self) -> bytes:
        """The MVT bytes (for a client that does not take gzip)."""
        return gzip.decompress(self.gzipped) if self.gzipped else b""

    @property
    def etag(self) -> str:
        """Strong validator: a digest of the bytes (equal tiles of two scopes share it)."""
        return '"' + hashlib.sha256(self.gzipped or b"").hexdigest()[:32] + '"'


def compress(body: bytes) -> bytes:
    """Gzip once, when the tile is made (same bytes every time: mtime 0): the cache keeps it
    so, the API sends it so, and so does a PMTiles archive."""
    return gzip.compress(body, compresslevel=6, mtime=0) if body else b""


def render(
    conn: Connection,
    src: Source,
    state: SourceState,
    coord: TileCoord,
    crs: str = "wgs84",
    *,
    access: Access,
) -> bytes:
    """Make one tile in PostGIS (no cache): the layers of ``src`` that exist at this zoom."""
    if not src.minzoom <= coord.z <= src.maxzoom:
        return b""
    query = layers.TileQuery(params=layers.base_params(coord, crs))
    body = b""
    if src.kind == "grids":
        assert state.layer_id is not None
        layers.grids(query, state.layer_id, state.band, access=access)
    elif src.kind == "units":
        layers.units(query, access=access)
    elif src.kind == "areas":
        layers.areas(query, access=access)
    elif src.kind == "buildings":
        layers.buildings(query, access=access)
    elif src.kind == "party":
        assert state.layer_id is not None
        layers.party(query, state.layer_id, coord, state.on, access=access)
    elif src.kind == "incidents":
        if coord.z < POINTS_FROM:
            return hexagon_layer(conn, coord, crs, access=access)
        layers.incident_points(query, access=access)
    body = conn.execute(text(query.sql()), query.params).scalar_one()
    return bytes(body or b"")


def get_tile(
    conn: Connection,
    settings: Settings,
    source_name: str,
    version: str,
    z: str | int,
    x: str | int,
    y: str | int,
    *,
    access: Access,
    crs: str = "wgs84",
    use_cache: bool = True,
) -> Tile:
    """The tile ``source_name/version/z/x/y`` as ``access`` may see it.

    Unknown source or layer: :class:`~gis.errors.NotFound`; malformed or out-of-range
    coordinates: :class:`~gis.errors.Invalid`. A version that is not the current one gives a
    :class:`Tile` with no body (the API redirects to the current URL).
    """
    src = source(source_name)
    coord = TileCoord.parse(z, x, y)
    check_display_crs(crs)
    scope = cache_scope(src, access=access) + ("" if crs == "wgs84" else f"|{crs}")
    probe = {
        "probe_source": src.name,
        "probe_version": version,
        "probe_scope": scope,
        "probe_z": coord.z,
        "probe_x": coord.x,
        "probe_y": coord.y,
    }
    state = source_state(conn, settings, src, access=access, probe=probe if use_cache else None)
    if version != state.version:
        return Tile(src.name, version, state.version, coord, None)
    if state.cached is not None:
        return Tile(src.name, version, state.version, coord, state.cached, cached=True)
    body = compress(render(conn, src, state, coord, crs, access=access))
    if use_cache and body and coord.z <= cache.MAX_ZOOM:
        cache.put(conn, src.name, state.version, scope, coord, body)
    return Tile(src.name, version, state.version, coord, body)


def current_version(
    conn: Connection, settings: Settings, source_name: str, *, access: Access
) -> str:
    return source_state(conn, settings, source(source_name), access=access).version


def scope_bounds(
    conn: Connection, src: Source, state: SourceState, *, access: Access
) -> list[float]:
    """West, south, east, north (WGS84) of what the caller may see of the source."""
    if src.kind in ("grids", "party"):
        reach = access.scope.grid_sql("g")
        sql = f"SELECT ST_Extent(g.geom) FROM grid g WHERE g.layer_id = :layer_id AND {reach.sql}"
        params: dict[str, Any] = {"layer_id": state.layer_id} | reach.params
    elif access.scope.level == "grid":
        reach = access.scope.grid_sql("g")
        sql = f"SELECT ST_Extent(g.geom) FROM grid g WHERE {reach.sql}"
        params = reach.params
    else:
        inside = access.scope.filter_sql("c.code")
        sql = f"SELECT ST_Extent(c.geom) FROM community c WHERE {inside.sql}"
        params = inside.params
    box = conn.execute(
        text(f"SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM ({sql}) q(b)"), params
    ).one()
    if box[0] is None:
        return list(WORLD)
    return [round(float(v), 6) for v in box]


def tilejson(
    conn: Connection,
    settings: Settings,
    source_name: str,
    *,
    access: Access,
    base_url: str,
    crs: str = "wgs84",
) -> dict[str, Any]:
    """TileJSON 3.0.0 of a source for this caller: the URL template with the current version,
    the bounds of what their scope reaches, the zooms and every layer's fields.

    Asking for it also prunes the cache of the source's older versions.
    """
    src = source(source_name)
    state = source_state(conn, settings, src, access=access)
    cache.prune(conn, src.name, state.version)
    bounds = scope_bounds(conn, src, state, access=access)
    template = f"{base_url.rstrip('/')}/tiles/{src.name}/{state.version}/{{z}}/{{x}}/{{y}}.mvt"
    if check_display_crs(crs) != "wgs84":
        template += f"?crs={crs}"  # bounds stay in WGS84, as TileJSON says
    return {
        "tilejson": "3.0.0",
        "name": src.name,
        "description": src.title,
        "version": "1.0.0",
        "attribution": "Gridmap",
        "scheme": "xyz",
        "tiles": [template],
        "minzoom": src.minzoom,
        "maxzoom": src.maxzoom,
        "bounds": bounds,
        "center": [
            round((bounds[0] + bounds[2]) / 2, 6),
            round((bounds[1] + bounds[3]) / 2, 6),
            max(src.minzoom, 11),
        ],
        "data_version": state.version,
        "vector_layers": [
            {
                "id": layer.name,
                "description": layer.description,
                "minzoom": max(layer.minzoom, src.minzoom),
                "maxzoom": min(layer.maxzoom, src.maxzoom),
                "fields": layer.fields,
            }
            for layer in src.layers
        ],
    }
