"""The retired ``/optimizer/jobs`` endpoints: every request there answers 410 Gone, in Chinese
first, pointing to ``/scenarios``.

They ran the optimizer in an in-memory job runner that a restart forgot, blind to locked grids.
``POST /scenarios`` does the same work as a durable job in PostGIS (progress, cancel, recovery
after a restart; compare, crosswalk, export, adopt). Not in the OpenAPI document.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.problems import problem

router = APIRouter(include_in_schema=False)

RETIRED = (
    "优化任务接口 /optimizer/jobs 已停用：请改用 /scenarios 创建方案（POST /scenarios，"
    "再以 GET /scenarios/{id} 查看进度、报告和方案图层）。"
    " /optimizer/jobs was retired: create a scenario with POST /scenarios instead and follow "
    "GET /scenarios/{id}."
)
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@router.api_route("/optimizer/jobs", methods=METHODS)
@router.api_route("/optimizer/jobs/{rest:path}", methods=METHODS)
def retired(request: Request) -> JSONResponse:
    return problem(410, "已停用 Gone", RETIRED, request.url.path, use="/scenarios")
