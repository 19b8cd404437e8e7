"""考核 over HTTP: a worker's own monthly score with its explanation (``GET /field/score``),
a supervisor's ranking per street with its CSV/XLSX (``GET /assessment/scores``), and a
county's weights (``GET``/``PUT /assessment/weights/{county}``, the latter audited).

Access: a field worker sees their own score; a supervisor (admin, county, party office) any
worker's in their scope and the ranking of their scope (narrowed by ``area``); the weights are
changed by an admin or the county's own staff. The rules live in :mod:`gis.assessment`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import Connection

from api.auth import AccessDep, NowDep
from api.deps import ConnDep, SettingsDep
from api.downloads import download
from api.schemas.assessment import RankingOut, ScoreOut, WeightsIn, WeightsOut
from api.schemas.common import FeatureCollectionOut
from gis.access import Access
from gis.assessment import (
    Ranking,
    export_ranking,
    ranking,
    set_weights,
    weights_for,
    worker_score,
)
from gis.assessment.grids import ranking_grids
from gis.chinatime import CHINA
from gis.infra.settings import Settings
from gis.scope import Scope

router = APIRouter(tags=["assessment"], responses={404: {"description": "no such worker"}})
Month = Annotated[
    str | None,
    Query(pattern=r"^[0-9]{4}-[0-9]{2}$", description="YYYY-MM (China time); this month"),
]
Worker = Annotated[
    str | None,
    Query(pattern=r"^[A-Za-z0-9_.@-]{1,64}$", description="a worker's user name (supervisors)"),
]
Area = Annotated[
    str | None,
    Query(
        pattern=r"^([0-9]{6}|[0-9]{9}|[0-9]{12})$",
        description="a district, street or community code",
    ),
]
County = Annotated[str, Path(pattern=r"^[0-9]{6}$")]


def _month(month: str | None, now: dt.datetime) -> str:
    return month or now.astimezone(CHINA).strftime("%Y-%m")


@router.get("/field/score", summary="A worker's monthly score, explained line by line")
def field_score(
    conn: ConnDep,
    settings: SettingsDep,
    access: AccessDep,
    now: NowDep,
    month: Month = None,
    worker: Worker = None,
) -> ScoreOut:
    """The caller's own score (a field worker), or a worker's in a supervisor's scope."""
    found = worker_score(
        conn,
        access=access,
        tracks=settings.tracks,
        month=_month(month, now),
        now=now,
        worker=worker,
    )
    return ScoreOut.model_validate(dataclasses.asdict(found))


def _ranking(
    conn: Connection,
    settings: Settings,
    access: Access,
    now: dt.datetime,
    month: str | None,
    area: str | None,
) -> Ranking:
    if area is not None:
        access = access.narrowed(Scope.of_area(area))
    return ranking(conn, access=access, tracks=settings.tracks, month=_month(month, now), now=now)


@router.get("/assessment/scores", summary="Workers' scores ranked per street (supervisors)")
def scores(
    conn: ConnDep,
    settings: SettingsDep,
    access: AccessDep,
    now: NowDep,
    month: Month = None,
    area: Area = None,
) -> RankingOut:
    """Every field worker whose grid lies in the caller's scope (or in ``area`` within it)."""
    found = _ranking(conn, settings, access, now, month, area)
    return RankingOut.model_validate(dataclasses.asdict(found))


@router.get(
    "/assessment/scores/export", summary="The ranking as CSV or XLSX", response_class=Response
)
def scores_export(
    conn: ConnDep,
    settings: SettingsDep,
    access: AccessDep,
    now: NowDep,
    month: Month = None,
    area: Area = None,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "xlsx",  # noqa: A002
) -> Response:
    found = _ranking(conn, settings, access, now, month, area)
    return download(export_ranking(conn, found, format, access=access))


@router.get("/assessment/scores/map", summary="The ranked workers' grids with their scores")
def scores_map(
    conn: ConnDep,
    settings: SettingsDep,
    access: AccessDep,
    now: NowDep,
    month: Month = None,
    area: Area = None,
) -> FeatureCollectionOut:
    """GeoJSON: each ranked worker's grid (id = user name), coloured on the 考核 page by score."""
    found = _ranking(conn, settings, access, now, month, area)
    return FeatureCollectionOut.model_validate(ranking_grids(conn, found))


@router.get("/assessment/weights/{county}", summary="A county's weights of the score")
def weights_get(conn: ConnDep, access: AccessDep, county: County) -> WeightsOut:
    """Readable by anyone logged in whose scope lies in or holds the county: weights are no
    secret, a worker may see how they are scored."""
    return WeightsOut(county=county, weights=weights_for(conn, county, access=access))


@router.put("/assessment/weights/{county}", summary="Change a county's weights (audited)")
def weights_put(
    conn: ConnDep, access: AccessDep, now: NowDep, county: County, body: WeightsIn
) -> WeightsOut:
    """Admin or the county's staff; an unknown measure or a weight outside 0–100 is 422."""
    found = set_weights(conn, county, body.weights, access=access, now=now)
    return WeightsOut(county=county, weights=found)
