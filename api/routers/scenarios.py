"""Merge scenarios over HTTP: create (202 + a durable job), follow, cancel, compare, crosswalk,
impact, adopt; and the county workload profiles. Every route needs ``run_scenarios`` and answers
only within the user's scope.

The router brings its own lifespan: the scenario worker starts with the app (marking jobs that a
restart interrupted as failed) and stops with it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, FastAPI, Path, Query, Request, Response
from pydantic import BaseModel, Field, model_validator

from api.auth import permitted, require_permission
from api.deps import ConnDep, SettingsDep
from api.geo import GEO_RESPONSE, geojson
from api.schemas.scenarios import (
    CompareOut,
    CountyFiguresOut,
    CrosswalkOut,
    ImpactOut,
    ProfileOut,
    ScenarioListItemOut,
    ScenarioOut,
)
from api.strict import Band, Seed, Weight
from gis.access import Access
from gis.accounts import Permission, User
from gis.scenarios import adopt as adoption
from gis.scenarios import compare as comparing
from gis.scenarios import crosswalk as xwalk
from gis.scenarios.impact import impact
from gis.scenarios.profiles import get_profile, set_profile
from gis.scenarios.store import (
    MAX_CLARITY,
    ScenarioSpec,
    cancel_scenario,
    create_scenario,
    delete_scenario,
    get_scenario,
    list_scenarios,
)
from gis.scenarios.worker import ScenarioWorker


@asynccontextmanager
async def worker_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Runs inside the app's own lifespan, so the engine is there (and still open at exit)."""
    worker = ScenarioWorker(app.state.engine, scheduler=app.state.settings.optimizer_scheduler)
    worker.start()
    app.state.scenario_worker = worker
    try:
        yield
    finally:
        worker.stop()


router = APIRouter(tags=["scenarios"], lifespan=worker_lifespan)
Runner = Annotated[User, Depends(require_permission(Permission.RUN_SCENARIOS))]
RunnerAccess = Annotated[Access, Depends(permitted(Permission.RUN_SCENARIOS))]
ScenarioId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the scenario's id")]
AreaCode = Annotated[str, Field(pattern=r"^\d{4}$|^\d{6}(\d{3}){0,2}$", examples=["361002"])]


class WeightsIn(BaseModel):
    households: Weight = 1.0
    population: Weight = 0.0
    buildings: Weight = 0.0
    incidents_per_year: Weight = 0.0
    care_people: Weight = 0.0


class ScenarioIn(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=128, examples=["临川区 按户数 1,292"])]
    area: Annotated[list[AreaCode], Field(min_length=1, max_length=500)]
    target_count: Annotated[int | None, Field(ge=1, le=1_000_000)] = None
    band: Band | None = None
    weights: WeightsIn | None = Field(
        None, description="workload weights; unset: the district's profile"
    )
    seed: Seed = 0
    from_unified: bool = Field(True, description="start from today's unified layer (repair)")
    keep_locked: bool = Field(True, description="keep the unified layer's locked grids whole")
    notes: Annotated[str, Field(max_length=2000)] = ""
    clarity: Annotated[float, Field(ge=0, le=MAX_CLARITY)] = Field(
        0.0,
        description="boundary clarity: 0 off; 1 makes cutting through a block along nothing "
        "visible 5× dearer than along a main road or the river (界定清晰); on the sample city "
        "16 puts more of the grid boundary on roads than METIS at a better balance "
        "(bench/clarity.py)",
    )

    @model_validator(mode="after")
    def _band(self) -> ScenarioIn:
        if self.band is not None and not 0 <= self.band[0] < self.band[1]:
            raise ValueError(
                "工作量区间须为 [下限, 上限]，且 0 ≤ 下限 < 上限 "
                "(band must be [low, high] with 0 ≤ low < high)"
            )
        return self


class ProfileIn(BaseModel):
    weights: WeightsIn
    band: Band


