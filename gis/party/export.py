"""Exports of assignments (CSV or XLSX) that say which fields they carry and whether the
personal ones are in full or masked.

A CSV says it in its file name and in the answer's headers (a CSV has no place for notes that
every reader skips); an XLSX also has a second sheet, 说明 About, listing every field, marking
the personal ones, and saying who exported what and when. Every export is in the audit log
(``assignment.export``), with the number of rows and whether names and phones were in full.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection

from gis import audit, spreadsheet
from gis.access import Access
from gis.chinatime import china_time
from gis.errors import Invalid
from gis.party.assignments import Assignment, AssignmentQuery, list_assignments
from gis.personal import PERSONAL_FIELDS, ExportFile

FORMATS = {"csv": spreadsheet.CSV_MEDIA, "xlsx": spreadsheet.XLSX_MEDIA}
#: (column, Chinese heading, what it holds)
FIELDS: list[tuple[str, str, str]] = [
    ("id", "编号", "assignment id"),
    ("role", "角色", "grid_leader, building_leader, unit_leader or cadre"),
    ("role_label", "角色名称", "网格长 / 楼栋长 / 单元长 / 下沉干部"),
    ("target_kind", "对象类型", "grid, building or entrance"),
    ("target_code", "对象编码", "grid or building code"),
    ("target_name", "对象名称", "grid or building name"),
    ("layer", "图层", "grid layer (grids only)"),
    ("entrance_number", "单元号", "entrance unit number (entrances only)"),
    ("member_code", "党员编号", "party member code"),
    ("name", "姓名", "member's name (personal data)"),
    ("phone", "电话", "member's phone number (personal data)"),
    ("organisation_code", "党组织编码", "organisation the member serves under"),
    ("organisation_name", "党组织", "organisation name"),
    ("starts_on", "开始日期", "first day of the period"),
    ("ends_on", "结束日期", "last day of the period (empty: still serving)"),
    ("active", "在任", "current on the day of the export"),
]
COLUMNS = [f[0] for f in FIELDS]
MAX_ROWS = 200_000


def _flat(item: Assignment) -> dict[str, Any]:
    target, member = item["target"], item["member"] or {}
    org: dict[str, Any] = dict(item["organisation"] or {})
    return {
        "id": item["id"],
        "role": item["role"],
        "role_label": item["role_label"],
        "target_kind": target["kind"],
        "target_code": target["code"],
        "target_name": target.get("name"),
        "layer": target.get("layer"),
        "entrance_number": target.get("number"),
        "member_code": member.get("code"),
        "name": member.get("name"),
        "phone": member.get("phone"),
        "organisation_code": org.get("code"),
        "organisation_name": org.get("name"),
        "starts_on": item["starts_on"],
        "ends_on": item["ends_on"],
        "active": item["active"],
    }


def export_assignments(
    conn: Connection,
    fmt: str,
    query: AssignmentQuery | None = None,
    *,
    access: Access,
) -> ExportFile:
    """The assignments ``query`` selects in the scope, as CSV (UTF-8 with BOM) or XLSX."""
    scope = access.scope
    if fmt not in FORMATS:
        raise Invalid(
            f"导出格式须为 {', '.join(FORMATS)} 之一，而不是 {fmt!r} ("
            f"export format is one of {', '.join(FORMATS)}, not {fmt!r})",
            format=fmt,
        )
    page = list_assignments(conn, query, limit=MAX_ROWS, access=access)
    if page["numberMatched"] > MAX_ROWS:
        raise Invalid(
            f"任职记录超过 {MAX_ROWS:,} 条：请缩小导出范围（职务、历史"
            "…） ("
            f"more than {MAX_ROWS:,} assignments: narrow the export (role, history…))"
        )
    rows = [_flat(item) for item in page["items"]]
    personal = page["personal_data"]
    personal_fields = [c for c in COLUMNS if c in PERSONAL_FIELDS]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    filename = f"assignments-{stamp}-{'personal' if personal == 'full' else 'masked'}.{fmt}"
    if fmt == "csv":
        data = spreadsheet.csv_bytes(COLUMNS, ([row[c] for c in COLUMNS] for row in rows))
    else:
        data = _xlsx(rows, personal, personal_fields, access=access)
    audit.record(
        conn,
        access.actor,
        "assignment.export",
        "assignment",
        None,
        None,
        {"format": fmt, "rows": len(rows), "personal_data": personal, "scope": str(scope)},
    )
    return ExportFile(data, FORMATS[fmt], filename, COLUMNS, personal_fields, personal, len(rows))


def _xlsx(
    rows: list[dict[str, Any]], personal: str, personal_fields: list[str], *, access: Access
) -> bytes:
    scope = access.scope
    shown = "完整 full" if personal == "full" else "已脱敏 masked"
    about: list[list[Any]] = [
        [name, zh, holds, shown if name in personal_fields else ""] for name, zh, holds in FIELDS
    ]
    about += [
        [],
        ["personal fields", ", ".join(personal_fields)],
        ["personal data", personal],
        ["exported by", access.name],
        ["scope", str(scope)],
        ["exported at (北京时间 China time)", china_time(dt.datetime.now(dt.UTC))],
        ["rows", len(rows)],
    ]
    return spreadsheet.xlsx_bytes(
        [
            spreadsheet.Sheet("assignments", COLUMNS, ([row[c] for c in COLUMNS] for row in rows)),
            spreadsheet.Sheet(
                "说明 About",
                ["字段 Field", "中文", "内容 Holds", "个人信息 Personal data"],
                about,
                freeze_header=False,
            ),
        ]
    )
