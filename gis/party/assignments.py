"""Reading who leads what where: one assignment, a page of them, or a map of them.

Changes (assign, end, hand over, send cadres down) are :mod:`gis.party.changes`; the targets
and periods they check, :mod:`gis.party.targets`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

from sqlalchemy import Connection, text

from gis.access import Access
from gis.errors import Forbidden, Invalid, NotFound
from gis.geojson import BBOX_SQL, BBox, collection, feature_sql
from gis.party.common import (
    ROLE_LABELS,
    TARGET_JOINS,
    PartyRole,
    Target,
    current,
    person,
    target_scope_sql,
    today,
)
from gis.scope import Scope

log = logging.getLogger(__name__)

#: What an assignment row says, for the API, the CLI and exports (``a`` joined as in
#: :data:`~gis.party.common.TARGET_JOINS`, member ``m``, organisation ``o``, layer ``l``).
ASSIGNMENT_COLUMNS = """
    a.id, a.role, a.starts_on, a.ends_on,
    CASE WHEN a.grid_id IS NOT NULL THEN 'grid'
         WHEN a.entrance_id IS NOT NULL THEN 'entrance' ELSE 'building' END AS target_kind,
    coalesce(g.code, b.code) AS target_code, coalesce(g.name, b.name) AS target_name,
    l.code AS layer, e.number AS entrance_number,
    m.code AS member_code, m.name AS member_name, m.phone AS member_phone,
    o.code AS organisation_code, o.name AS organisation_name
"""
ASSIGNMENT_FROM = f"""
    FROM assignment a
    JOIN party_member m ON m.id = a.member_id
    {TARGET_JOINS}
    LEFT JOIN grid_layer l ON l.id = g.layer_id
    LEFT JOIN party_organisation o ON o.id = coalesce(a.organisation_id, m.organisation_id)
"""


class AssignmentTarget(TypedDict):
    """What an assignment is over: a grid (with its layer), a building, or an entrance unit
    (with its number); the other kinds' members are absent, not null."""

    kind: str
    code: str
    layer: NotRequired[str | None]
    number: NotRequired[Any]
    name: str | None


class CodeName(TypedDict):
    code: str
    name: str | None


class Assignment(TypedDict):
    """One assignment as the API answers it (the member masked unless the viewer may see
    personal data). A TypedDict, not a dataclass: a JSON document sent as it is, whose target
    has members only for its kind."""

    id: int
    role: str
    role_label: str
    target: AssignmentTarget
    member: dict[str, Any] | None
    organisation: CodeName | None
    starts_on: str
    ends_on: str | None
    active: bool


class AssignmentPage(TypedDict):
    """A page of assignments with OGC API paging counts (``next_offset`` only when more)."""

    items: list[Assignment]
    numberMatched: int
    numberReturned: int
    personal_data: str
    next_offset: NotRequired[int]


def _shape(row: Any, full: bool, on: dt.date) -> Assignment:
    """One assignment as the API answers it (the member masked unless ``full``)."""
    r = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    role = PartyRole(r["role"])
    active = r["starts_on"] <= on and (r["ends_on"] is None or r["ends_on"] >= on)
    kind, code, name = r["target_kind"], r["target_code"], r["target_name"]
    target: AssignmentTarget
    if kind == "grid":
        target = {"kind": kind, "code": code, "layer": r["layer"], "name": name}
    elif kind == "entrance":
        target = {"kind": kind, "code": code, "number": r["entrance_number"], "name": name}
    else:
        target = {"kind": kind, "code": code, "name": name}
    return {
        "id": r["id"],
        "role": role.value,
        "role_label": ROLE_LABELS[role],
        "target": target,
        "member": person(
            {"code": r["member_code"], "name": r["member_name"], "phone": r["member_phone"]},
            full,
        ),
        "organisation": {"code": r["organisation_code"], "name": r["organisation_name"]}
        if r["organisation_code"]
        else None,
        "starts_on": r["starts_on"].isoformat(),
        "ends_on": r["ends_on"].isoformat() if r["ends_on"] else None,
        "active": active,
    }


def get_assignment(conn: Connection, assignment_id: int, *, access: Access) -> Assignment:
    scope = access.scope
    where = target_scope_sql(scope)
    row = conn.execute(
        text(
            f"SELECT {ASSIGNMENT_COLUMNS}, ({where.sql}) AS reached {ASSIGNMENT_FROM} "
            "WHERE a.id = :id"
        ),
        {"id": assignment_id} | where.params,
    ).first()
    if row is None:
        raise NotFound(
            f"没有任职记录 {assignment_id} (no assignment {assignment_id})",
            assignment=assignment_id,
        )
    if not row.reached:
        raise Forbidden(
            f"任职记录 {assignment_id} 不在您的权限范围（{scope}）内 ("
            f"assignment {assignment_id} is outside your scope ({scope}))"
        )
    return _shape(row, access.personal_data, today())


