"""Residents post needs themselves (群众点单): ``GET/POST /needs/ask`` — a public HTML form,
no log-in — and ``POST /needs/intake`` — the same as JSON, for a hotline or an app (an
Open311-like intake). Both are rate-limited per client address in the database (see
:mod:`gis.needs.intake`; limits in ``app.state.intake_limits``) and need no CSRF token: they
use no session, and a resident may post whether logged in or not."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from api.auth import NowDep, client_ip
from api.deps import ConnDep, SettingsDep
from api.page_auth import page_response
from api.schemas.common import Day, Out
from gis.errors import GridmapError
from gis.infra.settings import resolve_secret_key
from gis.needs.intake import IntakeLimits, ResidentNeed, community_choices, post_resident_need
from maps.resident_page import resident_page_html

router = APIRouter(tags=["needs"])


class IntakeBody(BaseModel):
    community: str = Field(pattern=r"^[0-9]{1,12}$")
    kind: str = Field(description="wish, elderly, disabled, childcare, repair, legal, health…")
    title: str = Field(min_length=1, max_length=128)
    description: str = Field("", max_length=2000)
    requester_name: str = Field(min_length=1, max_length=32)
    requester_phone: str = Field(min_length=1, max_length=20)
    building: str | None = Field(None, max_length=32)
    due_on: dt.date | None = None


class ReceiptOut(Out):
    code: str
    status: str
    status_label: str
    community_name: str
    due_on: Day


def _limits(request: Request) -> IntakeLimits:
    limits = getattr(request.app.state, "intake_limits", None)
    return limits if isinstance(limits, IntakeLimits) else IntakeLimits()


@router.post(
    "/needs/intake",
    status_code=201,
    summary="A resident's need, posted without a log-in (rate-limited; 429 over the limit)",
    responses={
        404: {"description": "no such community"},
        429: {"description": "too many needs from this client: retry after Retry-After seconds"},
    },
)
def intake(
    conn: ConnDep, settings: SettingsDep, request: Request, now: NowDep, body: IntakeBody
) -> ReceiptOut:
    need = ResidentNeed(**body.model_dump())
    receipt = post_resident_need(
        conn, need, client=client_ip(request), secret=resolve_secret_key(settings), now=now,
        limits=_limits(request),
    )  # fmt: skip
    return ReceiptOut.model_validate(receipt)


@router.get("/needs/ask", response_class=HTMLResponse, include_in_schema=False)
def ask_page(conn: ConnDep, settings: SettingsDep) -> Response:
    return page_response(resident_page_html(community_choices(conn)), settings)


@router.post("/needs/ask", response_class=HTMLResponse, include_in_schema=False)
def ask_form(
    conn: ConnDep,
    settings: SettingsDep,
    request: Request,
    now: NowDep,
    community: Annotated[str, Form(max_length=12)],
    kind: Annotated[str, Form(max_length=16)],
    title: Annotated[str, Form(max_length=128)],
    name: Annotated[str, Form(max_length=32)],
    phone: Annotated[str, Form(max_length=20)],
    description: Annotated[str, Form(max_length=2000)] = "",
    building: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """The receipt, or the form again with what was wrong (nothing recorded then)."""
    values = {"community": community, "kind": kind, "title": title, "name": name,
              "phone": phone, "description": description, "building": building}  # fmt: skip
    need = ResidentNeed(
        community=community, kind=kind, title=title, requester_name=name,
        requester_phone=phone, description=description, building=building.strip() or None,
    )  # fmt: skip
    savepoint = conn.begin_nested()
    try:
        receipt = post_resident_need(
            conn, need, client=client_ip(request), secret=resolve_secret_key(settings), now=now,
            limits=_limits(request),
        )  # fmt: skip
    except GridmapError as error:
        savepoint.rollback()
        html = resident_page_html(community_choices(conn), values=values, error=error.message)
        return page_response(html, settings, status=error.status)
    savepoint.commit()
    return page_response(resident_page_html([], receipt=receipt), settings)