@router.get("/workload-profiles/{district}", summary="A county's workload weights and band")
def profile(
    conn: ConnDep,
    user: Runner,
    settings: SettingsDep,
    district: Annotated[str, Path(pattern=r"^\d{6}$")],
) -> ProfileOut:
    from gis.errors import Forbidden

    if not user.scope.reaches(district) and not user.scope.code.startswith(district):
        raise Forbidden(
            f"区县 {district} 不在您的权限范围（{user.scope}）内 ("
            f"district {district} is outside your scope ({user.scope}))"
        )
    return ProfileOut.model_validate(get_profile(conn, district, settings))


@router.put("/workload-profiles/{district}", summary="Set a county's workload weights and band")
def put_profile(
    conn: ConnDep,
    access: RunnerAccess,
    settings: SettingsDep,
    body: ProfileIn,
    district: Annotated[str, Path(pattern=r"^\d{6}$")],
) -> ProfileOut:
    """Scenarios made afterwards use it unless they say otherwise (audited)."""
    return ProfileOut.model_validate(
        set_profile(conn, district, body.weights.model_dump(), body.band, settings, access=access)
    )


@router.post(
    "/scenarios",
    status_code=202,
    summary="Create a scenario: its run is queued",
    responses={404: {"description": "an area code with no base units"}},
)
def create(
    request: Request,
    conn: ConnDep,
    access: RunnerAccess,
    settings: SettingsDep,
    body: ScenarioIn,
    background: BackgroundTasks,
) -> ScenarioOut:
    """Answers at once with the scenario and its job; follow ``GET /scenarios/{id}`` (job
    progress: communities done / total) until its state is done, failed or cancelled."""
    spec = ScenarioSpec(
        name=body.name,
        area=list(body.area),
        target_count=body.target_count,
        band=body.band,
        weights=body.weights.model_dump() if body.weights else None,
        seed=body.seed,
        from_unified=body.from_unified,
        keep_locked=body.keep_locked,
        notes=body.notes,
        clarity=body.clarity,
    )
    scenario = create_scenario(conn, spec, settings, access=access)
    worker: ScenarioWorker | None = getattr(request.app.state, "scenario_worker", None)
    if worker is not None:
        background.add_task(worker.wake)  # after the answer, i.e. after the commit
    return ScenarioOut.model_validate(scenario)


@router.get("/scenarios", summary="Scenarios of my scope, newest first")
def scenarios(
    conn: ConnDep,
    access: RunnerAccess,
    state: Annotated[
        Literal["queued", "running", "done", "failed", "cancelled", "adopted"] | None, Query()
    ] = None,
) -> list[ScenarioListItemOut]:
    return [
        ScenarioListItemOut.model_validate(r)
        for r in list_scenarios(conn, state=state, access=access)
    ]


@router.get("/scenarios/compare", summary="Metrics of 2–5 scenarios and today's layers")
def compare(
    conn: ConnDep,
    access: RunnerAccess,
    settings: SettingsDep,
    a: Annotated[str, Query(max_length=64, description="scenario id or layer code")],
    b: Annotated[str, Query(max_length=64, examples=["unified"])],
    c: Annotated[str | None, Query(max_length=64)] = None,
    d: Annotated[str | None, Query(max_length=64)] = None,
    e: Annotated[str | None, Query(max_length=64)] = None,
    layers: Annotated[
        str | None,
        Query(max_length=400, description="more of today's layers, comma-separated"),
    ] = None,
) -> CompareOut:
    """Grid count, workload CV/min/max/share in band, Polsby–Popper, grids crossing
    communities, units moved from today's unified layer, and a workload histogram per item —
    all on the first scenario's weights and band, over the scenarios' areas."""
    items = [x for x in (a, b, c, d, e) if x]
    items += [x for x in (layers or "").split(",") if x.strip()]
    return CompareOut.model_validate(comparing.compare(conn, items, settings, access=access))


@router.get(
    "/scenarios/compare/changes",
    summary="The units that change grid between two scenarios or layers",
    responses=GEO_RESPONSE,
    response_class=Response,
)
def changes(
    conn: ConnDep,
    access: RunnerAccess,
    a: Annotated[str, Query(max_length=64)],
    b: Annotated[str, Query(max_length=64)],
) -> Response:
    return geojson(comparing.changes_geojson(conn, a, b, access=access))