# ----------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class AssignmentQuery:
    """Which assignments to read: current on ``on`` (default today) unless ``history``."""

    role: PartyRole | None = None
    organisation: str | None = None  # organisation code
    layer: str | None = None  # grid targets of this layer only
    target: Target | None = None
    member: str | None = None
    on: dt.date | None = None
    history: bool = False

    def where(self, scope: Scope) -> tuple[str, dict[str, Any]]:
        reach = target_scope_sql(scope)
        conditions = [reach.sql]
        params: dict[str, Any] = reach.params | {"on": self.on or today()}
        if not self.history:
            conditions.append(current())
        if self.role is not None:
            conditions.append("a.role = :role")
            params["role"] = PartyRole(self.role).value
        if self.organisation is not None:
            conditions.append("o.code = :org")
            params["org"] = self.organisation
        if self.layer is not None:
            conditions.append("(a.grid_id IS NULL OR l.code = :layer)")
            params["layer"] = self.layer
        if self.member is not None:
            conditions.append("m.code = :member")
            params["member"] = self.member
        if self.target is not None:
            t = self.target
            if t.kind == "grid":
                conditions.append("g.code = :t_code AND l.code = :t_layer")
                params |= {"t_code": t.code, "t_layer": t.layer}
            elif t.kind == "building":
                conditions.append("b.code = :t_code")
                params["t_code"] = t.code
            else:
                conditions.append("b.code = :t_code AND e.number = :t_number")
                params |= {"t_code": t.code, "t_number": t.number}
        return " AND ".join(f"({c})" for c in conditions), params


def list_assignments(
    conn: Connection,
    query: AssignmentQuery | None = None,
    *,
    access: Access,
    limit: int = 500,
    offset: int = 0,
) -> AssignmentPage:
    """A page of assignments in the scope, newest start first (history: a target's whole
    record, ended ones too)."""
    scope = access.scope
    if limit < 1 or offset < 0:
        raise Invalid(
            "limit 须 ≥ 1，offset 须 ≥ 0 (limit must be ≥ 1 and offset ≥ 0)",
            limit=limit,
            offset=offset,
        )
    where, params = (query or AssignmentQuery()).where(scope)
    total = conn.execute(text(f"SELECT count(*) {ASSIGNMENT_FROM} WHERE {where}"), params)
    matched = int(total.scalar_one())
    rows = conn.execute(
        text(
            f"SELECT {ASSIGNMENT_COLUMNS} {ASSIGNMENT_FROM} WHERE {where} "
            "ORDER BY a.starts_on DESC, a.id DESC LIMIT :limit OFFSET :offset"
        ),
        params | {"limit": limit, "offset": offset},
    ).all()
    full = access.personal_data
    on = params["on"]
    items = [_shape(r, full, on) for r in rows]
    page: AssignmentPage = {
        "items": items,
        "numberMatched": matched,
        "numberReturned": len(items),
        "personal_data": "full" if full else "masked",
    }
    if offset + len(items) < matched:
        page["next_offset"] = offset + len(items)
    return page


def assignments_geojson(
    conn: Connection,
    query: AssignmentQuery | None = None,
    *,
    access: Access,
    bbox: BBox | None = None,
    limit: int = 5000,
    offset: int = 0,
) -> str:
    """Who leads what, where: one point per assignment (on its grid or building), as GeoJSON.

    Names and phones are masked in PostGIS-built JSON afterwards, so the masking is the one of
    :mod:`gis.personal`; the collection says ``personal_data: full | masked``.
    """
    scope = access.scope
    if limit < 1 or offset < 0:
        raise Invalid(
            "limit 须 ≥ 1，offset 须 ≥ 0 (limit must be ≥ 1 and offset ≥ 0)",
            limit=limit,
            offset=offset,
        )
    where, params = (query or AssignmentQuery()).where(scope)
    where += " AND coalesce(g.geom, b.geom) IS NOT NULL"
    if bbox is not None:
        where += f" AND coalesce(g.geom, b.geom) && {BBOX_SQL}"
        params |= bbox.params()
    matched = int(
        conn.execute(text(f"SELECT count(*) {ASSIGNMENT_FROM} WHERE {where}"), params).scalar_one()
    )
    props = {
        "id": "a.id",
        "role": "a.role",
        "target_kind": "CASE WHEN a.grid_id IS NOT NULL THEN 'grid' "
        "WHEN a.entrance_id IS NOT NULL THEN 'entrance' ELSE 'building' END",
        "target_code": "coalesce(g.code, b.code)",
        "target_name": "coalesce(g.name, b.name)",
        "layer": "l.code",
        "entrance_number": "e.number",
        "member_code": "m.code",
        "member_name": "m.name",
        "member_phone": "m.phone",
        "organisation_code": "o.code",
        "organisation_name": "o.name",
        "starts_on": "a.starts_on",
        "ends_on": "a.ends_on",
    }
    features = f"""
        SELECT {feature_sql("a.id", "ST_PointOnSurface(coalesce(b.geom, g.geom))", props)}
        {ASSIGNMENT_FROM} WHERE {where}
        ORDER BY a.id LIMIT :limit OFFSET :offset
    """
    full = access.personal_data
    returned = max(0, min(limit, matched - offset))
    extra: dict[str, Any] = {
        "numberMatched": matched,
        "numberReturned": returned,
        "personal_data": "full" if full else "masked",
    }
    if offset + returned < matched:
        extra["next_offset"] = offset + returned
    body = collection(conn, features, params | {"limit": limit, "offset": offset}, extra=extra)
    if full:
        return body
    doc = json.loads(body)
    for feature in doc["features"]:
        p = feature["properties"]
        shown = person({"code": p["member_code"], "name": p["member_name"],
                        "phone": p["member_phone"]}, False)  # fmt: skip
        assert shown is not None
        p["member_name"], p["member_phone"] = shown["name"], shown["phone"]
    return json.dumps(doc, ensure_ascii=False)
