"""The figures a street command centre reads: per grid and per department, one scan in PostGIS.

=========================  ===================================================================
figure                     definition
=========================  ===================================================================
total / open / closed      problems reported (closed = evaluated and satisfied); a report merged
                           into another (gis.incidents.merging) is not a problem of its own
reports                    every report, merged ones included: how many reports problems drew
overdue                    open and past the deadline it still has to meet
on_time_sign_rate          signed by ``sign_due_at`` / signed (of the incidents with a deadline)
on_time_completion_rate    handled by ``due_at`` / handled (likewise)
rejection_rate             sent back by the department before signing (退回) / dispatched
send_back_rate             sent back to handling by a not-satisfied evaluation at least once /
                           evaluated at least once
satisfaction               satisfied evaluations / all evaluations (a not-satisfied one counts
                           once per send-back)
escalated                  escalated to the street after three send-backs
=========================  ===================================================================

A rate whose denominator is zero is ``None`` (no data), never 0 or 1.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.errors import Invalid
from gis.incidents.queries import Filters, _where
from gis.incidents.workflow import OVERDUE_SQL
from gis.infra.answers import remembered

GROUPS = {
    "grid": ("g.code", "g.name", "LEFT JOIN grid g ON g.id = i.grid_id"),
    "department": ("i.department", "i.department", ""),
    "community": ("c.code", "c.name", "LEFT JOIN community c ON c.id = i.community_id"),
    "category": ("i.category", "i.category", ""),
}

#: A merged report is one more report of its primary's problem, not one more problem: every
#: figure counts the problems (``P``), and ``reports`` counts every report they drew.
P = "i.merged_into_id IS NULL"
_COUNTS = f"""
    count(*) FILTER (WHERE {P}) AS total,
    count(*) AS reports,
    count(*) FILTER (WHERE {P} AND i.state <> 'evaluated') AS open,
    count(*) FILTER (WHERE {P} AND i.state = 'evaluated') AS closed,
    count(*) FILTER (WHERE {P} AND coalesce({OVERDUE_SQL}, false)) AS overdue,
    count(*) FILTER (WHERE {P} AND i.signed_at IS NOT NULL AND i.sign_due_at IS NOT NULL)
        AS signed,
    count(*) FILTER (WHERE {P} AND i.signed_at <= i.sign_due_at) AS signed_on_time,
    count(*) FILTER (WHERE {P} AND i.handled_at IS NOT NULL AND i.due_at IS NOT NULL)
        AS handled,
    count(*) FILTER (WHERE {P} AND i.handled_at <= i.due_at) AS handled_on_time,
    count(*) FILTER (WHERE {P} AND i.dispatched_at IS NOT NULL) AS dispatched,
    count(*) FILTER (WHERE {P} AND i.rejections > 0) AS rejected,
    count(*) FILTER (WHERE {P} AND i.send_backs > 0) AS sent_back,
    count(*) FILTER (WHERE {P} AND (i.evaluated_at IS NOT NULL OR i.send_backs > 0))
        AS evaluated,
    count(*) FILTER (WHERE {P} AND i.evaluated_at IS NOT NULL AND i.satisfied) AS satisfied,
    coalesce(sum(i.send_backs) FILTER (WHERE {P}), 0) AS send_backs,
    count(*) FILTER (WHERE {P} AND i.escalated_at IS NOT NULL) AS escalated
"""


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _with_rates(row: dict[str, Any]) -> dict[str, Any]:
    row = {
        k: (int(v) if isinstance(v, int | float) and k not in ("key", "name") else v)
        for k, v in row.items()
    }
    evaluations = row["satisfied"] + row["send_backs"]
    return row | {
        "on_time_sign_rate": _rate(row["signed_on_time"], row["signed"]),
        "on_time_completion_rate": _rate(row["handled_on_time"], row["handled"]),
        "rejection_rate": _rate(row["rejected"], row["dispatched"]),
        "send_back_rate": _rate(row["sent_back"], row["evaluated"]),
        "satisfaction": _rate(row["satisfied"], evaluations),
    }


#: How long figures may be served again when nothing was written: only the overdue count moves
#: with the clock alone, and the answer says the instant it was computed for (``now``).
MAX_AGE_SECONDS = 10.0


def figures(
    conn: Connection,
    by: str = "grid",
    filters: Filters | None = None,
    *,
    access: Access,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Figures per ``by`` (grid, department, community or category) and in total, within the
    viewer's incidents and the filters; rows by total, largest first.

    Served again until an incident or a place changes (gis.infra.answers), or a grid too when
    the answer reads grids (grouped by grid, filtered by one, or a grid worker's scope): an
    editor's moves leave the figures by community standing."""
    if by not in GROUPS:
        raise Invalid(
            f"分组方式须为 {', '.join(GROUPS)} 之一，收到 {by!r} ("
            f"by must be one of {', '.join(GROUPS)}; got {by!r})",
            by=by,
        )
    filters = filters or Filters()
    now = now or dt.datetime.now(dt.UTC)
    reads_grids = by == "grid" or filters.grid is not None or access.scope.level == "grid"
    compute = _figures_reading_grids if reads_grids else _figures_reading_places
    return compute(conn, by, filters, access=access, now=now)


def _figures(
    conn: Connection, by: str, filters: Filters, *, access: Access, now: dt.datetime
) -> dict[str, Any]:
    key, name, join = GROUPS[by]
    where = _where(filters, now, access=access)
    # One scan: the groups and the total together (GROUPING SETS), the total told apart by
    # GROUPING() — a group whose key is NULL (incidents with no grid) is not the total.
    rows = conn.execute(
        text(
            f"SELECT grouping({key}) = 1 AS is_total, {key} AS key, min({name}) AS name, "
            f"{_COUNTS} FROM incident i {join} WHERE {where.sql} "
            f"GROUP BY GROUPING SETS (({key}), ()) "
            f"ORDER BY is_total, total DESC, key NULLS LAST"
        ),
        where.params,
    ).mappings()
    groups = [dict(r) for r in rows]
    total = groups.pop()  # the grand total sorts last
    assert total.pop("is_total"), "the grand total row sorts last"
    for group in groups:
        del group["is_total"]
    del total["key"], total["name"]
    return {
        "by": by,
        "now": now.isoformat(),
        "rows": [_with_rates(group) for group in groups],
        "total": _with_rates(total),
    }


_figures_reading_grids = remembered("grids", "places", "incidents", max_age=MAX_AGE_SECONDS)(
    _figures
)
_figures_reading_places = remembered("places", "incidents", max_age=MAX_AGE_SECONDS)(_figures)
