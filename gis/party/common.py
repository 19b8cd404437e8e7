"""What every party module shares: the roles, a target, the SQL that places an assignment in a
scope, and how a person is shown to a viewer (in full, or masked).

An assignment is over one **target**: a grid of a layer (grid leaders and cadres sent down), a
building (building leaders) or an entrance unit of a building (unit leaders). Its period is
``[starts_on, ends_on]`` with both days included; ``ends_on`` NULL means still serving.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from gis.chinatime import china_today
from gis.errors import Invalid
from gis.labels import ASSIGNMENT_ROLES
from gis.personal import mask_name, mask_phone
from gis.scope import ALL, DEFAULT_GRID_LAYER, Scope, SqlFilter


class PartyRole(StrEnum):
    GRID_LEADER = "grid_leader"  # 网格长
    BUILDING_LEADER = "building_leader"  # 楼栋长
    UNIT_LEADER = "unit_leader"  # 单元长
    CADRE = "cadre"  # 下沉干部: a cadre sent down to a grid by their organisation


ROLE_LABELS: dict[PartyRole, str] = {role: ASSIGNMENT_ROLES[role.value] for role in PartyRole}
TargetKind = Literal["grid", "building", "entrance"]
#: The kind of target each role is over.
ROLE_TARGET: dict[PartyRole, TargetKind] = {
    PartyRole.GRID_LEADER: "grid",
    PartyRole.CADRE: "grid",
    PartyRole.BUILDING_LEADER: "building",
    PartyRole.UNIT_LEADER: "entrance",
}
#: Roles of which a target has one holder at a time (a grid takes any number of cadres).
EXCLUSIVE_ROLES = frozenset(
    {PartyRole.GRID_LEADER, PartyRole.BUILDING_LEADER, PartyRole.UNIT_LEADER}
)
#: Roles that count towards the buildings a member leads (the GRIDMAP_PARTY_MAX_BUILDINGS cap).
BUILDING_ROLES = (PartyRole.BUILDING_LEADER.value, PartyRole.UNIT_LEADER.value)

_CODE = re.compile(r"[0-9A-Za-z_-]{1,64}")


def parse_role(value: str) -> PartyRole:
    try:
        return PartyRole(value)
    except ValueError:
        raise Invalid(
            f"未知的职务 {value!r}：可选 "
            f"{', '.join(r.value for r in PartyRole)} ("
            f"unknown role {value!r}: one of {', '.join(r.value for r in PartyRole)})",
            role=value,
        ) from None


@dataclass(frozen=True)
class Target:
    """What an assignment is over; written ``grid:unified/CODE``, ``building:CODE`` or
    ``entrance:BUILDING/NUMBER``."""

    kind: TargetKind
    code: str  # the grid's or the building's code
    layer: str = DEFAULT_GRID_LAYER  # grids only
    number: int | None = None  # entrances only

    def __post_init__(self) -> None:
        if self.kind not in ("grid", "building", "entrance"):
            raise Invalid(
                f"目标须为网格、楼栋或单元，而不是 {self.kind!r} ("
                f"a target is a grid, a building or an entrance, not {self.kind!r})"
            )
        if not _CODE.fullmatch(self.code) or not _CODE.fullmatch(self.layer):
            raise Invalid(
                f"代码无效：{self.code!r} (not a valid code: {self.code!r})", code=self.code
            )
        if (self.kind == "entrance") != (self.number is not None):
            raise Invalid(
                "单元目标须写明所在楼栋和单元号（1、2、…） ("
                "an entrance target names its building and its number (1, 2, …))"
            )
        if self.number is not None and not 1 <= self.number <= 999:
            raise Invalid(
                f"单元号须为 1 至 999，而不是 {self.number} ("
                f"an entrance number is 1 to 999, not {self.number})"
            )

    @classmethod
    def grid(cls, code: str, layer: str = DEFAULT_GRID_LAYER) -> Target:
        return cls("grid", code, layer)

    @classmethod
    def building(cls, code: str) -> Target:
        return cls("building", code)

    @classmethod
    def entrance(cls, building: str, number: int) -> Target:
        return cls("entrance", building, number=number)

    @classmethod
    def parse(cls, text: str) -> Target:
        kind, _, rest = text.strip().partition(":")
        if kind == "grid":
            layer, slash, code = rest.rpartition("/")
            return cls.grid(code, layer if slash else DEFAULT_GRID_LAYER)
        if kind == "building":
            return cls.building(rest)
        if kind == "entrance":
            building, _, number = rest.rpartition("/")
            if not number.isdigit():
                raise Invalid(
                    f"单元的写法为 entrance:楼栋/序号，而不是 {text!r} ("
                    f"an entrance is written entrance:BUILDING/NUMBER, not {text!r})"
                )
            return cls.entrance(building, int(number))
        raise Invalid(
            "目标的写法为 grid:图层/代码、building:代码 或 entrance:"
            f"代码/序号，而不是 {text!r} ("
            f"a target is written grid:LAYER/CODE, building:CODE or entrance:CODE/N, not {text!r})"
        )

    def __str__(self) -> str:
        if self.kind == "grid":
            return f"grid:{self.layer}/{self.code}"
        if self.kind == "entrance":
            return f"entrance:{self.code}/{self.number}"
        return f"building:{self.code}"


def check_period(starts_on: dt.date, ends_on: dt.date | None) -> None:
    if ends_on is not None and ends_on < starts_on:
        raise Invalid(
            f"期间的结束日期（{ends_on}）早于开始日期（{starts_on}） ("
            f"the period ends ({ends_on}) before it starts ({starts_on}))",
            starts_on=str(starts_on),
            ends_on=str(ends_on),
        )


# ----------------------------------------------------------------------------- SQL

#: Joins that give an assignment ``a`` its target: grid ``g``; building ``b`` (also an entrance's
#: building), its base unit ``u``; entrance ``e``.
TARGET_JOINS = """
    LEFT JOIN grid g ON g.id = a.grid_id
    LEFT JOIN building_entrance e ON e.id = a.entrance_id
    LEFT JOIN building b ON b.id = coalesce(a.building_id, e.building_id)
    LEFT JOIN base_unit u ON u.id = b.base_unit_id
