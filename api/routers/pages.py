"""HTML pages: the city map at ``/``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.deps import SettingsDep
from maps.city_map import city_map_html

router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def city_map(settings: SettingsDep) -> HTMLResponse:
    """The city map: every layer's grids, coloured by workload, over the city's own outlines."""
    return HTMLResponse(city_map_html(settings))
