"""Open311 GeoReport v2: the services (our categories) and service requests (our incidents).

So that the 12345 hotline's and other reporting apps can post incidents into Gridmap. What is
GeoReport v2 and what is ours:

- ``service_code`` is the category's ASCII code (``sanitation``, ``illegal_parking`` …);
- a posted request is reported like any incident (located, snapped, routed; a negative-list
  category is dispatched at once) with ``reporter_kind = hotline`` and ``source = open311``;
  ``first_name``/``last_name``/``phone``/``email`` become the reporter's (personal data: never
  answered back over Open311; the email is told of progress, gis.notify); ``service_request_id``
  is the incident code;
- ``status`` is ``open`` (any state but evaluated) or ``closed``; ``status_notes`` is the note of
  the last move; ``agency_responsible`` is the department; ``expected_datetime`` the deadline.

**Who may call** (keys, scopes, public reads): :mod:`gis.incidents.open311_clients`.

**Updates.** ``updated_after``/``updated_before`` filter requests by their last change, and
``servicerequestupdates`` lists every change of state (FixMyStreet's extension of GeoReport v2,
which Open311 clients use to follow requests): one update per move of the incident.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis.errors import Invalid, NotFound
from gis.incidents.access import scope_sql
from gis.incidents.catalogue import by_service_code, categories
from gis.incidents.open311_clients import Client
from gis.incidents.reporting import create_incident

MAX_REQUESTS = 1000
DEFAULT_DAYS = 90


def services(conn: Connection) -> list[dict[str, Any]]:
    """GeoReport v2 service list: one service per incident category."""
    return [
        {
            "service_code": c.service_code,
            "service_name": f"{c.code} {c.name_en}",
            "description": f"{c.name_en}: routed to {c.department}"
            + (" (negative list: straight to the department)" if c.negative else ""),
            "metadata": False,
            "type": "realtime",
            "keywords": c.code,
            "group": c.department,
        }
        for c in categories(conn)
    ]


def service_definition(conn: Connection, service_code: str) -> dict[str, Any]:
    """GeoReport v2 service definition. Gridmap's services ask nothing beyond the standard's
    fields (``metadata`` is false), so the attribute list is empty; an unknown code is 404."""
    try:
        category = by_service_code(conn, service_code)
    except Invalid as exc:
        raise NotFound(exc.message, service_code=service_code) from exc
    return {"service_code": category.service_code, "attributes": []}


def _number(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise Invalid(
            f"{name} 为必填项，须为数字；收到 {value!r} ("
            f"{name} is required and must be a number; got {value!r})"
        ) from exc
    if number != number or number in (float("inf"), float("-inf")):
        raise Invalid(f"{name} 须为有限数 ({name} must be a finite number)")
    return number


def post_request(
    conn: Connection, client: Client, fields: dict[str, Any], *, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Create an incident from a GeoReport v2 POST (form fields); answers the v2 receipt."""
    if not fields.get("service_code"):
        raise Invalid(
            "缺少 service_code（GET services.json 可列出全部） ("
            "service_code is required (GET services.json lists them))"
        )
    category = by_service_code(conn, str(fields["service_code"]))
    if fields.get("lat") in (None, "") or fields.get("long") in (None, ""):
        if fields.get("address_string") or fields.get("address_id"):
            raise Invalid(
                "Gridmap 需要 lat 和 long：不支持按地址定位 ("
                "Gridmap needs lat and long: addresses are not geocoded)"
            )
        raise Invalid("缺少 lat 和 long (lat and long are required)")
    lat = _number(fields.get("lat"), "lat")
    lon = _number(fields.get("long"), "long")
    name = " ".join(
        part for part in (fields.get("last_name"), fields.get("first_name")) if part
    ).strip()
    made = create_incident(
        conn,
        lon=lon,
        lat=lat,
        category=category.code,
        description=str(fields.get("description") or ""),
        reporter_kind="hotline",
        reporter_name=name[:32] or None,
        reporter_phone=(str(fields.get("phone") or "").strip()[:20] or None),
        reporter_email=str(fields.get("email") or "").strip() or None,  # told of progress
        source="open311",
        now=now,
        access=client.access,
    )
    return [
        {
            "service_request_id": made["code"],
            "service_notice": made["routing_note"] or f"routed to {made['department']}",
            "account_id": None,
        }
    ]


