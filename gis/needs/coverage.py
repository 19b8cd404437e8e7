"""Coverage of skills by community: for each kind of need, who in the community could take it
(paired units, registered members, volunteer teams offering that skill today) against the needs
of that kind asked in the period — so that an office sees where residents ask for 助残 and nobody
offers it, before the needs pile up.

A taker's hours per month are counted under every skill it offers (it could spend them on any),
so hours do not add up across kinds. A grid scope holds no whole community: it sees nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields

from sqlalchemy import Connection, text

from gis import audit, spreadsheet
from gis.access import Access
from gis.chinatime import CHINA
from gis.errors import Invalid
from gis.labels import NEED_KINDS, label
from gis.needs.figures import FORMATS, Period
from gis.personal import ExportFile


@dataclass(frozen=True)
class SkillCoverage:
    community: str
    community_name: str
    kind: str
    kind_label: str
    takers: int  # active takers offering the skill today
    hours_offered: float  # their hours per month (each taker under each skill it offers)
    asked: int  # needs of this kind recorded in the period
    open: int  # of those, not yet done (nor cancelled)
    covered: bool  # someone offers it


_SQL = """
WITH takers AS (
    SELECT p.community_id, pu.skills, pu.hours_per_month
    FROM unit_pairing p JOIN paired_unit pu ON pu.id = p.unit_id
    WHERE p.starts_on <= :on AND (p.ends_on IS NULL OR p.ends_on >= :on)
    UNION ALL
    SELECT r.community_id, r.skills, r.hours_per_month FROM member_registration r
    WHERE r.starts_on <= :on AND (r.ends_on IS NULL OR r.ends_on >= :on)
    UNION ALL
    SELECT t.community_id, t.skills, t.hours_per_month FROM volunteer_team t
),
offered AS (
    SELECT t.community_id, s.kind, count(*) AS takers,
           coalesce(sum(t.hours_per_month), 0) AS hours
    FROM takers t CROSS JOIN LATERAL unnest(t.skills) AS s(kind)
    GROUP BY 1, 2
),
asked AS (
    SELECT n.community_id, n.kind, count(*) AS asked,
           count(*) FILTER (WHERE n.status IN ('open', 'dispatched', 'accepted')) AS open
    FROM need n WHERE n.created_at >= :start AND n.created_at < :end
    GROUP BY 1, 2
)
SELECT c.code AS community, c.name AS community_name, k.kind,
       coalesce(o.takers, 0) AS takers, coalesce(o.hours, 0) AS hours,
       coalesce(a.asked, 0) AS asked, coalesce(a.open, 0) AS open
FROM offered o FULL JOIN asked a ON a.community_id = o.community_id AND a.kind = o.kind
CROSS JOIN LATERAL (SELECT coalesce(o.community_id, a.community_id) AS community_id,
                           coalesce(o.kind, a.kind) AS kind) k
JOIN community c ON c.id = k.community_id
WHERE k.kind = ANY(:kinds) AND {scope}
ORDER BY (coalesce(o.takers, 0) = 0 AND coalesce(a.asked, 0) > 0) DESC,
         coalesce(a.open, 0) DESC, c.code, k.kind
"""


def skill_coverage(
    conn: Connection, period: Period, *, access: Access, now: dt.datetime
) -> list[SkillCoverage]:
    """One row per community and kind that someone offers or asks for; gaps (asked, nobody
    offering) first, then the most open needs."""
    scope = access.scope.filter_sql("c.code")
    start, end = period.instants()
    rows = conn.execute(
        text(_SQL.format(scope=scope.sql)),
        scope.params
        | {"on": now.astimezone(CHINA).date(), "start": start, "end": end,
           "kinds": list(NEED_KINDS)},
    )  # fmt: skip
    return [
        SkillCoverage(
            community=r.community, community_name=r.community_name, kind=r.kind,
            kind_label=label(NEED_KINDS, r.kind), takers=r.takers,
            hours_offered=round(float(r.hours), 1), asked=r.asked, open=r.open,
            covered=r.takers > 0,
        )
        for r in rows
    ]  # fmt: skip


HEADINGS = ["社区编码", "社区名称", "需求类别", "类别名称", "可接单方", "每月可服务时长(小时)",
            "期间需求数", "未办结", "有人可接"]  # fmt: skip


def export_coverage(
    conn: Connection, period: Period, fmt: str, *, access: Access, now: dt.datetime
) -> ExportFile:
    """The coverage table as CSV or XLSX, through the one spreadsheet writer."""
    if fmt not in FORMATS:
        raise Invalid(
            f"导出格式须为 {', '.join(FORMATS)} 之一，而不是 {fmt!r} (format is csv or xlsx)",
            format=fmt,
        )
    found = skill_coverage(conn, period, access=access, now=now)
    rows = [[*list(asdict(c).values())[:-1], "是" if c.covered else "否"] for c in found]
    if fmt == "csv":
        data = spreadsheet.csv_bytes(HEADINGS, rows)
    else:
        data = spreadsheet.xlsx_bytes([spreadsheet.Sheet("技能覆盖 Coverage", HEADINGS, rows)])
    summary = {"format": fmt, "rows": len(rows), "scope": str(access.scope)}
    audit.record(conn, access.actor, "needs.coverage_export", "need", None, None, summary)
    return ExportFile(
        data=data,
        media_type=FORMATS[fmt],
        filename=f"skill-coverage-{period.start:%Y%m%d}-{period.end:%Y%m%d}.{fmt}",
        fields=[f.name for f in fields(SkillCoverage)],
        personal_fields=[],
        personal_data="masked",  # no personal field at all, as in the councils figures
        rows=len(rows),
    )
