"""What every needs module shares: the vocabularies, a taker's reference, the one distance
function, the SQL that places a need in a scope, and how a resident is shown to a viewer.

A **taker** is one of three kinds, written ``unit:CODE`` (a paired unit, 结对单位),
``member:CODE`` (a party member registered with a community, 双报到) or ``team:CODE`` (a volunteer
team). Needs live in the community whose base unit holds their point.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from gis.errors import Invalid
from gis.labels import NEED_KINDS
from gis.personal import mask_name, mask_phone
from gis.scope import ALL, Scope, SqlFilter

TakerKind = Literal["unit", "member", "team"]
TAKER_TABLES: dict[str, str] = {
    "unit": "paired_unit",
    "member": "party_member",
    "team": "volunteer_team",
}
KINDS = tuple(NEED_KINDS)
#: Needs still waiting for someone: counted as open (and overdue past their day).
OPEN_STATUSES = ("open", "dispatched", "accepted")
_CODE = re.compile(r"[0-9A-Za-z_-]{1,32}")


def distance_sql(a: str, b: str) -> str:
    """Metres between two geometries (EPSG:4326): straight line on the spheroid, in PostGIS.

    The one place a distance is defined for matching: walking distance over a street network
    (pgRouting) replaces this expression, and nothing else has to change.
    """
    return f"ST_Distance(({a})::geography, ({b})::geography)"


@dataclass(frozen=True)
class TakerRef:
    """Who takes an order: ``kind`` and ``code`` (a unit's, a member's or a team's)."""

    kind: TakerKind
    code: str

    @classmethod
    def parse(cls, text: str) -> TakerRef:
        kind, _, code = text.strip().partition(":")
        if kind not in TAKER_TABLES or not _CODE.fullmatch(code):
            raise Invalid(
                f"接单方的写法为 unit:代码、member:代码 或 team:代码，而不是 {text!r} ("
                f"a taker is written unit:CODE, member:CODE or team:CODE, not {text!r})",
                taker=text,
            )
        return cls(kind, code)  # type: ignore[arg-type]  # checked just above

    def __str__(self) -> str:
        return f"{self.kind}:{self.code}"


def check_kind(kind: str, what: str = "kind") -> str:
    if kind not in NEED_KINDS:
        raise Invalid(
            f"未知的需求类别 {kind!r}：可选 {', '.join(KINDS)} ("
            f"unknown {what} {kind!r}: one of {', '.join(KINDS)})",
            **{what: kind},
        )
    return kind


def check_skills(skills: list[str]) -> list[str]:
    for skill in skills:
        check_kind(skill, "skill")
    return sorted(set(skills))


def need_scope_sql(scope: Scope, need: str = "n", community: str = "c") -> SqlFilter:
    """Needs (alias ``need``, its community joined as ``community``) a scope reaches; a grid
    scope reaches the needs placed in its grid."""
    if scope.is_everything:
        return ALL
    if scope.level == "grid":
        grid = scope.grid_sql("sg")
        return SqlFilter(
            f"{need}.grid_id IN (SELECT sg.id FROM grid sg WHERE {grid.sql})", grid.params
        )
    return scope.filter_sql(f"{community}.code")


def shown(name: str, phone: str, full: bool) -> tuple[str, str]:
    """A requester's name and phone as a viewer sees them (masked unless ``full``)."""
    if full:
        return name, phone
    return mask_name(name) or "", mask_phone(phone) or ""
