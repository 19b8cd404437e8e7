"""Giving members roles, ending them, and reading who leads what where.

The rules (one grid leader per grid at a time, one leader per building and per entrance, a
member leads one grid at a time, a cadre is sent to a grid once per period) are exclusion
constraints in the database (migration 0005), so nothing can break them; this module checks
them first anyway, under a lock on the target and the member, to answer with a
:class:`~gis.errors.Conflict` that names the current holder instead of a constraint name. The
cap on buildings a member leads is a setting, so it is checked here only.

Nothing is deleted: ending an assignment sets ``ends_on``, so every target keeps its history.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from gis import audit
from gis.accounts import Permission, authorize
from gis.audit import Actor
from gis.errors import Conflict, Forbidden, IllegalTransition, Invalid, NotFound
from gis.geojson import BBOX_SQL, BBox, collection, feature_sql
from gis.party.common import (
    BUILDING_ROLES,
    EXCLUSIVE_ROLES,
    ROLE_LABELS,
    ROLE_TARGET,
    TARGET_JOINS,
    PartyRole,
    Target,
    check_period,
    current,
    member_scope_sql,
    person,
    reveals,
    target_scope_sql,
    today,
)
from gis.personal import mask_name
from gis.scope import EVERYTHING, Scope

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


def _shape(row: Any, full: bool, on: dt.date) -> dict[str, Any]:
    """One assignment as the API answers it (the member masked unless ``full``)."""
    r = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    role = PartyRole(r["role"])
    active = r["starts_on"] <= on and (r["ends_on"] is None or r["ends_on"] >= on)
    target: dict[str, Any] = {"kind": r["target_kind"], "code": r["target_code"]}
    if r["target_kind"] == "grid":
        target["layer"] = r["layer"]
    if r["target_kind"] == "entrance":
        target["number"] = r["entrance_number"]
    target["name"] = r["target_name"]
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


def get_assignment(
    conn: Connection, assignment_id: int, viewer: Actor, scope: Scope = EVERYTHING
) -> dict[str, Any]:
    where = target_scope_sql(scope)
    row = conn.execute(
        text(
            f"SELECT {ASSIGNMENT_COLUMNS}, ({where.sql}) AS reached {ASSIGNMENT_FROM} "
            "WHERE a.id = :id"
        ),
        {"id": assignment_id} | where.params,
    ).first()
    if row is None:
        raise NotFound(f"no assignment {assignment_id}", assignment=assignment_id)
    if not row.reached:
        raise Forbidden(f"assignment {assignment_id} is outside your scope ({scope})")
    return _shape(row, reveals(viewer), today())


# ----------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class _Resolved:
    column: str  # grid_id | building_id | entrance_id
    id: int
    building_id: int | None  # the building (of a building or an entrance)


def _resolve_target(conn: Connection, target: Target, scope: Scope) -> _Resolved:
    """The target's row, locked (so two assignments to one target queue up), and in scope.

    A grid must lie wholly inside the scope to be managed; a building's unit must lie in it.
    """
    if target.kind == "grid":
        whole = scope.grid_sql("g", entirely=True)
        row = conn.execute(
            text(
                f"SELECT g.id, ({whole.sql}) AS inside FROM grid g "
                "JOIN grid_layer l ON l.id = g.layer_id "
                "WHERE l.code = :layer AND g.code = :code FOR UPDATE OF g"
            ),
            {"layer": target.layer, "code": target.code} | whole.params,
        ).first()
        if row is None:
            raise NotFound(
                f"layer {target.layer!r} has no grid {target.code!r}", target=str(target)
            )
        if not row.inside:
            raise Forbidden(f"grid {target.code} is not wholly inside your scope ({scope})")
        return _Resolved("grid_id", row.id, None)
    units = scope.unit_sql("u")
    row = conn.execute(
        text(
            f"SELECT b.id, ({units.sql}) AS inside FROM building b "
            "JOIN base_unit u ON u.id = b.base_unit_id WHERE b.code = :code FOR UPDATE OF b"
        ),
        {"code": target.code} | units.params,
    ).first()
    if row is None:
        raise NotFound(f"no building {target.code!r}", target=str(target))
    if not row.inside:
        raise Forbidden(f"building {target.code} is outside your scope ({scope})")
    if target.kind == "building":
        return _Resolved("building_id", row.id, row.id)
    entrance = conn.execute(
        text("SELECT id FROM building_entrance WHERE building_id = :b AND number = :n"),
        {"b": row.id, "n": target.number},
    ).scalar()
    if entrance is None:
        raise NotFound(
            f"building {target.code} has no entrance unit {target.number}", target=str(target)
        )
    return _Resolved("entrance_id", int(entrance), row.id)


def _member(conn: Connection, code: str, scope: Scope) -> Any:
    within = member_scope_sql(scope)
    row = conn.execute(
        text(
            f"SELECT m.id, m.code, m.name, m.organisation_id, ({within.sql}) AS inside "
            "FROM party_member m WHERE m.code = :code FOR UPDATE OF m"
        ),
        {"code": code} | within.params,
    ).first()
    if row is None:
        raise NotFound(f"no party member {code!r}", member=code)
    if not row.inside:
        raise Forbidden(f"party member {code} does not live inside your scope ({scope})")
    return row


_OVERLAP = (
    "a.starts_on <= coalesce(CAST(:ends_on AS date), 'infinity'::date) "
    "AND coalesce(a.ends_on, 'infinity'::date) >= :starts_on"
)


def _holder_text(row: Any) -> str:
    until = f"to {row.ends_on}" if row.ends_on else "open-ended"
    # The name is masked: error messages can end up in logs.
    return (
        f"{row.member_code} {mask_name(row.member_name)} "
        f"(assignment {row.id}, from {row.starts_on} {until})"
    )


def _overlapping(
    conn: Connection, condition: str, params: dict[str, Any], starts_on: dt.date, ends_on: Any
) -> Any:
    return conn.execute(
        text(
            "SELECT a.id, a.starts_on, a.ends_on, m.code AS member_code, m.name AS member_name "
            "FROM assignment a JOIN party_member m ON m.id = a.member_id "
            f"WHERE {condition} AND {_OVERLAP} ORDER BY a.starts_on LIMIT 1"
        ),
        params | {"starts_on": starts_on, "ends_on": ends_on},
    ).first()


def buildings_led(
    conn: Connection,
    member_id: int,
    starts_on: dt.date,
    ends_on: dt.date | None,
    *,
    besides: int | None = None,
) -> int:
    """How many buildings the member leads (as building or unit leader) in the period."""
    return int(
        conn.execute(
            text(
                "SELECT count(DISTINCT coalesce(a.building_id, e.building_id)) "
                "FROM assignment a LEFT JOIN building_entrance e ON e.id = a.entrance_id "
                "WHERE a.member_id = :m AND a.role = ANY(:roles) AND "
                f"{_OVERLAP} AND coalesce(a.building_id, e.building_id) "
                "IS DISTINCT FROM CAST(:besides AS integer)"
            ),
            {
                "m": member_id,
                "roles": list(BUILDING_ROLES),
                "starts_on": starts_on,
                "ends_on": ends_on,
                "besides": besides,
            },
        ).scalar_one()
    )


# ----------------------------------------------------------------------------- changes


def assign(
    conn: Connection,
    actor: Actor,
    *,
    member: str,
    role: PartyRole,
    target: Target,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    max_buildings: int,
    replace: bool = False,
) -> dict[str, Any]:
    """Give ``member`` a role over ``target`` for a period (audited as ``assignment.create``).

    With ``replace``, the current holder of an exclusive role (a grid, building or unit leader
    whose period started before ``starts_on``) is ended the day before, in the same
    transaction: the usual hand-over. Otherwise a holder in an overlapping period is a
    :class:`Conflict` naming them.
    """
    scope = authorize(actor, Permission.MANAGE_ASSIGNMENTS)
    role = PartyRole(role)
    if ROLE_TARGET[role] != target.kind:
        raise Invalid(
            f"a {role.value} is assigned to a {ROLE_TARGET[role]}, not a {target.kind}",
            role=role.value,
            target=str(target),
        )
    check_period(starts_on, ends_on)
    resolved = _resolve_target(conn, target, scope)
    who = _member(conn, member, scope)

    if role in EXCLUSIVE_ROLES:
        cond = f"a.{resolved.column} = :target AND a.role = :role"
        params = {"target": resolved.id, "role": role.value}
        holder = _overlapping(conn, cond, params, starts_on, ends_on)
        if (
            holder is not None
            and replace
            and holder.starts_on < starts_on
            and holder.ends_on is None
        ):
            if holder.member_code == who.code:
                raise Conflict(f"{who.code} already holds this role in that period")
            _end(conn, actor, holder.id, starts_on - dt.timedelta(days=1), scope)
            holder = _overlapping(conn, cond, params, starts_on, ends_on)
        if holder is not None:
            raise Conflict(
                f"{target} already has a {ROLE_LABELS[role]} ({role.value}) in that period: "
                f"{_holder_text(holder)}; end that assignment first, start after it, "
                "or hand over with replace",
                holder=holder.member_code,
                holder_assignment=holder.id,
            )
    if role is PartyRole.GRID_LEADER:
        other = _overlapping(
            conn, "a.member_id = :m AND a.role = 'grid_leader'", {"m": who.id}, starts_on, ends_on
        )
        if other is not None:
            raise Conflict(
                f"{who.code} already leads a grid in that period (assignment {other.id}, "
                f"from {other.starts_on}): a member leads one grid at a time",
                holder_assignment=other.id,
            )
    if role is PartyRole.CADRE:
        again = _overlapping(
            conn,
            "a.member_id = :m AND a.grid_id = :g AND a.role = 'cadre'",
            {"m": who.id, "g": resolved.id},
            starts_on,
            ends_on,
        )
        if again is not None:
            raise Conflict(
                f"{who.code} is already sent down to {target} in that period "
                f"(assignment {again.id})",
                holder_assignment=again.id,
            )
    if role.value in BUILDING_ROLES:
        led = buildings_led(conn, who.id, starts_on, ends_on, besides=resolved.building_id)
        if led >= max_buildings:
            raise Conflict(
                f"{who.code} already leads {led} building(s) in that period, the most a member "
                f"may lead (GRIDMAP_PARTY_MAX_BUILDINGS={max_buildings})",
                member=who.code,
                buildings_led=led,
            )
    try:
        with conn.begin_nested():
            new_id = conn.execute(
                text(
                    f"INSERT INTO assignment (member_id, role, {resolved.column}, starts_on, "
                    "ends_on, organisation_id) VALUES (:m, :role, :target, :starts_on, "
                    ":ends_on, :org) RETURNING id"
                ),
                {
                    "m": who.id,
                    "role": role.value,
                    "target": resolved.id,
                    "starts_on": starts_on,
                    "ends_on": ends_on,
                    "org": who.organisation_id,
                },
            ).scalar_one()
    except IntegrityError as exc:  # a writer that did not lock first: the constraint holds
        rule = getattr(getattr(exc.orig, "diag", None), "constraint_name", None) or "a rule"
        raise Conflict(
            f"{target} cannot take this {role.value} in that period ({rule} refused it)",
            constraint=str(rule),
        ) from exc
    audit.record(
        conn,
        actor,
        "assignment.create",
        "assignment",
        new_id,
        None,
        {
            "member": who.code,
            "role": role.value,
            "target": str(target),
            "starts_on": starts_on,
            "ends_on": ends_on,
        },
    )
    log.info("assignment %s: %s %s over %s", new_id, who.code, role.value, target)
    return get_assignment(conn, new_id, actor)


def _end(
    conn: Connection, actor: Actor, assignment_id: int, ends_on: dt.date, scope: Scope
) -> dict[str, Any]:
    where = target_scope_sql(scope, entirely=True)
    row = conn.execute(
        text(
            "SELECT a.id, a.starts_on, a.ends_on, a.role, "
            f"({where.sql}) AS reached FROM assignment a {TARGET_JOINS} "
            "WHERE a.id = :id FOR UPDATE OF a"
        ),
        {"id": assignment_id} | where.params,
    ).first()
    if row is None:
        raise NotFound(f"no assignment {assignment_id}", assignment=assignment_id)
    if not row.reached:
        raise Forbidden(f"assignment {assignment_id} is outside your scope ({scope})")
    if row.ends_on is not None:
        raise IllegalTransition(
            f"assignment {assignment_id} already ended on {row.ends_on}",
            assignment=assignment_id,
        )
    if ends_on < row.starts_on:
        raise Invalid(
            f"assignment {assignment_id} starts on {row.starts_on}: it cannot end before that",
            assignment=assignment_id,
        )
    conn.execute(
        text("UPDATE assignment SET ends_on = :e WHERE id = :id"),
        {"e": ends_on, "id": assignment_id},
    )
    audit.record(
        conn, actor, "assignment.end", "assignment", assignment_id, {"ends_on": None},
        {"ends_on": ends_on},
    )  # fmt: skip
    return {"id": assignment_id, "ends_on": ends_on.isoformat()}


def end_assignment(
    conn: Connection, actor: Actor, assignment_id: int, ends_on: dt.date
) -> dict[str, Any]:
    """End an assignment on ``ends_on`` (its last day; audited as ``assignment.end``).

    The row stays: the history of a target is its assignments, ended or not.
    """
    scope = authorize(actor, Permission.MANAGE_ASSIGNMENTS)
    _end(conn, actor, assignment_id, ends_on, scope)
    return get_assignment(conn, assignment_id, actor)


def send_cadres(
    conn: Connection,
    actor: Actor,
    *,
    organisation: str,
    grid: Target,
    members: Iterable[str],
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    max_buildings: int,
) -> list[dict[str, Any]]:
    """An organisation sends some of its members down to a grid (下沉), all or none.

    Every member must belong to ``organisation``.
    """
    authorize(actor, Permission.MANAGE_ASSIGNMENTS)
    codes = list(dict.fromkeys(members))
    if not codes:
        raise Invalid("name at least one member to send down")
    org = conn.execute(
        text("SELECT id, name FROM party_organisation WHERE code = :c"), {"c": organisation}
    ).first()
    if org is None:
        raise NotFound(f"no party organisation {organisation!r}", organisation=organisation)
    others = conn.execute(
        text(
            "SELECT code FROM party_member WHERE code = ANY(:codes) "
            "AND organisation_id IS DISTINCT FROM :org ORDER BY code"
        ),
        {"codes": codes, "org": org.id},
    ).scalars()
    strangers = list(others)
    if strangers:
        raise Invalid(
            f"{', '.join(strangers[:5])} do not belong to {organisation}: an organisation sends "
            "its own members",
            organisation=organisation,
        )
    return [
        assign(
            conn,
            actor,
            member=code,
            role=PartyRole.CADRE,
            target=grid,
            starts_on=starts_on,
            ends_on=ends_on,
            max_buildings=max_buildings,
        )
        for code in codes
    ]


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
    viewer: Actor,
    query: AssignmentQuery | None = None,
    *,
    scope: Scope = EVERYTHING,
    limit: int = 500,
    offset: int = 0,
) -> dict[str, Any]:
    """A page of assignments in the scope, newest start first (history: a target's whole
    record, ended ones too)."""
    if limit < 1 or offset < 0:
        raise Invalid("limit must be ≥ 1 and offset ≥ 0", limit=limit, offset=offset)
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
    full = reveals(viewer)
    on = params["on"]
    items = [_shape(r, full, on) for r in rows]
    page: dict[str, Any] = {
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
    viewer: Actor,
    query: AssignmentQuery | None = None,
    *,
    scope: Scope = EVERYTHING,
    bbox: BBox | None = None,
    limit: int = 5000,
    offset: int = 0,
) -> str:
    """Who leads what, where: one point per assignment (on its grid or building), as GeoJSON.

    Names and phones are masked in PostGIS-built JSON afterwards, so the masking is the one of
    :mod:`gis.personal`; the collection says ``personal_data: full | masked``.
    """
    if limit < 1 or offset < 0:
        raise Invalid("limit must be ≥ 1 and offset ≥ 0", limit=limit, offset=offset)
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
    full = reveals(viewer)
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
