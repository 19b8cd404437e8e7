"""Imports (multipart upload), layer exports, and the topology check of a layer."""

from __future__ import annotations

import json
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse

from api.auth import MapAccess, permitted, require_permission
from api.deps import ConnDep, SettingsDep
from api.downloads import download
from api.geo import GEO_RESPONSE, CrsQuery, geojson
from api.problems import problem
from api.schemas.exchange import ImportBatchOut, ImportReportOut
from api.uploads import safe_name, saved_upload
from gis.access import Access
from gis.accounts import Permission, User
from gis.codes import SHAPES
from gis.errors import Invalid
from gis.exchange import ImportOptions, ImportRejected, check_layer, export_layer, import_file
from gis.exchange.export import MEDIA
from gis.exchange.kinds import KINDS
from gis.exchange.readers import EXTENSIONS, expected_format

router = APIRouter(tags=["exchange"])
Importer = Annotated[User, Depends(require_permission(Permission.IMPORT_DATA))]
ImporterAccess = Annotated[Access, Depends(permitted(Permission.IMPORT_DATA))]
# The shape is checked by gis.codes in the call (a 422 naming it), not as an OpenAPI pattern:
# schemathesis' coverage phase crashes collecting patterned path parameters on CPython 3.11.7.
LayerCode = Annotated[
    str, Path(description="unified, zongzhi, … or a scenario's layer: " + SHAPES["layer"])
]
Kind = Literal[
    "districts",
    "streets",
    "communities",
    "units",
    "layer",
    "buildings",
    "party_members",
    "incidents",
    "roads",
    "rivers",
    "facilities",
]


def _options(text: str | None) -> ImportOptions:
    if not text:
        return ImportOptions()
    try:
        values = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Invalid(f"options 须为 JSON 对象 (options must be a JSON object: {exc})") from exc
    if not isinstance(values, dict):
        raise Invalid(
            'options 须为 JSON 对象 (options must be a JSON object, e.g. {"crs": "gcj02"})'
        )
    return ImportOptions.from_dict(values)


@router.post(
    "/imports",
    response_model=ImportReportOut,
    summary="Import a file (or check it with check=true)",
)
def post_import(
    request: Request,
    conn: ConnDep,
    access: ImporterAccess,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description=", ".join(sorted(EXTENSIONS)))],
    kind: Annotated[Kind, Form(description=", ".join(KINDS))],
    options: Annotated[
        str | None,
        Form(
            description='JSON: {"crs": "gcj02", "id_column": "编码", "layer": "chengguan", …}',
            examples=['{"crs": "gcj02"}'],
        ),
    ] = None,
    check: Annotated[bool, Form(description="dry run: the report, nothing written")] = False,
) -> Response:
    """Import an uploaded file within the user's scope; needs ``import_data``.

    The answer is the import report: rows read, CRS and encoding used, what was (or, with
    ``check``, would be) written, warnings, repairs and, for a departmental layer, the gaps,
    split units, crossings and empty grids. A file with problems is refused as a whole with
    422 and the same report (``errors`` names each row, id and reason).
    """
    parsed = _options(options)
    name = safe_name(file.filename, "upload")
    expected_format(FilePath(name))  # unsupported extension: a clear 422 before reading
    with saved_upload(request, file, name) as path:
        try:
            report = import_file(
                conn,
                kind,
                path,
                parsed,
                check=check,
                name=name,
                weights=settings.weights,
                limits=settings.imports,
                access=access,
            )
        except ImportRejected as exc:
            body = exc.report.as_dict()
            return problem(
                exc.status, exc.title, exc.message, request.url.path, report=_jsonable(body)
            )
    return JSONResponse(_jsonable(report.as_dict()))


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


@router.get("/imports", summary="Imports that landed, newest first")
def list_imports(
    conn: ConnDep, user: Importer, limit: int = Query(50, ge=1, le=500)
) -> list[ImportBatchOut]:
    from sqlalchemy import text

    rows = conn.execute(
        text(
            "SELECT id, at, actor, kind, filename, sha256, options, written, report "
            "FROM import_batch ORDER BY id DESC LIMIT :n"
        ),
        {"n": limit},
    ).mappings()
    del user  # permission checked by the dependency
    return [ImportBatchOut.model_validate(_jsonable(dict(r))) for r in rows]


@router.get(
    "/layers/{layer}/export",
    summary="Export a layer as GeoPackage, GeoJSON, zipped Shapefile, CSV or XLSX",
    response_class=Response,
    responses={
        200: {
            "description": "the file, as an attachment",
            "content": {m.split(";")[0]: {} for m in MEDIA.values()},
        }
    },
)
def get_export(
    conn: ConnDep,
    access: MapAccess,
    layer: LayerCode,
    format: Annotated[Literal["gpkg", "geojson", "shp", "csv", "xlsx"], Query()] = "gpkg",  # noqa: A002
    crs: Annotated[Literal["wgs84", "cgcs2000", "gcj02"], Query()] = "wgs84",
    encoding: Annotated[Literal["utf-8", "gbk"], Query()] = "utf-8",
) -> Response:
    """The grids of the layer within the user's scope. Grid leaders' names are masked unless
    the user may see personal data; the ``X-Gridmap-Fields`` and ``X-Gridmap-Personal-Fields``
    headers (and the file itself) say what it holds."""
    exported = export_layer(
        conn,
        layer,
        format,
        crs=crs,
        encoding=encoding,
        access=access,
    )
    return download(exported)


@router.get(
    "/layers/{layer}/check",
    summary="Topology check: gaps, overlaps, slivers, multi-part grids, crossings",
    responses=GEO_RESPONSE,
    response_class=Response,
)
def get_check(
    conn: ConnDep, access: MapAccess, layer: LayerCode, crs: CrsQuery = "wgs84"
) -> Response:
    """The problem geometries as GeoJSON (``properties.problem``: gap, overlap, sliver,
    multipart, crossing) with a ``summary`` member: counts, areas in m², the share of the
    governed area left uncovered, and the same share for every departmental layer."""
    return geojson(check_layer(conn, layer, access=access).geojson, crs)
