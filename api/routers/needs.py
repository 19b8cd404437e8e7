"""三张清单 over HTTP: needs recorded (群众点单), takers ranked and dispatched (社区派单), orders
accepted, declined and done by the taker (接单), evaluated; member registrations (双报到);
figures and their CSV/XLSX.

Permissions: recording needs — ``report_needs`` (field workers, party staff); ranking,
dispatching, evaluating, cancelling, registering members — ``dispatch_needs`` (the community's
party staff, in their scope); answering orders — ``take_orders`` (users of role ``taker``, for the
orders given to the unit, member or team they act for). Reading follows the scope (a taker: their
own orders). The rules live in :mod:`gis.needs`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from api.auth import MapAccess, NowDep, permitted
from api.deps import ConnDep
from api.downloads import download
from api.schemas.needs import (
    CompleteBody,
    CoverageOut,
    DispatchBody,
    EvaluateBody,
    FiguresOut,
    NeedBody,
    NeedOut,
    NeedsOut,
    RankingOut,
    ReasonBody,
    RegistrationBody,
    RegistrationOut,
    SkillCoverageOut,
)
from gis.access import Access
from gis.accounts import Permission
from gis.needs import (
    NeedIn,
    Offer,
    TakerRef,
    accept,
    cancel,
    complete,
    create_need,
    decline,
    dispatch,
    evaluate,
    get_need,
    list_needs,
    rank_takers,
    register_member,
)
from gis.needs.coverage import export_coverage, skill_coverage
from gis.needs.figures import Level, Period, export_figures, hours_given, needs_by_area

router = APIRouter(
    prefix="/needs",
    tags=["needs"],
    responses={404: {"description": "no such need, taker, member or community"}},
)
NeedCode = Annotated[str, Path(pattern=r"^[0-9A-Za-z_-]{1,24}$")]
Dispatcher = Annotated[Access, Depends(permitted(Permission.DISPATCH_NEEDS))]
Taker = Annotated[Access, Depends(permitted(Permission.TAKE_ORDERS))]
#: Takers listed by hours given (the export has them all).
HOURS_SHOWN = 500
By = Annotated[Level, Query()]


def _reporter(access: MapAccess) -> Access:
    """Those who record needs: field workers (report_needs) and party staff (dispatch_needs)."""
    if not access.can(Permission.DISPATCH_NEEDS):
        access.require(Permission.REPORT_NEEDS)
    return access


Reporter = Annotated[Access, Depends(_reporter)]


def _out(value: object) -> NeedOut:
    return NeedOut.model_validate(dataclasses.asdict(value))  # type: ignore[call-overload]


@router.post("", status_code=201, summary="Record a need (群众点单) where it is")
def need_create(conn: ConnDep, access: Reporter, now: NowDep, body: NeedBody) -> NeedOut:
    """Placed at a building (and entrance) or a point; outside every community → 422."""
    return _out(create_need(conn, NeedIn(**body.model_dump()), access=access, now=now))


@router.get("", summary="Needs the caller may read, newest first")
def need_list(
    conn: ConnDep,
    access: MapAccess,
    now: NowDep,
    status: Annotated[str | None, Query(max_length=12)] = None,
    community: Annotated[str | None, Query(pattern=r"^[0-9]{1,12}$")] = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> NeedsOut:
    found = list_needs(
        conn, access=access, now=now, status=status, community=community, limit=limit
    )
    return NeedsOut(items=[_out(n) for n in found])


@router.get("/figures", summary="Needs per area (open, overdue, done) and hours per taker")
def need_figures(
    conn: ConnDep,
    access: MapAccess,
    now: NowDep,
    by: By = "grid",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> FiguresOut:
    period = Period.asked(start, end, now)
    areas = needs_by_area(conn, by, period, access=access, now=now)
    hours = hours_given(conn, by, period, access=access, limit=HOURS_SHOWN)
    return FiguresOut.model_validate(
        {"by": by, "start": period.start, "end": period.end,
         "areas": [dataclasses.asdict(a) for a in areas],
         "hours": [dataclasses.asdict(h) for h in hours]}
    )  # fmt: skip


@router.get("/coverage", summary="Coverage of skills by community: who could take each kind")
def need_coverage(
    conn: ConnDep,
    access: MapAccess,
    now: NowDep,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> CoverageOut:
    """Per community and kind of need: takers offering it today, their hours, the needs asked
    in the period (a year by default); gaps (asked, nobody offering) first."""
    period = Period.asked(start, end, now)
    rows = skill_coverage(conn, period, access=access, now=now)
    return CoverageOut(
        start=period.start,
        end=period.end,
        rows=[SkillCoverageOut.model_validate(r, from_attributes=True) for r in rows],
        gaps=sum(1 for r in rows if r.asked and not r.covered),
    )


@router.get(
    "/coverage/export", summary="Coverage of skills as CSV or XLSX", response_class=Response
)
def need_coverage_export(
    conn: ConnDep,
    access: MapAccess,
    now: NowDep,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "xlsx",  # noqa: A002
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Response:
    period = Period.asked(start, end, now)
    return download(export_coverage(conn, period, format, access=access, now=now))


@router.get(
    "/figures/export",
    summary="The figures as CSV (needs per area) or XLSX (and hours per taker)",
    response_class=Response,
)
def need_figures_export(
    conn: ConnDep,
    access: MapAccess,
    now: NowDep,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "xlsx",  # noqa: A002
    by: By = "community",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Response:
    period = Period.asked(start, end, now)
    return download(export_figures(conn, by, period, format, access=access, now=now))


@router.get("/orders/mine", summary="The orders given to the taker the caller acts for")
def my_orders(conn: ConnDep, access: Taker, now: NowDep) -> NeedsOut:
    return NeedsOut(items=[_out(n) for n in list_needs(conn, access=access, now=now)])


@router.post("/registrations", status_code=201, summary="Register a member (双报到)")
def registration_create(
    conn: ConnDep, access: Dispatcher, body: RegistrationBody
) -> RegistrationOut:
    """One community per member at a time: a second one is 409, naming the first."""
    offer = Offer(body.skills, body.hours_per_month)
    made = register_member(
        conn, body.member, body.community, offer, access=access, starts_on=body.starts_on
    )
    return RegistrationOut.model_validate(dataclasses.asdict(made))


@router.get("/{code}", summary="One need")
def need_one(conn: ConnDep, access: MapAccess, now: NowDep, code: NeedCode) -> NeedOut:
    return _out(get_need(conn, code, access=access, now=now))


@router.get("/{code}/takers", summary="Who could take the need, ranked")
def need_takers(
    conn: ConnDep,
    access: Dispatcher,
    now: NowDep,
    code: NeedCode,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> RankingOut:
    ranking = rank_takers(conn, code, access=access, now=now, limit=limit)
    return RankingOut.model_validate(dataclasses.asdict(ranking))


@router.post("/{code}/dispatch", summary="Dispatch to one of the community's takers")
def need_dispatch(
    conn: ConnDep, access: Dispatcher, now: NowDep, code: NeedCode, body: DispatchBody
) -> NeedOut:
    """A taker outside the community's pairing → 422; a need not awaiting dispatch → 409."""
    return _out(dispatch(conn, code, TakerRef.parse(body.taker), access=access, now=now))


