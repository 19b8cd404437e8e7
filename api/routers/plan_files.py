"""Plans as unit → grid tables: any layer exported, an uploaded plan imported as a scenario."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, Response, UploadFile

from api.auth import MapAccess, permitted
from api.deps import ConnDep, SettingsDep
from api.schemas.scenarios import ScenarioOut
from api.uploads import safe_name, saved_upload
from gis.access import Access
from gis.accounts import Permission
from gis.codes import SHAPES
from gis.scenarios.plan_files import (
    assignment_file,
    export_assignment,
    import_plan,
    read_assignment,
)
from gis.spreadsheet import CSV_MEDIA, XLSX_MEDIA

router = APIRouter(tags=["scenarios"])
RunnerAccess = Annotated[Access, Depends(permitted(Permission.RUN_SCENARIOS))]
LayerCode = Annotated[
    str, Path(description="unified, zongzhi, … or a scenario's layer: " + SHAPES["layer"])
]
MEDIA = {"csv": CSV_MEDIA, "xlsx": XLSX_MEDIA}


@router.get(
    "/layers/{layer}/assignment",
    summary="The layer's units and their grids, as CSV or XLSX (a block-assignment file)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, XLSX_MEDIA: {}}}},
)
def get_assignment(
    conn: ConnDep,
    access: MapAccess,
    layer: LayerCode,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",  # noqa: A002
) -> Response:
    """One row per base unit in the user's scope: ``unit_code, grid_code, grid_name,
    community_code``; the file ``POST /scenarios/import`` reads back."""
    table = export_assignment(conn, layer, access=access)
    stamp = dt.date.today().strftime("%Y%m%d")
    name = f"{table.layer}_assignment_{stamp}.{format}"  # the layer's code is checked ASCII
    return Response(
        assignment_file(table, format),
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post(
    "/scenarios/import",
    status_code=201,
    response_model=ScenarioOut,
    summary="Import a unit → grid table (CSV/XLSX) as a new scenario",
)
def post_plan(
    request: Request,
    conn: ConnDep,
    access: RunnerAccess,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="CSV or XLSX: unit_code, grid_code[, grid_name]")],
    name: Annotated[str, Form(min_length=1, max_length=128)],
    area: Annotated[str, Form(description="area codes, comma-separated", max_length=5000)],
    accept_pieces: Annotated[
        bool, Form(description="keep grids in pieces (named in the report) instead of refusing")
    ] = False,
) -> ScenarioOut:
    """The plan becomes a scenario (state ``done``) to compare, report on and adopt. A table
    with problems (a unit twice, unknown units, units of the area left out, a grid across
    communities or in pieces) is refused as a whole with 422; ``problems`` names each, with its
    row. ``accept_pieces`` takes grids in pieces as they are (today's layer may have some)."""
    shown = safe_name(file.filename, "plan.csv")
    with saved_upload(request, file, shown) as path:
        table = read_assignment(path, settings.imports)
    scenario = import_plan(
        conn,
        table,
        name=name,
        area=[a.strip() for a in area.split(",") if a.strip()],
        source=shown,
        settings=settings,
        access=access,
        accept_pieces=accept_pieces,
    )
    return ScenarioOut.model_validate(scenario)