@router.get("/scenarios/{scenario_id}", summary="A scenario with its job and report")
def scenario(conn: ConnDep, access: RunnerAccess, scenario_id: ScenarioId) -> ScenarioOut:
    return ScenarioOut.model_validate(get_scenario(conn, scenario_id, access=access))


@router.post("/scenarios/{scenario_id}/cancel", summary="Cancel a queued or running scenario")
def cancel(conn: ConnDep, access: RunnerAccess, scenario_id: ScenarioId) -> ScenarioOut:
    """Queued: cancelled at once. Running: stops after the community it is on; nothing kept."""
    return ScenarioOut.model_validate(cancel_scenario(conn, scenario_id, access=access))


@router.delete("/scenarios/{scenario_id}", status_code=204, summary="Discard a scenario")
def delete(conn: ConnDep, access: RunnerAccess, scenario_id: ScenarioId) -> Response:
    delete_scenario(conn, scenario_id, access=access)
    return Response(status_code=204)


@router.post("/scenarios/{scenario_id}/adopt", summary="Make a scenario the unified layer")
def adopt(
    conn: ConnDep, access: RunnerAccess, settings: SettingsDep, scenario_id: ScenarioId
) -> ScenarioOut:
    """One transaction; 409 when adopted already or when the unified layer changed since the
    scenario ran. Answers what needs follow-up (leaders without a grid …)."""
    return ScenarioOut.model_validate(adoption.adopt(conn, scenario_id, settings, access=access))


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CROSSWALK_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "JSON, or a CSV or XLSX file (format=csv|xlsx)",
        "content": {"text/csv": {}, XLSX: {}},
    }
}


@router.get(
    "/scenarios/{scenario_id}/crosswalk",
    summary="多网合一 crosswalk and county figures",
    response_model=CrosswalkOut,
    responses=CROSSWALK_RESPONSE,
)
def crosswalk(
    conn: ConnDep,
    access: RunnerAccess,
    scenario_id: ScenarioId,
    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",
) -> CrosswalkOut | Response:
    """For every departmental grid, the scenario grids that take it over with the share of its
    households and area (summing to one); for every scenario grid, what it absorbs."""
    if format == "csv":
        body = xwalk.crosswalk_csv(xwalk.crosswalk_rows(conn, scenario_id, access=access))
        return Response(
            body.encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": _attachment(scenario_id, "csv")},
        )
    report = xwalk.crosswalk(conn, scenario_id, access=access)
    if format == "xlsx":
        return Response(
            xwalk.crosswalk_xlsx(report),
            media_type=XLSX,
            headers={"Content-Disposition": _attachment(scenario_id, "xlsx")},
        )
    return CrosswalkOut.model_validate(report)


def _attachment(scenario_id: int, ext: str) -> str:
    return f'attachment; filename="scenario-{scenario_id}-crosswalk.{ext}"'


@router.get("/scenarios/{scenario_id}/figures", summary="County figures: grids before and after")
def figures(conn: ConnDep, access: RunnerAccess, scenario_id: ScenarioId) -> CountyFiguresOut:
    return CountyFiguresOut.model_validate(xwalk.figures(conn, scenario_id, access=access))


@router.get("/scenarios/{scenario_id}/impact", summary="A community's buildings and leaders")
def impact_preview(
    conn: ConnDep,
    access: RunnerAccess,
    settings: SettingsDep,
    scenario_id: ScenarioId,
    community: Annotated[str, Query(pattern=r"^\d{12}$", examples=["361002001001"])],
) -> ImpactOut:
    """Which grid each building falls in before and after; which grid leaders and grid workers
    gain or lose buildings when they follow their buildings; where two led grids become one,
    which grid leader stays and whose assignment ends (网格合并)."""
    return ImpactOut.model_validate(
        impact(conn, scenario_id, community, weights=settings.weights, access=access)
    )
