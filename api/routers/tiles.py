"""Vector tiles (MVT) and TileJSON, within the caller's scope (gis.tiles).

``GET /tiles/{source}/{version}/{z}/{x}/{y}.mvt``: the version is part of the URL, so a tile is
cached for a year (``immutable``); an edit or an adoption changes the version, and the page asks
for new URLs. A request for a version that is not the current one is answered **302 Found** with
the current tile's URL (``Cache-Control: no-cache``): a page opened before an edit keeps drawing,
and gets today's tiles. Tiles are per user (their scope), so the cache is ``private`` and varies
by the credentials. An empty tile is **204 No Content** (no body to send or decode).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import RedirectResponse

from api.auth import MapAccess
from api.deps import ConnDep, SettingsDep
from api.geo import CrsQuery
from gis.tiles import TILE_MEDIA_TYPE, get_tile, tilejson

router = APIRouter(tags=["tiles"])
IMMUTABLE = "private, max-age=31536000, immutable"
VARY = "Cookie, Authorization"
SourceName = Annotated[
    str,
    Path(
        description="grids.<layer>, party.<layer>, units, areas, buildings or incidents",
        examples=["grids.unified"],
    ),
]
TILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {TILE_MEDIA_TYPE: {}}, "description": "A Mapbox Vector Tile"},
    204: {"description": "Empty tile: nothing the caller may see lies in it"},
    302: {"description": "Not the current version: Location is the current tile's URL"},
    304: {"description": "Not modified (If-None-Match)"},
}


@router.get(
    "/tiles/{source}/{version}/{z}/{x}/{y}.mvt",
    summary="One vector tile of a source, as the caller's scope sees it",
    response_class=Response,
    responses=TILE_RESPONSES,
)
def tile(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    access: MapAccess,
    source: SourceName,
    version: Annotated[str, Path(max_length=40, examples=["1-5d41402abc"])],
    z: Annotated[str, Path(description="zoom, 0..22")],
    x: Annotated[str, Path(description="column, 0..2^z-1")],
    y: Annotated[str, Path(description="row, 0..2^z-1 (XYZ: 0 is north)")],
    crs: CrsQuery = "wgs84",
) -> Response:
    found = get_tile(conn, settings, source, version, z, x, y, access=access, crs=crs)
    if found.stale:
        current = str(request.url_for("tile", source=found.source, version=found.current,
                                      z=str(found.coord.z), x=str(found.coord.x),
                                      y=str(found.coord.y)))  # fmt: skip
        if crs != "wgs84":
            current += f"?crs={crs}"
        return RedirectResponse(
            current, status_code=302, headers={"Cache-Control": "no-cache", "Vary": VARY}
        )
    headers = {"Cache-Control": IMMUTABLE, "ETag": found.etag, "Vary": VARY + ", Accept-Encoding"}
    if found.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if found.empty:
        return Response(status_code=204, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        # Gzipped once when made (and so cached); the GZip middleware lets it through as is.
        headers["Content-Encoding"] = "gzip"
        return Response(found.gzipped, media_type=TILE_MEDIA_TYPE, headers=headers)
    return Response(found.raw(), media_type=TILE_MEDIA_TYPE, headers=headers)


@router.get("/tiles/{source}.json", summary="TileJSON 3.0 of a source, for the caller's scope")
def source_tilejson(
    request: Request,
    response: Response,
    conn: ConnDep,
    settings: SettingsDep,
    access: MapAccess,
    source: SourceName,
    crs: CrsQuery = "wgs84",
) -> dict[str, Any]:
    """The tile URL template with the current version, the bounds of the caller's scope, the
    zooms and every layer's fields. Not cached: it is how a page learns the current version."""
    response.headers["Cache-Control"] = "no-cache"
    return tilejson(conn, settings, source, access=access, base_url=str(request.base_url), crs=crs)
