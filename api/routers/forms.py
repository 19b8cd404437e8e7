"""一表同享 over HTTP: the shipped form templates and how much of each the data fill (减负), a
form filled as XLSX for a month and an area of the caller's scope, and a department's own
template (TOML) checked and filled — an unknown field is 422 naming the column.

Access: anyone who may see the map, within their scope (the rows are grids or communities it
reaches; the forms hold counts, no personal data). The rules live in :mod:`gis.forms`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from sqlalchemy import Connection

from api.auth import MapAccess, NowDep, map_access
from api.deps import ConnDep
from api.downloads import download
from api.schemas.forms import FormsOut, ReliefOut, TemplateIn
from gis.access import Access
from gis.chinatime import CHINA
from gis.forms import (
    Template,
    fill_form,
    form_xlsx,
    parse_template,
    relief,
    shipped_names,
    shipped_template,
)
from gis.scope import Scope

router = APIRouter(
    prefix="/forms", tags=["forms"], responses={404: {"description": "no such form"}}
)
Month = Annotated[
    str | None,
    Query(pattern=r"^[0-9]{4}-[0-9]{2}$", description="YYYY-MM (China time); last month"),
]
Area = Annotated[
    str | None,
    Query(pattern=r"^([0-9]{6}|[0-9]{9}|[0-9]{12})$", description="district, street or community"),
]
FormName = Annotated[str, Path(pattern=r"^[a-z0-9_]{1,40}$")]


def _relief_out(template: Template) -> ReliefOut:
    found = relief(template)
    return ReliefOut.model_validate(
        dataclasses.asdict(found) | {"share_from_data": round(found.share_from_data, 4)}
    )


def _fill(
    conn: Connection,
    template: Template,
    access: Access,
    now: dt.datetime,
    month: str | None,
    area: str | None,
) -> Response:
    if area is not None:
        access = access.narrowed(Scope.of_area(area))
    if month is None:  # last month: the one a monthly form reports
        month = (now.astimezone(CHINA).date().replace(day=1) - dt.timedelta(days=1)).strftime(
            "%Y-%m"
        )
    filled = fill_form(conn, template, month, access=access, now=now)
    return download(form_xlsx(conn, filled, access=access, now=now))


@router.get(
    "",
    summary="The shipped forms and how much of each the data fill (减负)",
    dependencies=[Depends(map_access)],
)
def forms_list(conn: ConnDep) -> FormsOut:
    return FormsOut(forms=[_relief_out(shipped_template(conn, n)) for n in shipped_names()])


@router.get(
    "/{name}/fill", summary="A shipped form filled from the data, as XLSX", response_class=Response
)
def form_fill(
    conn: ConnDep,
    access: MapAccess,
    now: NowDep,
    name: FormName,
    month: Month = None,
    area: Area = None,
) -> Response:
    return _fill(conn, shipped_template(conn, name), access, now, month, area)


@router.post(
    "/check",
    summary="Check a department's own template (TOML)",
    dependencies=[Depends(map_access)],
)
def form_check(conn: ConnDep, body: TemplateIn) -> ReliefOut:
    """422 naming the column when a field is unknown; else which columns the data fill."""
    return _relief_out(parse_template(conn, body.template, "custom"))


@router.post(
    "/fill", summary="A department's own template (TOML) filled, as XLSX", response_class=Response
)
def form_fill_custom(
    conn: ConnDep,
    access: MapAccess,
    now: NowDep,
    body: TemplateIn,
    month: Month = None,
    area: Area = None,
) -> Response:
    return _fill(conn, parse_template(conn, body.template, "custom"), access, now, month, area)