"""
#: Current on ``:on`` (a date parameter).
CURRENT = "({a}.starts_on <= :on AND ({a}.ends_on IS NULL OR {a}.ends_on >= :on))"


def current(alias: str = "a") -> str:
    return CURRENT.format(a=alias)


def target_scope_sql(scope: Scope, *, entirely: bool = False) -> SqlFilter:
    """Assignments (joined with :data:`TARGET_JOINS`) whose target lies in the scope; with
    ``entirely``, a grid target only when the whole grid does (what a change needs)."""
    if scope.is_everything:
        return ALL
    grids = scope.grid_sql("g", entirely=entirely)
    units = scope.unit_sql("u")
    return SqlFilter(
        f"((g.id IS NOT NULL AND {grids.sql}) OR (b.id IS NOT NULL AND {units.sql}))",
        grids.params | units.params,
    )


def member_scope_sql(scope: Scope, alias: str = "m") -> SqlFilter:
    """Members (table alias ``alias``) a scope reaches: by home community; for a grid scope,
    those whose home lies in the grid."""
    if scope.is_everything:
        return ALL
    if scope.level == "grid":
        grid = scope.grid_sql("sg")
        return SqlFilter(
            f"EXISTS (SELECT 1 FROM grid sg WHERE {grid.sql} AND ST_Covers(sg.geom, {alias}.geom))",
            grid.params,
        )
    area = scope.filter_sql("mc.code")
    return SqlFilter(
        f"EXISTS (SELECT 1 FROM community mc WHERE mc.id = {alias}.community_id AND {area.sql})",
        area.params,
    )


# ----------------------------------------------------------------------------- people


def person(row: dict[str, Any] | None, full: bool) -> dict[str, Any] | None:
    """A member as shown to a viewer: ``name`` and ``phone`` masked unless ``full``."""
    if row is None or row.get("code") is None:
        return None
    out = dict(row)
    if not full:
        out["name"] = mask_name(out.get("name"))
        out["phone"] = mask_phone(out.get("phone"))
    out["masked"] = not full
    return out


def today() -> dt.date:
    """Assignment periods are dates in China Standard Time, whatever the server's zone is."""
    return china_today()
