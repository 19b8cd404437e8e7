"""Districts (区县), streets (街道) and communities (社区/村) as GeoJSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import ConnDep
from api.geo import GEO_RESPONSE, BBoxQuery, CrsQuery, bbox_or_none, geojson
from gis.admin import get_area, list_areas

router = APIRouter(tags=["areas"])


@router.get("/districts", responses=GEO_RESPONSE, response_class=Response)
def districts(conn: ConnDep, bbox: BBoxQuery = None, crs: CrsQuery = "wgs84") -> Response:
    """All districts (区县) with their real outlines."""
    return geojson(list_areas(conn, "district", bbox=bbox_or_none(bbox)), crs)


@router.get("/districts/{code}", responses=GEO_RESPONSE, response_class=Response)
def district(conn: ConnDep, code: str, crs: CrsQuery = "wgs84") -> Response:
    return geojson(get_area(conn, "district", code), crs)


@router.get("/streets", responses=GEO_RESPONSE, response_class=Response)
def streets(
    conn: ConnDep,
    district: Annotated[str | None, Query(description="district code (6 digits)")] = None,
    bbox: BBoxQuery = None,
    crs: CrsQuery = "wgs84",
) -> Response:
    """Streets (街道/乡镇), optionally of one district."""
    return geojson(list_areas(conn, "street", parent=district, bbox=bbox_or_none(bbox)), crs)


@router.get("/streets/{code}", responses=GEO_RESPONSE, response_class=Response)
def street(conn: ConnDep, code: str, crs: CrsQuery = "wgs84") -> Response:
    return geojson(get_area(conn, "street", code), crs)


@router.get("/communities", responses=GEO_RESPONSE, response_class=Response)
def communities(
    conn: ConnDep,
    street: Annotated[str | None, Query(description="street code (9 digits)")] = None,
    bbox: BBoxQuery = None,
    crs: CrsQuery = "wgs84",
) -> Response:
    """Communities (社区/村), optionally of one street or in a bbox."""
    return geojson(list_areas(conn, "community", parent=street, bbox=bbox_or_none(bbox)), crs)


@router.get("/communities/{code}", responses=GEO_RESPONSE, response_class=Response)
def community(conn: ConnDep, code: str, crs: CrsQuery = "wgs84") -> Response:
    return geojson(get_area(conn, "community", code), crs)
