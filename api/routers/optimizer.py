"""The merge optimizer as a background job: submit, then poll for the report and the proposal."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, model_validator

from api.auth import require_permission
from api.deps import SettingsDep
from api.strict import Band, Seed
from gis.accounts import Permission, Role, User
from gis.errors import Conflict, Forbidden
from gis.infra.jobs import Job, JobRunner
from gis.optimizer.service import check_area, optimize_area

# Superseded by /scenarios (stored in PostGIS, survive restarts, keep locked grids, can be
# compared and adopted); kept for scripts written against it, and marked deprecated.
router = APIRouter(prefix="/optimizer", tags=["optimizer"], deprecated=True)
Runner = Annotated[User, Depends(require_permission(Permission.RUN_SCENARIOS))]


class OptimizeIn(BaseModel):
    area: Annotated[str, Field(pattern=r"^\d{6}(\d{3}){0,2}$", examples=["361002"])]
    target_count: Annotated[int | None, Field(ge=1, le=1_000_000)] = None
    band: Band | None = None
    seed: Seed = 0
    from_layer: Annotated[str | None, Field(max_length=64, examples=["unified"])] = None

    @model_validator(mode="after")
    def _needs_a_goal(self) -> OptimizeIn:
        if self.target_count is None and self.band is None:
            raise ValueError("give target_count or band (or both)")
        if self.band is not None and not 0 <= self.band[0] < self.band[1]:
            raise ValueError("band must be [low, high] with 0 ≤ low < high")
        return self


class JobOut(BaseModel):
    id: int
    kind: str
    state: str = Field(description="queued, running, done or failed")
    params: dict[str, Any]
    created_at: str
    started_at: str | None
    finished_at: str | None
    error: str | None
    report: dict[str, Any] | None = None


def get_runner(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.jobs
    return runner


RunnerDep = Annotated[JobRunner, Depends(get_runner)]


def _job_out(job: Job) -> JobOut:
    report = job.result["report"] if job.result else None
    return JobOut(**job.summary(), report=report)


def _own(job: Job, user: User) -> Job:
    if job.params.get("user") != user.username and user.role != Role.ADMIN:
        raise Forbidden(f"job {job.id} belongs to another user")
    return job


@router.post("/jobs", status_code=202, summary="Start an optimizer run on an area")
def submit(
    request: Request, body: OptimizeIn, user: Runner, jobs: RunnerDep, settings: SettingsDep
) -> JobOut:
    """Answers at once; poll ``GET /optimizer/jobs/{id}`` until its state is done or failed."""
    check_area(user, body.area)
    state = request.app.state
    band = (body.band[0], body.band[1]) if body.band else None
    job = jobs.submit(
        "optimize",
        body.model_dump() | {"user": user.username},
        lambda: optimize_area(
            state.engine,
            area=body.area,
            weights=settings.weights,
            target_count=body.target_count,
            band=band,
            seed=body.seed,
            from_layer=body.from_layer,
            workers=1,
        ),
    )
    return _job_out(job)


@router.get("/jobs/{job_id}", summary="A job's state and, when done, its report")
def job(job_id: int, user: Runner, jobs: RunnerDep) -> JobOut:
    return _job_out(_own(jobs.get(job_id), user))


@router.get("/jobs/{job_id}/plan", summary="The proposal: base unit code → grid id")
def plan(job_id: int, user: Runner, jobs: RunnerDep) -> dict[str, str]:
    found = _own(jobs.get(job_id), user)
    if found.result is None:
        reason = f" ({found.error})" if found.error else ""
        raise Conflict(f"job {job_id} is {found.state}: no plan yet{reason}")
    return dict(found.result["assignments"])
