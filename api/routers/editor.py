"""The grid editor over HTTP: edits and previews (history, undo/redo and revert are in
:mod:`api.routers.editor_history`, included here; the /edit page in
:mod:`api.routers.editor_pages`).

Every route needs the ``edit_layers`` permission (planners, administrators) and works inside the
user's scope; each edit carries the layer version it was made on (stale → 409 saying what
changed). A route parses the request, calls one function of :mod:`gis.editing` and answers.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.auth import require_permission
from api.deps import ConnDep, SettingsDep
from api.geo import GEO_RESPONSE, BBoxQuery, bbox_or_none, geojson
from api.routers.editor_common import EditorAccess, LayerCode, Version, VersionIn, answer
from api.routers.editor_history import router as history_router
from api.schemas import PlainText
from api.schemas.editing import EditResultOut, SelectionOut, SuggestionsOut
from gis import editing
from gis.accounts import Permission, User
from gis.editing.neighbours import grid_neighbours
from gis.errors import Invalid
from gis.geojson import BBox

router = APIRouter(tags=["editor"])
Editor = Annotated[User, Depends(require_permission(Permission.EDIT_LAYERS))]
GridCode = Annotated[str, Path(max_length=15, examples=["361002001001001"])]
GridRef = Annotated[str, Field(pattern=r"^[0-9A-Za-z]{1,15}$")]
UnitCodes = Annotated[
    list[Annotated[str, Field(pattern=r"^[0-9A-Za-z_-]{1,24}$")]],
    Field(min_length=1, max_length=5000, description="base unit codes"),
]


class Edit(BaseModel):
    version: Version = None
    dry_run: bool = Field(False, description="preview only: nothing is changed")
    confirm: bool = Field(False, description="apply even though a grid is left in pieces")


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    units: UnitCodes
    to: Annotated[GridRef, Field(description='a grid code, or "new"')]
    name: Annotated[PlainText | None, Field(max_length=128)] = None


class EditIn(Edit):
    """Units and the grid they go to (or ``"new"``); or several such ``moves`` at once."""

    model_config = ConfigDict(extra="forbid")
    units: UnitCodes | None = None
    to: Annotated[GridRef | None, Field(examples=["369901001001002", "new"])] = None
    name: Annotated[PlainText | None, Field(max_length=128, description="a new grid's name")] = None
    moves: Annotated[list[MoveIn] | None, Field(max_length=200)] = None

    @model_validator(mode="after")
    def _one_form(self) -> EditIn:
        if (self.units is None) == (self.moves is None):
            raise ValueError(
                "请给出 units 和 to，或 moves (give units and to, or moves (a list of {units, to}))"
            )
        if self.units is not None and not self.to:
            raise ValueError("to 须为目标网格代码或 'new' (to is the target grid's code, or 'new')")
        return self

    def groups(self) -> list[editing.MoveGroup]:
        if self.moves is not None:
            return [editing.MoveGroup(m.units, m.to, m.name) for m in self.moves]
        return [editing.MoveGroup(self.units or [], self.to or "", self.name)]


class SplitIn(Edit):
    model_config = ConfigDict(extra="forbid")
    line: dict[str, Any] = Field(description="a GeoJSON LineString in WGS84 across the grid")
    names: Annotated[list[Annotated[PlainText, Field(max_length=128)]], Field(max_length=50)] = []


class MergeIn(Edit):
    model_config = ConfigDict(extra="forbid")
    other: Annotated[GridRef, Field(description="the neighbour merged into this grid")]


class RenameIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: Version = None
    name: Annotated[PlainText | None, Field(min_length=1, max_length=128)] = None
    code: Annotated[str | None, Field(pattern=r"^[0-9]{15}$")] = None


class SelectIn(BaseModel):
    """A lasso, or a community brush (an area code); exactly one."""

    model_config = ConfigDict(extra="forbid")
    polygon: dict[str, Any] | None = Field(
        None, description="a GeoJSON Polygon in WGS84 (the lasso)"
    )
    area: Annotated[
        str | None,
        Field(
            pattern=r"^([0-9]{9}|[0-9]{12})$",
            description="a street's or community's code: all its units (the brush)",
        ),
    ] = None

    @model_validator(mode="after")
    def _one_form(self) -> SelectIn:
        if (self.polygon is None) == (self.area is None):
            raise ValueError("请给出 polygon 或 area 之一 (give a polygon or an area, not both)")
        return self


class SuggestIn(BaseModel):
    """The area to suggest moves for: one grid (and its neighbours) or one community."""

    model_config = ConfigDict(extra="forbid")
    grid: Annotated[str | None, Field(pattern=r"^[0-9]{15}$")] = None
    community: Annotated[str | None, Field(pattern=r"^[0-9]{12}$")] = None

    @model_validator(mode="after")
    def _one_form(self) -> SuggestIn:
        if (self.grid is None) == (self.community is None):
            raise ValueError("请给出 grid 或 community 之一 (give a grid or a community)")
        return self


def _options(body: Edit) -> editing.EditOptions:
    return editing.EditOptions(body.version, body.dry_run, body.confirm)


@router.post(
    "/layers/{layer}/edits",
    response_model=EditResultOut,
    summary="Move base units into a grid (or a new one)",
)
def edit(
    conn: ConnDep, access: EditorAccess, settings: SettingsDep, layer: LayerCode, body: EditIn
) -> Response:
    """Moves whole base units between grids of one community; ``to: "new"`` makes a grid with
    the next free code. ``dry_run`` previews the touched grids (workload, band, shape, pieces);
    a move that leaves a grid in pieces needs ``confirm``. Stale ``version`` → 409."""
    return answer(
        editing.move_units(conn, layer, body.groups(), _options(body), settings, access=access)
    )


@router.post(
    "/layers/{layer}/grids/{code}/split",
    response_model=EditResultOut,
    summary="Split a grid along a line",
)
def split(
    conn: ConnDep,
    access: EditorAccess,
    settings: SettingsDep,
    layer: LayerCode,
    code: GridCode,
    body: SplitIn,
) -> Response:
    """Units fall on one side of the line or the other, whole; the bigger side keeps the code."""
    return answer(
        editing.split_grid(
            conn, layer, code, body.line, _options(body), settings, body.names, access=access
        )
    )


@router.post(
    "/layers/{layer}/grids/{code}/merge",
    response_model=EditResultOut,
    summary="Merge a neighbour into this grid",
)
def merge(
    conn: ConnDep,
    access: EditorAccess,
    settings: SettingsDep,
    layer: LayerCode,
    code: GridCode,
    body: MergeIn,
) -> Response:
    return answer(
        editing.merge_grids(conn, layer, code, body.other, _options(body), settings, access=access)
    )


class NeighbourOut(BaseModel):
    code: str
    name: str
    workload: float
    locked: bool
    shared_m: float = Field(description="length of the shared boundary, metres")
    editable: bool = Field(description="wholly inside my scope: a merge may take it")


@router.get(
    "/layers/{layer}/grids/{code}/neighbours",
    summary="The grids a grid may be merged with (same community, shared boundary)",
)
def neighbours(
    conn: ConnDep, access: EditorAccess, layer: LayerCode, code: GridCode
) -> list[NeighbourOut]:
    return [
        NeighbourOut.model_validate(n, from_attributes=True)
        for n in grid_neighbours(conn, layer, code, access=access)
    ]


@router.post(
    "/layers/{layer}/grids/{code}/lock", response_model=EditResultOut, summary="Lock a grid"
)
def lock(
    conn: ConnDep,
    access: EditorAccess,
    settings: SettingsDep,
    layer: LayerCode,
    code: GridCode,
    body: VersionIn,
) -> Response:
    """A locked grid keeps its units: the editor refuses to move them, the optimizer keeps it."""
    options = editing.EditOptions(body.version)
    return answer(editing.set_locked(conn, layer, code, True, options, settings, access=access))


@router.post(
    "/layers/{layer}/grids/{code}/unlock", response_model=EditResultOut, summary="Unlock a grid"
)
def unlock(
    conn: ConnDep,
    access: EditorAccess,
    settings: SettingsDep,
    layer: LayerCode,
    code: GridCode,
    body: VersionIn,
) -> Response:
    options = editing.EditOptions(body.version)
    return answer(editing.set_locked(conn, layer, code, False, options, settings, access=access))


@router.post(
    "/layers/{layer}/grids/{code}/rename",
    response_model=EditResultOut,
    summary="Rename and/or re-code a grid",
)
def rename(
    conn: ConnDep,
    access: EditorAccess,
    settings: SettingsDep,
    layer: LayerCode,
    code: GridCode,
    body: RenameIn,
) -> Response:
    if body.name is None and body.code is None:
        raise Invalid("请给出新名称、新代码，或两者都给 (give a new name, a new code, or both)")
    return answer(
        editing.rename_grid(
            conn,
            layer,
            code,
            editing.EditOptions(body.version),
            settings,
            name=body.name,
            new_code=body.code,
            access=access,
        )
    )


# History, undo, redo and revert (api.routers.editor_history), in the place they had here.
router.include_router(history_router)


@router.get(
    "/layers/{layer}/editor/grids",
    responses=GEO_RESPONSE,
    response_class=Response,
    summary="Grids in view for the editor",
)
def editor_grids(
    conn: ConnDep,
    access: EditorAccess,
    settings: SettingsDep,
    layer: LayerCode,
    bbox: BBoxQuery = None,
    tolerance: Annotated[float, Query(ge=0, le=0.01, description="simplify, degrees")] = 0.0,
) -> Response:
    """With workload, band, lock, whether I may edit each, and the layer ``version``."""
    body = editing.grids_in_view(
        conn, layer, settings, bbox=bbox_or_none(bbox), tolerance=tolerance, access=access
    )
    return geojson(body)


@router.get(
    "/layers/{layer}/units",
    responses=GEO_RESPONSE,
    response_class=Response,
    summary="Base units in view with their grid",
)
def units(
    conn: ConnDep,
    access: EditorAccess,
    settings: SettingsDep,
    layer: LayerCode,
    bbox: Annotated[
        str, Query(description="west,south,east,north (WGS84)", examples=["116.0,27.5,116.1,27.6"])
    ],
    limit: Annotated[int, Query(ge=1, le=5000)] = 5000,
) -> Response:
    """Empty with ``truncated: true`` when more than ``limit`` units are in view: zoom in."""
    return geojson(
        editing.units_in_view(
            conn, layer, settings, bbox=BBox.parse(bbox), limit=limit, access=access
        )
    )


@router.post("/layers/{layer}/select", summary="The base units a lasso or a brush covers")
def select(conn: ConnDep, access: EditorAccess, layer: LayerCode, body: SelectIn) -> SelectionOut:
    """A lasso is snapped to whole units (more than half of a unit inside takes it); an area
    takes every unit of that community or street inside the planner's scope."""
    found = (
        editing.select_area(conn, layer, body.area, access=access)
        if body.area is not None
        else editing.select_units(conn, layer, body.polygon or {}, access=access)
    )
    return SelectionOut.model_validate(found, from_attributes=True)


@router.post(
    "/layers/{layer}/suggest",
    summary="Moves that bring a grid's surroundings or a community into the band",
)
def suggest(
    conn: ConnDep, access: EditorAccess, settings: SettingsDep, layer: LayerCode, body: SuggestIn
) -> SuggestionsOut:
    """A few alternatives, each a list of moves (the body of ``POST …/edits``) with the grids'
    workload before and after; preview one with ``dry_run`` before applying it. None when the
    grids are in the band already. Locked grids and grids reaching outside the scope stay."""
    found = editing.suggest_moves(
        conn, layer, grid=body.grid, community=body.community, settings=settings, access=access
    )
    return SuggestionsOut.model_validate(found, from_attributes=True)
