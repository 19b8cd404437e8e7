"""Read-only links to a scenario's report (分享只读链接): made, listed and revoked by those who
may run the scenario; opened by any logged-in colleague whose scope holds its area (the page is
in :mod:`api.routers.scenario_pages`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from api.auth import NowDep, permitted
from api.deps import ConnDep
from api.schemas.common import Out, Stamp
from gis.access import Access
from gis.accounts import Permission
from gis.scenarios.sharing import DEFAULT_DAYS, MAX_DAYS, list_shares, revoke_share, share_scenario

router = APIRouter(tags=["scenarios"])
RunnerAccess = Annotated[Access, Depends(permitted(Permission.RUN_SCENARIOS))]
ScenarioId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the scenario's id")]
ShareId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the link's id")]


class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: Annotated[int, Field(ge=1, le=MAX_DAYS, description="days the link works")] = DEFAULT_DAYS


class ShareOut(Out):
    id: int
    scenario_id: int
    created_by: str
    created_at: Stamp
    expires_at: Stamp
    revoked_at: Stamp | None
    active: bool


class NewShareOut(Out):
    share: ShareOut
    token: str = Field(description="shown this once; only its SHA-256 is kept")
    path: str = Field(description="the page to send, under the server's address")


@router.post(
    "/scenarios/{scenario_id}/shares",
    status_code=201,
    summary="A read-only link to the scenario's report, for colleagues in scope",
)
def make_share(
    conn: ConnDep, access: RunnerAccess, now: NowDep, scenario_id: ScenarioId, body: ShareIn
) -> NewShareOut:
    made = share_scenario(conn, scenario_id, access=access, now=now, days=body.days)
    return NewShareOut.model_validate(made, from_attributes=True)


@router.get("/scenarios/{scenario_id}/shares", summary="The scenario's links, newest first")
def shares(
    conn: ConnDep, access: RunnerAccess, now: NowDep, scenario_id: ScenarioId
) -> list[ShareOut]:
    found = list_shares(conn, scenario_id, access=access, now=now)
    return [ShareOut.model_validate(s, from_attributes=True) for s in found]


@router.delete(
    "/scenarios/{scenario_id}/shares/{share_id}", summary="Revoke a link (it stops at once)"
)
def unshare(
    conn: ConnDep, access: RunnerAccess, now: NowDep, scenario_id: ScenarioId, share_id: ShareId
) -> ShareOut:
    revoked = revoke_share(conn, scenario_id, share_id, access=access, now=now)
    return ShareOut.model_validate(revoked, from_attributes=True)
