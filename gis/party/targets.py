"""The targets and members of assignment changes, locked and placed in a scope, and the
periods that overlap: what :mod:`gis.party.changes` checks before it writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis.errors import Forbidden, NotFound
from gis.party.common import BUILDING_ROLES, Target, member_scope_sql
from gis.personal import mask_name
from gis.scope import Scope


@dataclass(frozen=True)
class Resolved:
    column: str  # grid_id | building_id | entrance_id
    id: int
    building_id: int | None  # the building (of a building or an entrance)


def resolve_target(conn: Connection, target: Target, scope: Scope) -> Resolved:
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
                f"图层 {target.layer!r} 中没有网格 {target.code!r} ("
                f"layer {target.layer!r} has no grid {target.code!r})",
                target=str(target),
            )
        if not row.inside:
            raise Forbidden(
                f"网格 {target.code} 不完全在您的权限范围（{scope}）内 ("
                f"grid {target.code} is not wholly inside your scope ({scope}))"
            )
        return Resolved("grid_id", row.id, None)
    units = scope.unit_sql("u")
    row = conn.execute(
        text(
            f"SELECT b.id, ({units.sql}) AS inside FROM building b "
            "JOIN base_unit u ON u.id = b.base_unit_id WHERE b.code = :code FOR UPDATE OF b"
        ),
        {"code": target.code} | units.params,
    ).first()
    if row is None:
        raise NotFound(
            f"没有楼栋 {target.code!r} (no building {target.code!r})", target=str(target)
        )
    if not row.inside:
        raise Forbidden(
            f"楼栋 {target.code} 不在您的权限范围（{scope}）内 ("
            f"building {target.code} is outside your scope ({scope}))"
        )
    if target.kind == "building":
        return Resolved("building_id", row.id, row.id)
    entrance = conn.execute(
        text("SELECT id FROM building_entrance WHERE building_id = :b AND number = :n"),
        {"b": row.id, "n": target.number},
    ).scalar()
    if entrance is None:
        raise NotFound(
            f"楼栋 {target.code} 没有 {target.number} 单元 ("
            f"building {target.code} has no entrance unit {target.number})",
            target=str(target),
        )
    return Resolved("entrance_id", int(entrance), row.id)


def member_row(conn: Connection, code: str, scope: Scope) -> Any:
    within = member_scope_sql(scope)
    row = conn.execute(
        text(
            f"SELECT m.id, m.code, m.name, m.organisation_id, ({within.sql}) AS inside "
            "FROM party_member m WHERE m.code = :code FOR UPDATE OF m"
        ),
        {"code": code} | within.params,
    ).first()
    if row is None:
        raise NotFound(f"没有党员 {code!r} (no party member {code!r})", member=code)
    if not row.inside:
        raise Forbidden(
            f"党员 {code} 不住在您的权限范围（{scope}）内 ("
            f"party member {code} does not live inside your scope ({scope}))"
        )
    return row


OVERLAP = (
    "a.starts_on <= coalesce(CAST(:ends_on AS date), 'infinity'::date) "
    "AND coalesce(a.ends_on, 'infinity'::date) >= :starts_on"
)


def holder_text(row: Any) -> str:
    until = f"to {row.ends_on}" if row.ends_on else "open-ended"
    # The name is masked: error messages can end up in logs.
    return (
        f"{row.member_code} {mask_name(row.member_name)} "
        f"(assignment {row.id}, from {row.starts_on} {until})"
    )


def overlapping(
    conn: Connection, condition: str, params: dict[str, Any], starts_on: dt.date, ends_on: Any
) -> Any:
    return conn.execute(
        text(
            "SELECT a.id, a.starts_on, a.ends_on, m.code AS member_code, m.name AS member_name "
            "FROM assignment a JOIN party_member m ON m.id = a.member_id "
            f"WHERE {condition} AND {OVERLAP} ORDER BY a.starts_on LIMIT 1"
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
                f"{OVERLAP} AND coalesce(a.building_id, e.building_id) "
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
