"""Comments on a scenario and its proposed grids (who, when, what), in the scenario's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from api.auth import permitted
from api.deps import ConnDep
from api.schemas.common import Out
from gis.access import Access
from gis.accounts import Permission
from gis.scenarios.comments import MAX_BODY, add_comment, list_comments

router = APIRouter(tags=["scenarios"])
RunnerAccess = Annotated[Access, Depends(permitted(Permission.RUN_SCENARIOS))]
ScenarioId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the scenario's id")]


class CommentIn(BaseModel):
    body: Annotated[str, Field(min_length=1, max_length=MAX_BODY)]
    grid: Annotated[
        str | None, Field(pattern=r"^\d{15}$", description="one of the scenario's grids")
    ] = None


class CommentOut(Out):
    """A comment as gis/ answers it (``gis.scenarios.comments.Comment``)."""

    id: int
    scenario_id: int
    grid_code: str | None
    author: str
    body: str
    created_at: str


@router.get("/scenarios/{scenario_id}/comments", summary="A scenario's comments, oldest first")
def comments(conn: ConnDep, access: RunnerAccess, scenario_id: ScenarioId) -> list[CommentOut]:
    return [CommentOut.model_validate(c) for c in list_comments(conn, scenario_id, access=access)]


@router.post(
    "/scenarios/{scenario_id}/comments",
    status_code=201,
    summary="Comment on a scenario, or on one of its grids",
)
def comment(
    conn: ConnDep, access: RunnerAccess, scenario_id: ScenarioId, body: CommentIn
) -> CommentOut:
    made = add_comment(conn, scenario_id, body.body, grid_code=body.grid, access=access)
    return CommentOut.model_validate(made)
