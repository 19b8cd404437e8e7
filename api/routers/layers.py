"""Grid layers (departmental, unified, scenarios), their grids, and base units."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.deps import BandDep, ConnDep, SettingsDep
from api.geo import GEO_RESPONSE, BBoxQuery, CrsQuery, bbox_or_none, geojson
from gis.layers import get_layer, grid_detail, grids_geojson, list_layers, unit_detail

router = APIRouter(tags=["layers"])


@router.get("/layers", summary="Grid layers with their workload balance")
def layers(conn: ConnDep, band: BandDep) -> list[dict[str, Any]]:
    return list_layers(conn, band)


@router.get("/layers/{layer}", summary="One grid layer")
def layer(conn: ConnDep, band: BandDep, layer: str) -> dict[str, Any]:
    return get_layer(conn, layer, band)


@router.get("/layers/{layer}/grids", responses=GEO_RESPONSE, response_class=Response)
def grids(
    conn: ConnDep,
    settings: SettingsDep,
    band: BandDep,
    layer: str,
    bbox: BBoxQuery = None,
    community: Annotated[str | None, Query(description="community code (12 digits)")] = None,
    limit: Annotated[int | None, Query(ge=1, le=20000, description="page size")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    crs: CrsQuery = "wgs84",
) -> Response:
    """A layer's grids as GeoJSON, built in PostGIS; filter by bbox or community, paged.

    The collection carries ``numberMatched``, ``numberReturned`` and ``next_offset`` when more
    pages follow.
    """
    body = grids_geojson(
        conn,
        layer,
        band=band,
        bbox=bbox_or_none(bbox),
        community=community,
        limit=limit or settings.geojson_page_limit,
        offset=offset,
    )
    return geojson(body, crs)


@router.get("/layers/{layer}/grids/{code}", responses=GEO_RESPONSE, response_class=Response)
def grid(conn: ConnDep, band: BandDep, layer: str, code: str, crs: CrsQuery = "wgs84") -> Response:
    """One grid with its units, totals, workload and band status."""
    return geojson(grid_detail(conn, layer, code, band), crs)


@router.get("/units/{code}", responses=GEO_RESPONSE, response_class=Response, tags=["units"])
def unit(conn: ConnDep, code: str, crs: CrsQuery = "wgs84") -> Response:
    """One base unit with the grid it belongs to in every layer."""
    return geojson(unit_detail(conn, code), crs)
