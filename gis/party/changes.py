"""Giving members roles, ending them, handing over and sending cadres down (all audited).

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
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from gis import audit
from gis.access import Access
from gis.accounts import Permission
from gis.errors import Conflict, Forbidden, IllegalTransition, Invalid, NotFound
from gis.party.assignments import Assignment, get_assignment
from gis.party.common import (
    BUILDING_ROLES,
    EXCLUSIVE_ROLES,
    ROLE_LABELS,
    ROLE_TARGET,
    TARGET_JOINS,
    PartyRole,
    Target,
    check_period,
    target_scope_sql,
)
from gis.party.targets import (
    Resolved,
    buildings_led,
    holder_text,
    member_row,
    overlapping,
    resolve_target,
)

log = logging.getLogger(__name__)
#: What a target kind is called in a message.
TARGET_ZH = {"grid": "网格", "building": "楼栋", "entrance": "单元"}


def assign(
    conn: Connection,
    *,
    access: Access,
    member: str,
    role: PartyRole,
    target: Target,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    max_buildings: int,
    replace: bool = False,
) -> Assignment:
    """Give ``member`` a role over ``target`` for a period (audited as ``assignment.create``).

    With ``replace``, the current holder of an exclusive role (a grid, building or unit leader
    whose period started before ``starts_on``) is ended the day before, in the same
    transaction: the usual hand-over. Otherwise a holder in an overlapping period is a
    :class:`Conflict` naming them.
    """
    access.require(Permission.MANAGE_ASSIGNMENTS)
    scope = access.scope
    role = PartyRole(role)
    if ROLE_TARGET[role] != target.kind:
        raise Invalid(
            f"{ROLE_LABELS[role]}应分配到"
            f"{TARGET_ZH[ROLE_TARGET[role]]}，而不是"
            f"{TARGET_ZH.get(target.kind, target.kind)} ("
            f"a {role.value} is assigned to a {ROLE_TARGET[role]}, not a {target.kind})",
            role=role.value,
            target=str(target),
        )
    check_period(starts_on, ends_on)
    resolved = resolve_target(conn, target, scope)
    who = member_row(conn, member, scope)
    period = Period(starts_on, ends_on)
    if role in EXCLUSIVE_ROLES:
        _hand_over(conn, role, target, resolved, who, period, replace, access=access)
    _check_member(conn, role, target, resolved, who, period, max_buildings)
    new_id = _insert(conn, role, target, resolved, who, period)
    audit.record(
        conn,
        access.actor,
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
    return get_assignment(conn, new_id, access=access)


@dataclass(frozen=True)
class Period:
    starts_on: dt.date
    ends_on: dt.date | None


def _hand_over(
    conn: Connection,
    role: PartyRole,
    target: Target,
    resolved: Resolved,
    who: Any,
    period: Period,
    replace: bool,
    *,
    access: Access,
) -> None:
    """An exclusive role's holder in the period ends the day before (``replace``) or refuses."""
    starts_on, ends_on = period.starts_on, period.ends_on
    cond = f"a.{resolved.column} = :target AND a.role = :role"
    params = {"target": resolved.id, "role": role.value}
    holder = overlapping(conn, cond, params, starts_on, ends_on)
    if holder is not None and replace and holder.starts_on < starts_on and holder.ends_on is None:
        if holder.member_code == who.code:
            raise Conflict(
                f"{who.code} 在该期间已担任此职务 ("
                f"{who.code} already holds this role in that period)"
            )
        _end(conn, holder.id, starts_on - dt.timedelta(days=1), access=access)
        holder = overlapping(conn, cond, params, starts_on, ends_on)
    if holder is not None:
        raise Conflict(
            f"{target} 在该期间已有{ROLE_LABELS[role]}："
            f"{holder_text(holder)}；请先结束该任职、改在其后开始，或"
            "用 replace 交接 ("
            f"{target} already has a {ROLE_LABELS[role]} ({role.value}) in that period: "
            f"{holder_text(holder)}; end that assignment first, start after it, "
            "or hand over with replace)",
            holder=holder.member_code,
            holder_assignment=holder.id,
        )


def _check_member(
    conn: Connection,
    role: PartyRole,
    target: Target,
    resolved: Resolved,
    who: Any,
    period: Period,
    max_buildings: int,
) -> None:
    """A member leads one grid at a time, is sent to a grid once, leads a capped number of
    buildings."""
    starts_on, ends_on = period.starts_on, period.ends_on
    if role is PartyRole.GRID_LEADER:
        other = overlapping(
            conn, "a.member_id = :m AND a.role = 'grid_leader'", {"m": who.id}, starts_on, ends_on
        )
        if other is not None:
            raise Conflict(
                f"{who.code} 在该期间已担任网格长（任职记录 {other.id}，自"
                f" {other.starts_on} 起）：一名党员同一时间只能担任一个网"
                "格的网格长 ("
                f"{who.code} already leads a grid in that period (assignment {other.id}, "
                f"from {other.starts_on}): a member leads one grid at a time)",
                holder_assignment=other.id,
            )
    if role is PartyRole.CADRE:
        again = overlapping(
            conn,
            "a.member_id = :m AND a.grid_id = :g AND a.role = 'cadre'",
            {"m": who.id, "g": resolved.id},
            starts_on,
            ends_on,
        )
        if again is not None:
            raise Conflict(
                f"{who.code} 在该期间已下沉到 {target}（任职记录 "
                f"{again.id}） ("
                f"{who.code} is already sent down to {target} in that period "
                f"(assignment {again.id}))",
                holder_assignment=again.id,
            )
    if role.value in BUILDING_ROLES:
        led = buildings_led(conn, who.id, starts_on, ends_on, besides=resolved.building_id)
        if led >= max_buildings:
            raise Conflict(
                f"{who.code} 在该期间已担任 {led} 栋楼的楼栋长，已达上限 ("
                f"{who.code} already leads {led} building(s) in that period, the most a member "
                f"may lead (GRIDMAP_PARTY_MAX_BUILDINGS={max_buildings}))",
                member=who.code,
                buildings_led=led,
            )


