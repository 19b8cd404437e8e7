"""Liveness and readiness: is the database reachable, at the latest migration, with disk room?"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import ConnDep, SettingsDep
from api.problems import DATABASE_RETRY_AFTER, TITLES, problem
from api.schemas.layers import HealthOut
from gis import __version__
from gis.infra.health import check_health

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    summary="Service and database health",
    response_model=HealthOut,
    responses={503: {"description": "the database is away or a disk is full: what is wrong"}},
)
def health(request: Request, settings: SettingsDep, conn: ConnDep) -> HealthOut | JSONResponse:
    """200 with the service version, PostGIS version and schema revision; 503 problem+json with
    ``Retry-After`` naming each problem (database unreachable or its disk full: see
    :func:`api.problems.database_unavailable`; the data directory's disk short) when not ready."""
    report = check_health(conn, settings.data_dir, min_free_mb=settings.min_free_disk_mb)
    if report.ok:
        return HealthOut.model_validate(
            {
                "status": "ok",
                "version": __version__,
                "database": report.database,
                "disk_free_mb": report.disk_free_mb,
            }
        )
    answer: JSONResponse = problem(
        503,
        TITLES[503],
        "; ".join(report.problems),
        request.url.path,
        status_text="unavailable",
        version=__version__,
        problems=report.problems,
        database=asdict(report.database) if report.database else None,
        retry_after_ms=DATABASE_RETRY_AFTER * 1000,
    )
    answer.headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return answer
