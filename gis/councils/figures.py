"""Councils held and settled per grid / community / street / county (议事协商 figures), one scan
in PostGIS, and their CSV/XLSX through the project's one spreadsheet writer.

=============  ===============================================================================
figure         definition
=============  ===============================================================================
raised         topics raised in the period (by ``raised_at``, China time)
held           of them, those that sat (议事会商 recorded: deliberated or settled)
settled        of them, those followed up and evaluated (落实问效 recorded)
open           of them, not settled yet
from_needs     of them, raised from a resident's need
from_incidents of them, escalated from an incident the 吹哨报到 loop could not close
rating         mean of the residents' ratings at follow-up (1–5); ``None`` without any
=============  ===============================================================================

An area is the council's: its grid (unified layer), or the community, street or county holding it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from sqlalchemy import Connection, text

from gis import audit, spreadsheet
from gis.access import Access
from gis.accounts import Permission
from gis.councils.common import council_scope_sql
from gis.errors import Invalid
from gis.needs.figures import FORMATS, Period, level
from gis.personal import ExportFile


@dataclass(frozen=True)
class CouncilFigures:
    key: str | None
    name: str | None
    raised: int
    held: int
    settled: int
    open: int
    from_needs: int
    from_incidents: int
    rating: float | None


HEADINGS = ["区域编码", "区域名称", "议题数", "已会商", "已办结", "未办结", "来自需求",
            "来自事件", "平均评分"]  # fmt: skip


def councils_by_area(
    conn: Connection, by: str, period: Period, *, access: Access
) -> list[CouncilFigures]:
    """Figures per area of level ``by``, most topics first (see the module doc)."""
    access.require(Permission.VIEW_MAP)
    key, name, joins = level(by)
    joins = joins.replace("n.grid_id", "k.grid_id")
    seen = council_scope_sql(access.scope)
    start, end = period.instants()
    rows = conn.execute(
        text(
            f"""SELECT {key} AS key, min({name}) AS name, count(*) AS raised,
                count(*) FILTER (WHERE k.status IN ('deliberated', 'settled')) AS held,
                count(*) FILTER (WHERE k.status = 'settled') AS settled,
                count(*) FILTER (WHERE k.status <> 'settled') AS open,
                count(*) FILTER (WHERE k.origin = 'need') AS from_needs,
                count(*) FILTER (WHERE k.origin = 'incident') AS from_incidents,
                avg(k.rating) AS rating
            FROM council k JOIN community c ON c.id = k.community_id {joins}
            WHERE ({seen.sql}) AND k.raised_at >= :start AND k.raised_at < :end
            GROUP BY {key} ORDER BY raised DESC, key NULLS LAST"""
        ),
        seen.params | {"start": start, "end": end},
    )
    return [
        CouncilFigures(
            key=r.key, name=r.name, raised=r.raised, held=r.held, settled=r.settled, open=r.open,
            from_needs=r.from_needs, from_incidents=r.from_incidents,
            rating=None if r.rating is None else round(float(r.rating), 2),
        )
        for r in rows
    ]  # fmt: skip


def export_councils(
    conn: Connection, by: str, period: Period, fmt: str, *, access: Access
) -> ExportFile:
    """The figures as CSV or XLSX (one sheet); no personal data in them."""
    if fmt not in FORMATS:
        raise Invalid(
            f"导出格式须为 {', '.join(FORMATS)} 之一，而不是 {fmt!r} (format is csv or xlsx)",
            format=fmt,
        )
    rows = [list(asdict(a).values()) for a in councils_by_area(conn, by, period, access=access)]
    if fmt == "csv":
        data = spreadsheet.csv_bytes(HEADINGS, rows)
    else:
        data = spreadsheet.xlsx_bytes([spreadsheet.Sheet("议事协商 Councils", HEADINGS, rows)])
    summary = {"format": fmt, "by": by, "rows": len(rows), "scope": str(access.scope)}
    audit.record(conn, access.actor, "councils.export", "council", None, None, summary)
    return ExportFile(
        data=data,
        media_type=FORMATS[fmt],
        filename=f"councils-{by}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.{fmt}",
        fields=[f.name for f in fields(CouncilFigures)],
        personal_fields=[],
        personal_data="masked",
        rows=len(rows),
    )
