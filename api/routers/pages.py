"""HTML pages: the city map at ``/``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.deps import SettingsDep
from maps.city_map import city_map_html

router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def city_map(settings: SettingsDep) -> HTMLResponse:
    """The city map: grids of every layer, coloured by workload, over district and community lines.

    ``no-cache`` makes browsers revalidate the page, so after an upgrade they follow its new
    hash-tagged asset URLs instead of running last release's script from their cache.
    """
    return HTMLResponse(city_map_html(settings), headers={"Cache-Control": "no-cache"})
