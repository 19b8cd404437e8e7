"""Roll-ups over HTTP: the figures of the cities, counties, streets or communities under one code,
as JSON or as a CSV/XLSX file. Permission ``compare_areas`` (the provincial office, a county,
the administrator); the figures and the areas named stay inside the caller's scope
(:mod:`gis.rollups`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from api.auth import NowDep, permitted
from api.deps import BandDep, ConnDep
from api.downloads import download
from api.schemas.rollups import RollupOut
from gis.access import Access
from gis.accounts import Permission
from gis.needs.figures import Period
from gis.rollups import Level, Rollup, export_rollup, rollup

router = APIRouter(
    prefix="/rollups",
    tags=["rollups"],
    responses={404: {"description": "no such grid layer"}},
)
Comparer = Annotated[Access, Depends(permitted(Permission.COMPARE_AREAS))]
By = Annotated[Level, Query(description="the level compared: city, district, street, community")]
Within = Annotated[
    str,
    Query(pattern=r"^[0-9]{0,12}$", description="a code prefix (default: the caller's scope)"),
]
Layer = Annotated[str, Query(pattern=r"^[a-z0-9_-]{1,64}$")]


def _found(
    conn: ConnDep,
    access: Comparer,
    band: BandDep,
    now: NowDep,
    by: By = "district",
    within: Within = "",
    layer: Layer = "unified",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Rollup:
    period = Period.asked(start, end, now)
    return rollup(
        conn, by, within=within, layer=layer, period=period, band=band, access=access, now=now
    )


Found = Annotated[Rollup, Depends(_found)]


@router.get("", summary="Figures per city, county, street or community under one code")
def rollup_figures(found: Found) -> RollupOut:
    return RollupOut.model_validate(dataclasses.asdict(found))


@router.get("/export", summary="The same figures as CSV or XLSX", response_class=Response)
def rollup_export(
    found: Found,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "xlsx",  # noqa: A002
) -> Response:
    return download(export_rollup(found, format))
