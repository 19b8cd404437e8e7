"""Liveness and readiness: is the database reachable and at the latest migration?"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import ConnDep
from gis import __version__
from gis.infra.health import database_health

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service and database health")
def health(conn: ConnDep) -> dict[str, Any]:
    return {"status": "ok", "version": __version__, "database": database_health(conn)}
