"""The history of a layer's edits over HTTP: every edit, one edit, undo, redo and revert.

Each undo, redo or revert is an edit of its own (the history is never rewritten); like every
editor route they need ``edit_layers`` and work inside the user's scope. Included by
:mod:`api.routers.editor`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ConnDep, SettingsDep
from api.routers.editor_common import EditorAccess, LayerCode, Version, VersionIn, answer
from api.schemas.editing import EditResultOut, HistoryEntryOut, HistoryOut
from gis import editing

router = APIRouter()


class UndoIn(VersionIn):
    dry_run: bool = False


class RevertIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to_version: Annotated[int, Field(ge=1, le=2**31 - 1)]
    version: Version = None
    dry_run: bool = False
    confirm: bool = Field(False, description="accepted like any edit's; a revert needs none")


@router.get("/layers/{layer}/history", summary="Every edit of a layer, newest first")
def history(
    conn: ConnDep,
    access: EditorAccess,
    layer: LayerCode,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> HistoryOut:
    """Who, when, what (the edits that touched the user's scope), and what undo/redo would do."""
    page = editing.list_history(conn, layer, limit=limit, offset=offset, access=access)
    return HistoryOut.model_validate(page.to_dict())


@router.get("/layers/{layer}/history/{version}", summary="One edit with every unit it moved")
def history_entry(
    conn: ConnDep,
    access: EditorAccess,
    layer: LayerCode,
    version: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> HistoryEntryOut:
    detail = editing.edit_detail(conn, layer, version, access=access)
    return HistoryEntryOut.model_validate(detail.to_dict())


@router.post(
    "/layers/{layer}/undo", response_model=EditResultOut, summary="Undo my latest edit of the layer"
)
def undo(
    conn: ConnDep, access: EditorAccess, settings: SettingsDep, layer: LayerCode, body: UndoIn
) -> Response:
    return answer(
        editing.undo(
            conn, layer, settings, version=body.version, dry_run=body.dry_run, access=access
        )
    )


@router.post(
    "/layers/{layer}/redo", response_model=EditResultOut, summary="Redo the edit I last undid"
)
def redo(
    conn: ConnDep, access: EditorAccess, settings: SettingsDep, layer: LayerCode, body: UndoIn
) -> Response:
    return answer(
        editing.redo(
            conn, layer, settings, version=body.version, dry_run=body.dry_run, access=access
        )
    )


@router.post(
    "/layers/{layer}/revert",
    response_model=EditResultOut,
    summary="Take the layer back to an earlier version",
)
def revert(
    conn: ConnDep, access: EditorAccess, settings: SettingsDep, layer: LayerCode, body: RevertIn
) -> Response:
    """One new edit that makes the layer as it was at ``to_version`` (the history stays)."""
    return answer(
        editing.revert(
            conn,
            layer,
            body.to_version,
            settings,
            version=body.version,
            dry_run=body.dry_run,
            access=access,
        )
    )
