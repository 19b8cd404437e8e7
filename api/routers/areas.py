"""Districts (区县), streets (街道) and communities (社区/村) as GeoJSON, within one's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api.auth import MapAccess
from api.deps import ConnDep
from api.geo import GEO_FEATURE_RESPONSE, GEO_RESPONSE, BBoxQuery, CrsQuery, bbox_or_none, geojson
from gis.admin import get_area, list_areas

router = APIRouter(tags=["areas"])
DistrictCode = Annotated[str, Path(description="6 digits", examples=["361002"])]
StreetCode = Annotated[str, Path(description="9 digits", examples=["361002001"])]
CommunityCode = Annotated[str, Path(description="12 digits", examples=["361002001001"])]


@router.get("/districts", responses=GEO_RESPONSE, response_class=Response)
def districts(
    conn: ConnDep, access: MapAccess, bbox: BBoxQuery = None, crs: CrsQuery = "wgs84"
) -> Response:
    """Districts (区县) with their real outlines: those in or holding the user's scope."""
    return geojson(list_areas(conn, "district", bbox=bbox_or_none(bbox), access=access), crs)


@router.get("/districts/{code}", responses=GEO_FEATURE_RESPONSE, response_class=Response)
def district(
    conn: ConnDep, access: MapAccess, code: DistrictCode, crs: CrsQuery = "wgs84"
) -> Response:
    return geojson(get_area(conn, "district", code, access=access), crs)


@router.get("/streets", responses=GEO_RESPONSE, response_class=Response)
def streets(
    conn: ConnDep,
    access: MapAccess,
    district: Annotated[
        str | None, Query(description="district code (6 digits)", examples=["361002"])
    ] = None,
    bbox: BBoxQuery = None,
    crs: CrsQuery = "wgs84",
) -> Response:
    """Streets (街道/乡镇), optionally of one district."""
    body = list_areas(conn, "street", parent=district, bbox=bbox_or_none(bbox), access=access)
    return geojson(body, crs)


@router.get("/streets/{code}", responses=GEO_FEATURE_RESPONSE, response_class=Response)
def street(conn: ConnDep, access: MapAccess, code: StreetCode, crs: CrsQuery = "wgs84") -> Response:
    return geojson(get_area(conn, "street", code, access=access), crs)


@router.get("/communities", responses=GEO_RESPONSE, response_class=Response)
def communities(
    conn: ConnDep,
    access: MapAccess,
    street: Annotated[
        str | None, Query(description="street code (9 digits)", examples=["361002001"])
    ] = None,
    bbox: BBoxQuery = None,
    crs: CrsQuery = "wgs84",
) -> Response:
    """Communities (社区/村), optionally of one street or in a bbox."""
    body = list_areas(conn, "community", parent=street, bbox=bbox_or_none(bbox), access=access)
    return geojson(body, crs)


@router.get("/communities/{code}", responses=GEO_FEATURE_RESPONSE, response_class=Response)
def community(
    conn: ConnDep, access: MapAccess, code: CommunityCode, crs: CrsQuery = "wgs84"
) -> Response:
    return geojson(get_area(conn, "community", code, access=access), crs)
