"""The figures offices hand in: needs per grid / community / street / county (open, overdue,
done), and hours given per member, unit and team — one scan each in PostGIS, and their CSV/XLSX
through the project's one spreadsheet writer (which defuses formulas).

=========  ==========================================================================
figure     definition
=========  ==========================================================================
total      needs recorded in the period (by ``created_at``, China time)
open       awaiting dispatch, dispatched or accepted (not yet done), cancelled aside
overdue    open and past their day (``due_on`` before today, China time)
done       done or evaluated
cancelled  withdrawn by the community
hours      hours the takers reported on the needs done
rating     mean of the residents' ratings (1–5); ``None`` without any
=========  ==========================================================================

An area is the need's: its grid (unified layer), or the community, street or county holding it;
hours given are counted where the need was, per taker.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields
from typing import Literal

from sqlalchemy import Connection, text

from gis import audit, spreadsheet
from gis.access import Access
from gis.chinatime import CHINA
from gis.errors import Invalid
from gis.labels import TAKER_KINDS, label
from gis.needs.common import need_scope_sql, shown
from gis.personal import ExportFile

Level = Literal["grid", "community", "street", "district"]
#: Per level: the key, the name, and the joins (need ``n``, community ``c``).
LEVELS: dict[str, tuple[str, str, str]] = {
    "grid": ("g.code", "g.name", "LEFT JOIN grid g ON g.id = n.grid_id"),
    "community": ("c.code", "c.name", ""),
    "street": ("s.code", "s.name", "JOIN street s ON s.id = c.street_id"),
    "district": ("d.code", "d.name", "JOIN street s ON s.id = c.street_id "
                 "JOIN district d ON d.id = s.district_id"),
}  # fmt: skip
FORMATS = {"csv": spreadsheet.CSV_MEDIA, "xlsx": spreadsheet.XLSX_MEDIA}


@dataclass(frozen=True)
class AreaFigures:
    key: str | None
    name: str | None
    total: int
    open: int
    overdue: int
    done: int
    cancelled: int
    hours: float
    rating: float | None


@dataclass(frozen=True)
class TakerHours:
    area: str | None
    area_name: str | None
    taker: str
    kind_label: str
    name: str
    orders_done: int
    hours: float


@dataclass(frozen=True)
class Period:
    """Needs recorded from ``start`` to ``end`` (both days included, China time)."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise Invalid(
                f"期间的结束日期早于开始日期 (the period ends ({self.end}) before it starts)"
            )

    def instants(self) -> tuple[dt.datetime, dt.datetime]:
        """The period as China-time instants, the end exclusive: the first day's midnight and
        the midnight after the last day (the calendar's last day has none: its end instead)."""
        start = dt.datetime.combine(self.start, dt.time(), tzinfo=CHINA)
        if self.end == dt.date.max:
            return start, dt.datetime.combine(self.end, dt.time.max, tzinfo=CHINA)
        after = self.end + dt.timedelta(days=1)
        return start, dt.datetime.combine(after, dt.time(), tzinfo=CHINA)

    @classmethod
    def asked(cls, start: dt.date | None, end: dt.date | None, now: dt.datetime) -> Period:
        """The days a caller names, or the year up to ``end`` (today, China time, by default).
        A last day in the calendar's first year has no year before it: the period starts on
        its first day (``date.min - 1 day`` is an OverflowError)."""
        last = end or now.astimezone(CHINA).date()
        year = dt.timedelta(days=364)
        first = last - year if last - dt.date.min >= year else dt.date.min
        return cls(start or first, last)


def level(by: str) -> tuple[str, str, str]:
    """The key, name and joins of grouping level ``by``; an unknown level is refused."""
    if by not in LEVELS:
        raise Invalid(
            f"分组方式须为 {', '.join(LEVELS)} 之一，收到 {by!r} ("
            f"by must be one of {', '.join(LEVELS)}; got {by!r})",
            by=by,
        )
    return LEVELS[by]


def _where(access: Access, period: Period) -> tuple[str, dict[str, object]]:
    scope = need_scope_sql(access.scope)
    start, end = period.instants()
    sql = f"({scope.sql}) AND n.created_at >= :start AND n.created_at < :end"
    return sql, scope.params | {"start": start, "end": end}


