"""Incident categories and the four admission lists (四张清单), read from the database.

The rows are seeded by migration 0004 as the city we model publishes them and are the county's to
edit: each category names the department it is routed to and its deadlines (hours to sign for it,
hours to handle it, both counted from dispatch). The lists are basic tasks, assisted tasks,
department services, and the negative list: the 12 items a grid worker may refuse; an incident of
a category on the negative list skips the grid and goes straight to its department.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis.errors import Invalid

LIST_KINDS = ("basic", "assisted", "service", "negative")
LIST_NAMES = {
    "basic": "基础任务清单 Basic tasks",
    "assisted": "协助任务清单 Assisted tasks",
    "service": "部门服务事项清单 Department services",
    "negative": "负面清单 Negative list (grid workers may refuse)",
}


@dataclass(frozen=True)
class Category:
    code: str
    name_en: str
    department: str
    service_code: str
    sign_hours: float
    handle_hours: float
    # The negative-list item naming this category, if any: (title, reason).
    negative: tuple[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name_en": self.name_en,
            "department": self.department,
            "service_code": self.service_code,
            "sign_hours": self.sign_hours,
            "handle_hours": self.handle_hours,
            "negative_list": self.negative is not None,
            "negative_reason": self.negative[1] if self.negative else None,
        }


_SELECT = """
    SELECT c.code, c.name_en, c.department, c.service_code, c.sign_hours, c.handle_hours,
           n.title AS negative_title, n.reason AS negative_reason
    FROM incident_category c
    LEFT JOIN LATERAL (
        SELECT title, reason FROM admission_item a
        WHERE a.kind = 'negative' AND a.category = c.code ORDER BY a.position LIMIT 1
    ) n ON true
"""


def _category(row: Any) -> Category:
    negative = None
    if row.negative_title is not None:
        negative = (row.negative_title, row.negative_reason or "")
    return Category(
        row.code,
        row.name_en,
        row.department,
        row.service_code,
        float(row.sign_hours),
        float(row.handle_hours),
        negative,
    )


def categories(conn: Connection) -> list[Category]:
    return [_category(r) for r in conn.execute(text(_SELECT + " ORDER BY c.code"))]


def get_category(conn: Connection, code: str) -> Category:
    row = conn.execute(text(_SELECT + " WHERE c.code = :code"), {"code": code}).first()
    if row is None:
        known = ", ".join(c.code for c in categories(conn))
        raise Invalid(
            f"未知的事件类别 {code!r}；可选：{known} ("
            f"unknown incident category {code!r}; known: {known})",
            category=code,
        )
    return _category(row)


def by_service_code(conn: Connection, service_code: str) -> Category:
    row = conn.execute(text(_SELECT + " WHERE c.service_code = :s"), {"s": service_code}).first()
    if row is None:
        raise Invalid(
            f"未知的服务代码 {service_code!r} (unknown service_code {service_code!r})",
            service_code=service_code,
        )
    return _category(row)


@dataclass(frozen=True)
class AdmissionEntry:
    """One item of an admission list: a task, a service, or what grid workers may refuse."""

    kind: str
    position: int
    title: str
    category: str | None
    department: str | None
    reason: str | None


@dataclass(frozen=True)
class AdmissionList:
    kind: str
    name: str
    items: tuple[AdmissionEntry, ...]


def admission_lists(conn: Connection) -> list[AdmissionList]:
    """The four lists, each with its items in order."""
    rows = conn.execute(
        text(
            "SELECT kind, position, title, category, department, reason FROM admission_item "
            "ORDER BY kind, position"
        )
    ).mappings()
    items: dict[str, list[AdmissionEntry]] = {kind: [] for kind in LIST_KINDS}
    for row in rows:
        items[row["kind"]].append(AdmissionEntry(**row))
    return [AdmissionList(kind, LIST_NAMES[kind], tuple(items[kind])) for kind in LIST_KINDS]