def _parse_time(value: str | None, name: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Invalid(
            f"{name} 须为 W3C 日期时间，例如 2025-03-01T00:00:00+08:00"
            " ("
            f"{name} must be a W3C date-time, e.g. 2025-03-01T00:00:00+08:00)"
        ) from exc
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


_REQUEST_SQL = """
SELECT i.code, i.state, i.description, i.department, i.reported_at, i.updated_at, i.due_at,
       ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, c.service_code, c.code AS category,
       coalesce(b.name, cm.name) AS address,
       (SELECT t.note FROM incident_transition t WHERE t.incident_id = i.id
        ORDER BY t.at DESC, t.id DESC LIMIT 1) AS status_notes
FROM incident i
LEFT JOIN incident_category c ON c.code = i.category
LEFT JOIN building b ON b.id = i.building_id
LEFT JOIN community cm ON cm.id = i.community_id
WHERE {where}
ORDER BY i.reported_at DESC, i.id DESC
LIMIT :limit
"""


@dataclass(frozen=True)
class RequestFilters:
    """The filters of GeoReport v2 GET requests (W3C date-times as text, as clients send them)."""

    ids: list[str] | None = None
    service_code: str | None = None
    status: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    updated_after: str | None = None
    updated_before: str | None = None


def get_requests(
    conn: Connection,
    client: Client,
    filters: RequestFilters | None = None,
    *,
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """GeoReport v2 GET requests: by ids, or by filters (default: reported in the last 90 days;
    with ``updated_after``/``updated_before`` and no dates: changed in that window); ≤ 1000."""
    filters = filters or RequestFilters()
    now = now or dt.datetime.now(dt.UTC)
    where = scope_sql(client.scope)
    parts = [where.sql]
    params: dict[str, Any] = dict(where.params) | {"limit": MAX_REQUESTS}
    ids = [i.strip() for i in filters.ids or [] if i.strip()][:MAX_REQUESTS]
    if ids:
        parts.append("i.code = ANY(:ids)")
        params["ids"] = ids
    else:
        _windows(filters, now, parts, params)
        _kinds(filters, parts, params)
    rows = conn.execute(
        text(_REQUEST_SQL.format(where=" AND ".join(f"({p})" for p in parts))), params
    ).mappings()
    out = [_request(r) for r in rows]
    if ids and not out:
        raise NotFound(
            f"本客户端没有服务请求 {', '.join(ids)} ("
            f"no service request {', '.join(ids)} for this client)"
        )
    return out


def _windows(
    filters: RequestFilters, now: dt.datetime, parts: list[str], params: dict[str, Any]
) -> None:
    """The time windows: reported between start and end date, changed between updated_after
    and updated_before."""
    after = _parse_time(filters.updated_after, "updated_after")
    before = _parse_time(filters.updated_before, "updated_before")
    if after or before:
        if after and before and after >= before:
            raise Invalid(
                "updated_after 须早于 updated_before (updated_after must be before updated_before)"
            )
        parts.append(
            "coalesce(i.updated_at, i.reported_at) > coalesce(CAST(:after AS timestamptz), "
            "'-infinity') AND coalesce(i.updated_at, i.reported_at) < "
            "coalesce(CAST(:before AS timestamptz), 'infinity')"
        )
        params |= {"after": after, "before": before}
        if not (filters.start_date or filters.end_date):
            return
    start = _parse_time(filters.start_date, "start_date")
    end = _parse_time(filters.end_date, "end_date") or now
    start = start or end - dt.timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise Invalid("start_date 须早于 end_date (start_date must be before end_date)")
    parts.append("i.reported_at >= :start AND i.reported_at < :end")
    params |= {"start": start, "end": end}


def _kinds(filters: RequestFilters, parts: list[str], params: dict[str, Any]) -> None:
    if filters.service_code:
        codes = [c.strip() for c in filters.service_code.split(",") if c.strip()]
        parts.append("c.service_code = ANY(:codes)")
        params["codes"] = codes
    if filters.status:
        wanted = {s.strip() for s in filters.status.split(",")}
        if not wanted <= {"open", "closed"}:
            raise Invalid(
                f"status 须为 open 或 closed，收到 {filters.status!r} ("
                f"status is open or closed, not {filters.status!r})"
            )
        if wanted == {"open"}:
            parts.append("i.state <> 'evaluated'")
        elif wanted == {"closed"}:
            parts.append("i.state = 'evaluated'")


_UPDATES_SQL = """
SELECT t.id, i.code, t.to_state, t.at, t.note
FROM incident_transition t JOIN incident i ON i.id = t.incident_id
WHERE ({where}) AND t.at >= :start AND t.at < :end
ORDER BY t.at, t.id
LIMIT :limit
"""


def request_updates(
    conn: Connection,
    client: Client,
    *,
    start_date: str | None = None,
    end_date: str | None = None,
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Every change of state of the client's requests in a window (default: the last 24 hours,
    at most 90 days), oldest first: FixMyStreet's ``servicerequestupdates``."""
    now = now or dt.datetime.now(dt.UTC)
    end = _parse_time(end_date, "end_date") or now
    start = _parse_time(start_date, "start_date") or end - dt.timedelta(days=1)
    if start >= end:
        raise Invalid("start_date 须早于 end_date (start_date must be before end_date)")
    if end - start > dt.timedelta(days=DEFAULT_DAYS):
        raise Invalid(
            f"时间窗口最长 {DEFAULT_DAYS} 天 (the window may span at most {DEFAULT_DAYS} days)"
        )
    where = scope_sql(client.scope)
    rows = conn.execute(
        text(_UPDATES_SQL.format(where=where.sql)),
        dict(where.params) | {"start": start, "end": end, "limit": MAX_REQUESTS},
    ).mappings()
    return [
        {
            "update_id": str(r["id"]),
            "service_request_id": r["code"],
            "status": "closed" if r["to_state"] == "evaluated" else "open",
            "updated_datetime": _iso(r["at"]),
            "description": r["note"],
            "media_url": None,
        }
        for r in rows
    ]


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _request(r: Any) -> dict[str, Any]:
    return {
        "service_request_id": r["code"],
        "status": "closed" if r["state"] == "evaluated" else "open",
        "status_notes": r["status_notes"] or "",
        "service_name": r["category"],
        "service_code": r["service_code"],
        "description": r["description"],
        "agency_responsible": r["department"],
        "service_notice": "",
        "requested_datetime": _iso(r["reported_at"]),
        "updated_datetime": _iso(r["updated_at"] or r["reported_at"]),
        "expected_datetime": _iso(r["due_at"]),
        "address": r["address"] or "",
        "address_id": None,
        "zipcode": None,
        "lat": round(float(r["lat"]), 6),
        "long": round(float(r["lon"]), 6),
        "media_url": None,
    }
