"""Filling a form (一表同享): one row per grid or community of the caller's scope (or of an area
within it), one column per template column, for one month — a single SQL statement whose
columns are the catalogue's queries — and the XLSX in the department's layout: its title, the
department, scope and month above the header, the blank "needs a hand" columns marked, and a
last line saying how much came from the data (the 减负 measure).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis import audit, spreadsheet
from gis.access import Access
from gis.assessment.scores import parse_month
from gis.chinatime import china_time
from gis.forms.catalogue import FIELDS, RowKind, field_sql
from gis.forms.templates import Template
from gis.patrols.figures import china_midnight
from gis.personal import ExportFile
from gis.scope import SqlFilter

HAND = "（需人工填写）"
#: Characters a sheet's name may not hold (Excel's rule; openpyxl refuses them).
SHEET_UNSAFE = re.compile(r"[\\/*?:\[\]]")


@dataclass(frozen=True)
class Relief:
    """How much of a form the data fill (减负): columns from the data and by hand."""

    form: str
    title: str
    department: str
    columns: int
    from_data: list[str]
    by_hand: list[str]

    @property
    def share_from_data(self) -> float:
        return len(self.from_data) / self.columns if self.columns else 0.0


@dataclass(frozen=True)
class FilledForm:
    template: Template
    month: str
    scope: str
    rows: list[list[Any]]
    relief: Relief


def relief(template: Template) -> Relief:
    """Which columns of ``template`` the data fill and which need a hand."""
    return Relief(
        template.name,
        template.title,
        template.department,
        len(template.columns),
        [c.title for c in template.columns if c.from_data],
        [c.title for c in template.columns if not c.from_data],
    )


def _rows_sql(rows: RowKind, access: Access) -> tuple[str, SqlFilter]:
    if rows == "grid":
        reach = access.scope.grid_sql("g")
        sql = (
            "SELECT g.id, g.code, g.name, c.name AS community_name, s.name AS street_name "
            "FROM grid g JOIN grid_layer l ON l.id = g.layer_id AND l.code = 'unified' "
            "LEFT JOIN community c ON c.id = g.community_id "
            "LEFT JOIN street s ON s.code = left(g.code, 9) "
            f"WHERE {reach.sql}"
        )
        return sql, reach
    reach = access.scope.filter_sql("c.code")
    sql = (
        "SELECT c.id, c.code, c.name, c.name AS community_name, s.name AS street_name "
        f"FROM community c JOIN street s ON s.id = c.street_id WHERE {reach.sql}"
    )
    return sql, reach


def fill_form(
    conn: Connection, template: Template, month: str, *, access: Access, now: dt.datetime
) -> FilledForm:
    """``template`` filled for every row of the caller's scope and ``month`` (``YYYY-MM``)."""
    first, last = parse_month(month, now=now)
    base, reach = _rows_sql(template.rows, access)
    params: dict[str, Any] = reach.params | {
        "start": china_midnight(first),
        "stop": china_midnight(last + dt.timedelta(days=1)),
    }
    exprs = []
    for n, column in enumerate(template.columns):
        if column.field is None:
            exprs.append("NULL")
            continue
        option = None
        if column.values:
            option = f"opt{n}"
            params[option] = list(column.values)
        exprs.append(field_sql(FIELDS[column.field], template.rows, option))
    select = ", ".join(f"{e} AS c{n}" for n, e in enumerate(exprs))
    found = conn.execute(text(f"SELECT {select} FROM ({base}) r ORDER BY r.code"), params).all()
    return FilledForm(
        template, month, str(access.scope), [list(r) for r in found], relief(template)
    )


def form_xlsx(
    conn: Connection, filled: FilledForm, *, access: Access, now: dt.datetime
) -> ExportFile:
    """The filled form as XLSX (through :mod:`gis.spreadsheet`), audited as ``forms.fill``."""
    t = filled.template
    r = filled.relief
    header = [c.title + ("" if c.from_data else HAND) for c in t.columns]
    preamble = [
        [t.title],
        [f"报送单位：{t.department}　范围：{filled.scope}　月份：{filled.month}　"
         f"生成：{china_time(now)}（Gridmap 一表同享）"],
    ]  # fmt: skip
    footer = [
        [],
        [f"数据自动填写 {len(r.from_data)} 列 / 共 {r.columns} 列（{r.share_from_data:.0%}）；"
         f"需人工填写：{'、'.join(r.by_hand) or '无'}"],
    ]  # fmt: skip
    sheet = spreadsheet.Sheet(
        SHEET_UNSAFE.sub("_", t.title)[:31] or "表",
        header,
        [*filled.rows, *footer],
        widths=[max(10, min(30, 2 * len(h))) for h in header],
        preamble=preamble,
    )
    summary = {
        "form": t.name,
        "month": filled.month,
        "rows": len(filled.rows),
        "scope": filled.scope,
    }
    audit.record(conn, access.actor, "forms.fill", "form", t.name, None, summary)
    return ExportFile(
        data=spreadsheet.xlsx_bytes([sheet]),
        media_type=spreadsheet.XLSX_MEDIA,
        filename=f"form-{t.name}-{filled.month}.xlsx",
        fields=[c.field or "hand" for c in t.columns],
        personal_fields=[],
        personal_data="masked",
        rows=len(filled.rows),
    )