@router.post("/{code}/accept", summary="Accept the order (the taker)")
def need_accept(conn: ConnDep, access: Taker, now: NowDep, code: NeedCode) -> NeedOut:
    """Accepting twice → 409."""
    return _out(accept(conn, code, access=access, now=now))


@router.post("/{code}/decline", summary="Decline the order, saying why (the taker)")
def need_decline(
    conn: ConnDep, access: Taker, now: NowDep, code: NeedCode, body: ReasonBody
) -> NeedOut:
    return _out(decline(conn, code, access=access, now=now, reason=body.reason))


@router.post("/{code}/complete", summary="Report the need done, with the hours (the taker)")
def need_complete(
    conn: ConnDep, access: Taker, now: NowDep, code: NeedCode, body: CompleteBody
) -> NeedOut:
    return _out(complete(conn, code, access=access, now=now, hours=body.hours, note=body.note))


@router.post("/{code}/evaluate", summary="Record the resident's rating (1–5)")
def need_evaluate(
    conn: ConnDep, access: Dispatcher, now: NowDep, code: NeedCode, body: EvaluateBody
) -> NeedOut:
    return _out(evaluate(conn, code, access=access, now=now, rating=body.rating, note=body.note))


@router.post("/{code}/cancel", summary="Withdraw a need nobody has accepted")
def need_cancel(
    conn: ConnDep, access: Dispatcher, now: NowDep, code: NeedCode, body: ReasonBody
) -> NeedOut:
    return _out(cancel(conn, code, access=access, now=now, reason=body.reason))
