"""Grid layers (departmental, unified, scenarios), their grids, and base units, within scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api.auth import AccessDep, MapAccess
from api.deps import BandDep, ConnDep, SettingsDep
from api.geo import GEO_FEATURE_RESPONSE, GEO_RESPONSE, BBoxQuery, CrsQuery, bbox_or_none, geojson
from api.schemas import GridOut, GridRename
from api.schemas.layers import LayerOut
from api.schemas.scenarios import BoundaryOut
from gis import editing
from gis.boundaries import layer_boundaries
from gis.layers import (
    get_layer,
    grid_detail,
    grids_geojson,
    list_layers,
    unit_detail,
)
from gis.scenarios.compare import layer_band

router = APIRouter(tags=["layers"])
MAX_OFFSET = 2**31 - 1
LayerCode = Annotated[
    str, Path(description="unified, zongzhi, chengguan, … or a scenario", examples=["unified"])
]
GridCode = Annotated[str, Path(description="15 characters", examples=["361002001001001"])]
UnitCode = Annotated[str, Path(examples=["361002001001U001"])]


@router.get("/layers", summary="Grid layers with the workload balance of my grids")
def layers(conn: ConnDep, access: MapAccess, band: BandDep) -> list[LayerOut]:
    return [LayerOut.model_validate(x) for x in list_layers(conn, band, access=access)]


@router.get("/layers/{layer}", summary="One grid layer")
def layer(conn: ConnDep, access: MapAccess, band: BandDep, layer: LayerCode) -> LayerOut:
    return LayerOut.model_validate(get_layer(conn, layer, band, access=access))


@router.get(
    "/layers/{layer}/boundaries",
    summary="What the layer's grid boundary runs along (main road, river, nothing visible…)",
)
def boundaries(conn: ConnDep, access: MapAccess, band: BandDep, layer: LayerCode) -> BoundaryOut:
    """Length of the grid boundary within the user's scope and the share of it along the
    river, main, secondary and branch roads, lanes, or nothing visible (界定清晰)."""
    return BoundaryOut.model_validate(layer_boundaries(conn, layer, band, access=access))


@router.get("/layers/{layer}/grids", responses=GEO_RESPONSE, response_class=Response)
def grids(
    conn: ConnDep,
    access: MapAccess,
    settings: SettingsDep,
    layer: LayerCode,
    bbox: BBoxQuery = None,
    community: Annotated[
        str | None, Query(description="community code (12 digits)", examples=["361002001001"])
    ] = None,
    limit: Annotated[int | None, Query(ge=1, le=20000, description="page size")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    crs: CrsQuery = "wgs84",
) -> Response:
    """A layer's grids within the user's scope as GeoJSON, built in PostGIS; filter by bbox or
    community, paged.

    The collection carries ``numberMatched``, ``numberReturned`` and ``next_offset`` when more
    pages follow.
    """
    body = grids_geojson(
        conn,
        layer,
        band=layer_band(conn, layer, settings),  # a scenario's own band, as its report's
        bbox=bbox_or_none(bbox),
        community=community,
        limit=limit or settings.geojson_page_limit,
        offset=offset,
        access=access,
    )
    return geojson(body, crs)


@router.get("/layers/{layer}/grids/{code}", responses=GEO_FEATURE_RESPONSE, response_class=Response)
def grid(
    conn: ConnDep,
    access: MapAccess,
    settings: SettingsDep,
    layer: LayerCode,
    code: GridCode,
    crs: CrsQuery = "wgs84",
) -> Response:
    """One grid with its units, totals, workload and band status (by the layer's own band)."""
    band = layer_band(conn, layer, settings)
    return geojson(grid_detail(conn, layer, code, band, access=access), crs)


@router.patch("/layers/{layer}/grids/{code}", summary="Rename a grid")
def patch_grid(
    conn: ConnDep,
    access: AccessDep,
    settings: SettingsDep,
    layer: LayerCode,
    code: GridCode,
    body: GridRename,
) -> GridOut:
    """Planners and administrators rename a grid that lies wholly inside their scope.

    The same edit as the editor's ``POST …/rename`` (a new layer version, a history entry and
    the audit row ``layer.rename``), without a version check: kept for scripts written earlier.
    """
    editing.rename_grid(
        conn, layer, code, editing.EditOptions(None), settings, name=body.name, access=access
    )
    return GridOut(layer=layer, code=code, name=body.name.strip())


@router.get(
    "/units/{code}", responses=GEO_FEATURE_RESPONSE, response_class=Response, tags=["units"]
)
def unit(conn: ConnDep, access: MapAccess, code: UnitCode, crs: CrsQuery = "wgs84") -> Response:
    """One base unit with the grid it belongs to in every layer."""
    return geojson(unit_detail(conn, code, access=access), crs)