def needs_by_area(
    conn: Connection, by: str, period: Period, *, access: Access, now: dt.datetime
) -> list[AreaFigures]:
    """Figures per area of level ``by``, most needs first (see the module doc)."""
    key, name, joins = level(by)
    where, params = _where(access, period)
    rows = conn.execute(
        text(
            f"""SELECT {key} AS key, min({name}) AS name, count(*) AS total,
                count(*) FILTER (WHERE n.status IN ('open', 'dispatched', 'accepted')) AS open,
                count(*) FILTER (WHERE n.status IN ('open', 'dispatched', 'accepted')
                                   AND n.due_on < :today) AS overdue,
                count(*) FILTER (WHERE n.status IN ('done', 'evaluated')) AS done,
                count(*) FILTER (WHERE n.status = 'cancelled') AS cancelled,
                coalesce(sum(o.hours_given), 0) AS hours, avg(o.rating) AS rating
            FROM need n JOIN community c ON c.id = n.community_id {joins}
            LEFT JOIN need_order o ON o.need_id = n.id AND o.state = 'done'
            WHERE {where} GROUP BY {key} ORDER BY total DESC, key NULLS LAST"""
        ),
        params | {"today": now.astimezone(CHINA).date()},
    )
    return [
        AreaFigures(
            key=r.key, name=r.name, total=r.total, open=r.open, overdue=r.overdue, done=r.done,
            cancelled=r.cancelled, hours=round(float(r.hours), 1),
            rating=None if r.rating is None else round(float(r.rating), 2),
        )
        for r in rows
    ]  # fmt: skip


def hours_given(
    conn: Connection, by: str, period: Period, *, access: Access, limit: int | None = None
) -> list[TakerHours]:
    """Hours each taker gave on the needs done in each area of level ``by``, most first — the
    ``limit`` first, or all (an export): a county by grid has some 30,000 (taker, grid) pairs.
    Aggregated by taker id first and named after."""
    key, name, joins = level(by)
    where, params = _where(access, period)
    rows = conn.execute(
        text(
            f"""WITH h AS (
                SELECT {key} AS key, min({name}) AS name, o.taker_kind,
                       coalesce(o.unit_id, o.member_id, o.team_id) AS taker_id,
                       count(*) AS orders, sum(o.hours_given) AS hours
                FROM need n JOIN community c ON c.id = n.community_id {joins}
                JOIN need_order o ON o.need_id = n.id AND o.state = 'done'
                WHERE {where} GROUP BY 1, 3, 4)
            SELECT h.*, coalesce(pu.code, pm.code, vt.code) AS code,
                   coalesce(pu.name, pm.name, vt.name) AS taker_name
            FROM h
            LEFT JOIN paired_unit pu ON h.taker_kind = 'unit' AND pu.id = h.taker_id
            LEFT JOIN party_member pm ON h.taker_kind = 'member' AND pm.id = h.taker_id
            LEFT JOIN volunteer_team vt ON h.taker_kind = 'team' AND vt.id = h.taker_id
            ORDER BY h.hours DESC, h.key, code LIMIT :limit"""
        ),
        params | {"limit": limit},
    )
    return [
        TakerHours(
            area=r.key, area_name=r.name, taker=f"{r.taker_kind}:{r.code}",
            kind_label=label(TAKER_KINDS, r.taker_kind),
            name=shown(r.taker_name, "", access.personal_data or r.taker_kind != "member")[0],
            orders_done=r.orders, hours=round(float(r.hours or 0), 1),
        )
        for r in rows
    ]  # fmt: skip


AREA_HEADINGS = ["区域编码", "区域名称", "需求总数", "未办结", "已逾期", "已办结", "已撤销",
                 "服务时长(小时)", "平均评分"]  # fmt: skip
HOURS_HEADINGS = ["区域编码", "区域名称", "接单方", "类型", "名称", "办结单数", "服务时长(小时)"]


def export_figures(
    conn: Connection,
    by: str,
    period: Period,
    fmt: str,
    *,
    access: Access,
    now: dt.datetime,
) -> ExportFile:
    """The figures as CSV (needs per area) or XLSX (that, and a sheet of hours per taker)."""
    if fmt not in FORMATS:
        raise Invalid(
            f"导出格式须为 {', '.join(FORMATS)} 之一，而不是 {fmt!r} (format is csv or xlsx)",
            format=fmt,
        )
    areas = [
        list(asdict(a).values()) for a in needs_by_area(conn, by, period, access=access, now=now)
    ]
    hours = [list(asdict(h).values()) for h in hours_given(conn, by, period, access=access)]
    if fmt == "csv":
        data = spreadsheet.csv_bytes(AREA_HEADINGS, areas)
    else:
        data = spreadsheet.xlsx_bytes(
            [
                spreadsheet.Sheet("需求 Needs", AREA_HEADINGS, areas),
                spreadsheet.Sheet("服务时长 Hours", HOURS_HEADINGS, hours),
            ]
        )
    personal = "full" if access.personal_data else "masked"
    summary = {"format": fmt, "by": by, "rows": len(areas), "scope": str(access.scope)}
    audit.record(conn, access.actor, "needs.export", "need", None, None, summary)
    return ExportFile(
        data=data,
        media_type=FORMATS[fmt],
        filename=f"needs-{by}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.{fmt}",
        fields=[f.name for f in fields(AreaFigures)],
        personal_fields=["name"] if fmt == "xlsx" else [],
        personal_data=personal,
        rows=len(areas),
    )