def _insert(
    conn: Connection,
    role: PartyRole,
    target: Target,
    resolved: Resolved,
    who: Any,
    period: Period,
) -> int:
    try:
        with conn.begin_nested():
            return int(
                conn.execute(
                    text(
                        f"INSERT INTO assignment (member_id, role, {resolved.column}, "
                        "starts_on, ends_on, organisation_id) VALUES (:m, :role, :target, "
                        ":starts_on, :ends_on, :org) RETURNING id"
                    ),
                    {
                        "m": who.id,
                        "role": role.value,
                        "target": resolved.id,
                        "starts_on": period.starts_on,
                        "ends_on": period.ends_on,
                        "org": who.organisation_id,
                    },
                ).scalar_one()
            )
    except IntegrityError as exc:  # a writer that did not lock first: the constraint holds
        rule = getattr(getattr(exc.orig, "diag", None), "constraint_name", None) or "a rule"
        raise Conflict(
            f"{target} 在该期间不能接受此{ROLE_LABELS[role]}（{rule} "
            "规则不允许） ("
            f"{target} cannot take this {role.value} in that period ({rule} refused it))",
            constraint=str(rule),
        ) from exc


def _end(
    conn: Connection, assignment_id: int, ends_on: dt.date, *, access: Access
) -> dict[str, Any]:
    scope = access.scope
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
        raise NotFound(
            f"没有任职记录 {assignment_id} (no assignment {assignment_id})",
            assignment=assignment_id,
        )
    if not row.reached:
        raise Forbidden(
            f"任职记录 {assignment_id} 不在您的权限范围（{scope}）内 ("
            f"assignment {assignment_id} is outside your scope ({scope}))"
        )
    if row.ends_on is not None:
        raise IllegalTransition(
            f"任职记录 {assignment_id} 已于 {row.ends_on} 结束 ("
            f"assignment {assignment_id} already ended on {row.ends_on})",
            assignment=assignment_id,
        )
    if ends_on < row.starts_on:
        raise Invalid(
            f"任职记录 {assignment_id} 从 {row.starts_on} 开始：结束日"
            "期不能早于此日 ("
            f"assignment {assignment_id} starts on {row.starts_on}: it cannot end before that)",
            assignment=assignment_id,
        )
    conn.execute(
        text("UPDATE assignment SET ends_on = :e WHERE id = :id"),
        {"e": ends_on, "id": assignment_id},
    )
    audit.record(
        conn, access.actor, "assignment.end", "assignment", assignment_id, {"ends_on": None},
        {"ends_on": ends_on},
    )  # fmt: skip
    return {"id": assignment_id, "ends_on": ends_on.isoformat()}


def end_assignment(
    conn: Connection, assignment_id: int, ends_on: dt.date, *, access: Access
) -> Assignment:
    """End an assignment on ``ends_on`` (its last day; audited as ``assignment.end``).

    The row stays: the history of a target is its assignments, ended or not.
    """
    access.require(Permission.MANAGE_ASSIGNMENTS)
    _end(conn, assignment_id, ends_on, access=access)
    return get_assignment(conn, assignment_id, access=access)


def send_cadres(
    conn: Connection,
    *,
    access: Access,
    organisation: str,
    grid: Target,
    members: Iterable[str],
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    max_buildings: int,
) -> list[Assignment]:
    """An organisation sends some of its members down to a grid (下沉), all or none.

    Every member must belong to ``organisation``.
    """
    access.require(Permission.MANAGE_ASSIGNMENTS)
    codes = list(dict.fromkeys(members))
    if not codes:
        raise Invalid("请至少指定一名下沉的党员 (name at least one member to send down)")
    org = conn.execute(
        text("SELECT id, name FROM party_organisation WHERE code = :c"), {"c": organisation}
    ).first()
    if org is None:
        raise NotFound(
            f"没有党组织 {organisation!r} (no party organisation {organisation!r})",
            organisation=organisation,
        )
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
            f"{', '.join(strangers[:5])} 不属于 {organisation}：党组织"
            "只能下沉本组织的党员 ("
            f"{', '.join(strangers[:5])} do not belong to {organisation}: an organisation sends "
            "its own members)",
            organisation=organisation,
        )
    return [
        assign(
            conn,
            member=code,
            role=PartyRole.CADRE,
            target=grid,
            starts_on=starts_on,
            ends_on=ends_on,
            max_buildings=max_buildings,
            access=access,
        )
        for code in codes
    ]
