"""Open311 GeoReport v2 endpoints, so that 12345-hotline and reporting apps post incidents here.

``GET /open311/v2/services.{json|xml}``, ``GET /open311/v2/services/{code}.{json|xml}`` (the
service definition), ``GET|POST /open311/v2/requests.{json|xml}`` (POST is form-encoded, as
GeoReport v2 clients send it), ``GET /open311/v2/requests/{id}.{json|xml}`` and
``GET /open311/v2/servicerequestupdates.{json|xml}`` (FixMyStreet's updates feed). A POST carries
the client's ``api_key`` (see :mod:`gis.incidents.open311`: keys are issued per app by an
administrator and stored as digests); reads are public unless ``GRIDMAP_OPEN311_PUBLIC_READS`` is
off. Errors are answered the GeoReport way: a list of ``{code, description}`` with the HTTP status.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from api.auth import NowDep
from api.deps import ConnDep, SettingsDep
from gis.errors import GridmapError
from gis.incidents.open311 import (
    RequestFilters,
    get_requests,
    post_request,
    request_updates,
    service_definition,
    services,
)
from gis.incidents.open311_clients import authenticate_client, reader

# GeoReport v2 is described by its own spec (services.json is its discovery), and its error
# answers are lists, not problem+json: these routes stay out of the OpenAPI document.
router = APIRouter(prefix="/open311/v2", tags=["open311"], include_in_schema=False)
Format = Annotated[Literal["json", "xml"], Path(description="json or xml")]
ApiKey = Annotated[str | None, Query(max_length=128, description="the client app's API key")]
When = Annotated[str | None, Query(max_length=40, description="W3C date-time")]


def _xml(root: str, item: str, rows: list[dict[str, Any]]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        element = ET.SubElement(top, item)
        for key, value in row.items():
            child = ET.SubElement(element, key)
            if value is not None:
                child.text = str(value).lower() if isinstance(value, bool) else str(value)
    body: bytes = ET.tostring(top, encoding="utf-8")
    return b'<?xml version="1.0" encoding="utf-8"?>' + body


def _answer(
    fmt: str, root: str, item: str, rows: list[dict[str, Any]], status: int = 200
) -> Response:
    if fmt == "xml":
        return Response(_xml(root, item, rows), status_code=status, media_type="text/xml")
    return JSONResponse(rows, status_code=status)


def _definition_xml(definition: dict[str, Any]) -> bytes:
    top = ET.Element("service_definition")
    ET.SubElement(top, "service_code").text = str(definition["service_code"])
    ET.SubElement(top, "attributes")
    return b'<?xml version="1.0" encoding="utf-8"?>' + bytes(ET.tostring(top, encoding="utf-8"))


def _guarded(
    fmt: str, root: str, item: str, work: Callable[[], list[dict[str, Any]] | Response]
) -> Response:
    """Run ``work``; a domain error becomes a GeoReport error list with its HTTP status."""
    try:
        result = work()
        if isinstance(result, Response):
            return result
        return _answer(fmt, root, item, result)
    except GridmapError as exc:
        error = [{"code": exc.status, "description": exc.message}]
        return _answer(fmt, "errors", "error", error, exc.status)


@router.get("/services.{fmt}", summary="GeoReport v2 service list (our incident categories)")
def open311_services(
    conn: ConnDep, settings: SettingsDep, fmt: Format, api_key: ApiKey = None
) -> Response:
    def work() -> list[dict[str, Any]]:
        reader(conn, api_key, public_reads=settings.open311_public_reads)
        return services(conn)

    return _guarded(fmt, "services", "service", work)


@router.get("/services/{service_code}.{fmt}", summary="GeoReport v2 service definition")
def open311_service_definition(
    conn: ConnDep,
    settings: SettingsDep,
    service_code: Annotated[str, Path(max_length=64)],
    fmt: Format,
    api_key: ApiKey = None,
) -> Response:
    def work() -> Response:
        reader(conn, api_key, public_reads=settings.open311_public_reads)
        definition = service_definition(conn, service_code)
        if fmt == "xml":
            return Response(_definition_xml(definition), media_type="text/xml")
        return JSONResponse(definition)

    return _guarded(fmt, "service_definition", "attribute", work)


@router.post("/requests.{fmt}", summary="GeoReport v2: post a service request (form-encoded)")
async def open311_post(request: Request, conn: ConnDep, now: NowDep, fmt: Format) -> Response:
    """Fields: api_key, service_code, lat, long, description; optional first_name, last_name,
    phone, email, address_string (Gridmap needs lat/long), media_url. Answers the receipt
    ``[{service_request_id, service_notice, account_id}]``."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    fields.setdefault("api_key", request.query_params.get("api_key", ""))

    def work() -> list[dict[str, Any]]:
        client = authenticate_client(conn, fields.get("api_key"))
        with conn.begin_nested():  # an error answered as a GeoReport list must change nothing
            return post_request(conn, client, fields, now=now)

    # The database work is synchronous: off the event loop, like a plain route's.
    answer = await run_in_threadpool(_guarded, fmt, "service_requests", "request", work)
    if answer.status_code == 200:
        answer.status_code = 201
    return answer


@router.get("/requests.{fmt}", summary="GeoReport v2: service requests by ids or filters")
def open311_requests(
    conn: ConnDep,
    settings: SettingsDep,
    now: NowDep,
    fmt: Format,
    api_key: ApiKey = None,
    service_request_id: Annotated[str | None, Query(max_length=4000)] = None,
    service_code: Annotated[str | None, Query(max_length=1000)] = None,
    start_date: When = None,
    end_date: When = None,
    updated_after: When = None,
    updated_before: When = None,
    status: Annotated[str | None, Query(max_length=20, description="open, closed")] = None,
) -> Response:
    filters = RequestFilters(
        ids=service_request_id.split(",") if service_request_id else None,
        service_code=service_code,
        status=status,
        start_date=start_date,
        end_date=end_date,
        updated_after=updated_after,
        updated_before=updated_before,
    )

    def work() -> list[dict[str, Any]]:
        client = reader(conn, api_key, public_reads=settings.open311_public_reads)
        return get_requests(conn, client, filters, now=now)

    return _guarded(fmt, "service_requests", "request", work)


@router.get("/requests/{request_id}.{fmt}", summary="GeoReport v2: one service request")
def open311_request(
    conn: ConnDep,
    settings: SettingsDep,
    now: NowDep,
    request_id: Annotated[str, Path(max_length=16)],
    fmt: Format,
    api_key: ApiKey = None,
) -> Response:
    def work() -> list[dict[str, Any]]:
        client = reader(conn, api_key, public_reads=settings.open311_public_reads)
        return get_requests(conn, client, RequestFilters(ids=[request_id]), now=now)

    return _guarded(fmt, "service_requests", "request", work)


@router.get(
    "/servicerequestupdates.{fmt}", summary="Every change of state of service requests, in order"
)
def open311_updates(
    conn: ConnDep,
    settings: SettingsDep,
    now: NowDep,
    fmt: Format,
    api_key: ApiKey = None,
    start_date: When = None,
    end_date: When = None,
) -> Response:
    def work() -> list[dict[str, Any]]:
        client = reader(conn, api_key, public_reads=settings.open311_public_reads)
        return request_updates(conn, client, start_date=start_date, end_date=end_date, now=now)

    return _guarded(fmt, "service_request_updates", "request_update", work)
