"""Party coverage: what has a leader and what has none, the coverage map, suggested leaders
for a building, and a grid as its field worker sees it. All read-only, within the user's
scope (``view_map``), personal data masked as in :mod:`api.routers.party`.

Included by :mod:`api.routers.party` (its ``/party`` prefix and tag apply).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from api.auth import MapAccess
from api.deps import ConnDep, SettingsDep
from api.geo import GEO_RESPONSE, BBoxQuery, CrsQuery, bbox_or_none, geojson
from api.routers.party_params import LayerQuery, LimitQuery, OffsetQuery, OnQuery
from api.schemas.party import CoverageOut, FieldViewOut, SuggestionsOut, UncoveredOut
from gis.errors import Invalid
from gis.party import coverage, coverage_geojson, field_view, suggest_leaders, uncovered
from gis.scope import DEFAULT_GRID_LAYER

router = APIRouter()


# ----------------------------------------------------------------------------- coverage


@router.get("/coverage", summary="Coverage counts per street, community or grid")
def coverage_counts(
    conn: ConnDep,
    access: MapAccess,
    by: Annotated[Literal["street", "community", "grid"] | None, Query()] = "community",
    layer: LayerQuery = DEFAULT_GRID_LAYER,
    on: OnQuery = None,
) -> CoverageOut:
    """Buildings and entrance units with a leader, grids with a grid leader, cadres sent down,
    members with a role — totals over my scope, and one row per ``by``."""
    return CoverageOut.model_validate(coverage(conn, layer=layer, on=on, by=by, access=access))


@router.get("/coverage/uncovered", summary="What has no leader (or members with no role)")
def coverage_list(
    conn: ConnDep,
    access: MapAccess,
    kind: Annotated[Literal["building", "entrance", "grid", "member"], Query()] = "building",
    layer: LayerQuery = DEFAULT_GRID_LAYER,
    community: Annotated[str | None, Query(pattern=r"^[0-9]{12}$")] = None,
    on: OnQuery = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: OffsetQuery = 0,
) -> UncoveredOut:
    return UncoveredOut.model_validate(
        uncovered(
            conn,
            kind,
            layer=layer,
            on=on,
            community=community,
            limit=limit,
            offset=offset,
            access=access,
        )
    )


@router.get(
    "/coverage/map",
    summary="The coverage map: buildings or grids, covered or not",
    responses=GEO_RESPONSE,
    response_class=Response,
)
def coverage_map(
    conn: ConnDep,
    access: MapAccess,
    what: Annotated[Literal["buildings", "grids"], Query()] = "buildings",
    layer: LayerQuery = DEFAULT_GRID_LAYER,
    on: OnQuery = None,
    bbox: BBoxQuery = None,
    uncovered_only: Annotated[bool, Query(alias="uncovered")] = False,
    limit: LimitQuery = 5000,
    offset: OffsetQuery = 0,
    crs: CrsQuery = "wgs84",
) -> Response:
    body = coverage_geojson(
        conn,
        what,
        layer=layer,
        on=on,
        bbox=bbox_or_none(bbox),
        only_uncovered=uncovered_only,
        limit=limit,
        offset=offset,
        access=access,
    )
    return geojson(body, crs)


@router.get("/suggestions", summary="Nearest members with free capacity to lead a building")
def suggestions(
    conn: ConnDep,
    access: MapAccess,
    settings: SettingsDep,
    building: Annotated[str, Query(pattern=r"^[0-9A-Za-z_-]{1,32}$")],
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
    on: OnQuery = None,
) -> SuggestionsOut:
    """Ranked by straight-line distance in metres (PostGIS, index-assisted), then by fewer
    buildings already led. Assign one with ``POST /party/assignments``."""
    return SuggestionsOut.model_validate(
        suggest_leaders(
            conn,
            building,
            max_buildings=settings.party_max_buildings,
            limit=limit,
            on=on,
            access=access,
        )
    )


# ----------------------------------------------------------------------------- field view


@router.get("/field", summary="A grid as its field worker sees it")
def field(
    conn: ConnDep,
    access: MapAccess,
    grid: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{12}[0-9A-Za-z]{1,12}$",
            description="grid code (a field worker: their own grid, the default)",
        ),
    ] = None,
    layer: Annotated[str | None, Query(pattern=r"^[a-z0-9_-]{1,64}$")] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=64,
            pattern=r"^[^\x00-\x1f\x7f]*$",
            description="building name or number contains",
        ),
    ] = None,
    on: OnQuery = None,
) -> FieldViewOut:
    """The grid's outline, its buildings with households, building and unit leaders (with
    phone numbers to call), grid leader and cadres, and the open incidents inside it. Another
    grid than one's own is 403 for a field worker."""
    scope = access.scope
    if grid is None:
        if scope.level != "grid":
            raise Invalid(
                "请指定网格（?grid=CODE）：只有网格员有自己的网格 ("
                "name a grid (?grid=CODE): only a field worker has a grid of their own)"
            )
        grid, layer = scope.code, layer or scope.layer
    return FieldViewOut.model_validate(
        field_view(
            conn,
            grid,
            layer=layer or DEFAULT_GRID_LAYER,
            on=on,
            query=q,
            access=access,
        )
    )
