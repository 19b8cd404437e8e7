"""A grid worker's monthly score (考核), explained line by line, and the ranking per street.

Each measure of :data:`gis.assessment.weights.MEASURES` gives a *fraction* between 0 and 1 from
the month's counts (:mod:`gis.assessment.measures`):

=============  ==========================================================================
time_in_grid   share of tracked time in the own grid / 60 % (the rule), at most 1; a month
               without any track is 0 — patrolling is the job, not a missing datum
buildings      buildings visited / the grid's buildings
found          incidents the worker reported / all the grid's incidents of the month
on_time        incidents handled by their deadline / incidents due
satisfied      satisfied closings / (closings + re-openings)
needs          needs done by their due day / needs due
=============  ==========================================================================

A measure with nothing to count (no incident due, no need…) has *no data*: it is shown, scores
nothing, and its weight is shared among the others in proportion — a quiet grid is not punished
for being quiet. The line's ``points`` are fraction × effective weight, rounded to 0.1, and
the score is the sum of the lines' points, so "why is my score 82?" adds up on the page.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis.access import Access
from gis.assessment.measures import Counts, month_counts
from gis.assessment.weights import MEASURES, county_of, county_weights
from gis.chinatime import CHINA
from gis.errors import Forbidden, Invalid
from gis.infra.settings import TrackSettings
from gis.patrols.common import SUPERVISOR_ROLES, shown_name, viewable_worker
from gis.patrols.figures import RULE_SHARE, period_bounds
from gis.personal import mask_name

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


@dataclass(frozen=True)
class Line:
    """One line of the explanation: what was measured, its value and what it earned."""

    measure: str
    name: str
    how: str
    detail: str  # the counts, as a worker reads them ("在网格 12.5 小时 / 轨迹 20.0 小时")
    value: float | None  # the measured share (None: no data this month)
    fraction: float | None  # value turned into 0–1 (time in grid: share / 60 %)
    weight: float  # the county's weight
    effective_weight: float  # after sharing the weights of measures with no data
    points: float


@dataclass(frozen=True)
class Score:
    worker: str
    name: str
    grid: str
    street: str
    county: str
    month: str
    score: float | None  # None: no measure had data and weight
    lines: list[Line]


def parse_month(month: str, *, now: dt.datetime) -> tuple[dt.date, dt.date]:
    """First and last day of ``YYYY-MM``; a malformed month or one not yet begun is refused."""
    found = _MONTH.fullmatch(month)
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
        raise Invalid(
            f"月份须写作 YYYY-MM（如 2026-11），收到 {month!r} (month: YYYY-MM)", month=month
        )
    first, last = period_bounds("month", dt.date(int(found.group(1)), int(found.group(2)), 1))
    if first > now.astimezone(CHINA).date():
        raise Invalid(f"{month} 还没有开始，无法考核 (month {month} has not begun)", month=month)
    return first, last


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole > 0 else None


def _measured(c: Counts) -> dict[str, tuple[float | None, float | None, str]]:
    """Per measure: value, fraction and the counts as text."""
    share = _share(c.in_grid, c.tracked)
    hours = f"在网格 {c.in_grid / 3600:.1f} 小时 / 轨迹 {c.tracked / 3600:.1f} 小时"
    rows: dict[str, tuple[float | None, float | None, str]] = {
        "time_in_grid": (
            share or 0.0,
            min((share or 0.0) / RULE_SHARE, 1.0),
            hours + ("" if c.tracked else "（本月无巡查轨迹）"),
        ),
    }
    for code, part, whole, words in (
        ("buildings", c.visited, c.buildings, "走访 {p} 栋 / 共 {w} 栋"),
        ("found", c.found, c.reported, "本人上报 {p} 件 / 网格内共 {w} 件"),
        ("on_time", c.on_time, c.due, "按期处置 {p} 件 / 到期 {w} 件"),
        (
            "satisfied",
            c.satisfied,
            c.closings + c.reopened,
            "满意办结 {p} 件 / 办结 {c} 件 + 退回重办 {r} 次",
        ),
        ("needs", c.needs_served, c.needs_due, "按期完成 {p} 件 / 到期 {w} 件"),
    ):
        value = _share(part, whole)
        text_ = words.format(p=part, w=whole, c=c.closings, r=c.reopened)
        rows[code] = (value, value, text_ if whole else text_ + "（无数据，不计分）")
    return rows


def explain(c: Counts, weights: dict[str, float]) -> tuple[float | None, list[Line]]:
    """The score and its lines from one worker's counts and their county's weights."""
    measured = _measured(c)
    with_data = sum(weights[m.code] for m in MEASURES if measured[m.code][1] is not None)
    lines = []
    for m in MEASURES:
        value, fraction, detail = measured[m.code]
        effective = weights[m.code] * 100 / with_data if fraction is not None and with_data else 0
        points = round(fraction * effective, 1) if fraction is not None else 0.0
        lines.append(
            Line(
                m.code,
                m.name,
                m.how,
                detail,
                None if value is None else round(value, 4),
                None if fraction is None else round(fraction, 4),
                weights[m.code],
                round(effective, 2),
                points,
            )
        )
    score = round(sum(line.points for line in lines), 1) if with_data else None
    return score, lines


def worker_score(
    conn: Connection,
    *,
    access: Access,
    tracks: TrackSettings,
    month: str,
    now: dt.datetime,
    worker: str | None = None,
) -> Score:
    """One worker's score for ``month`` with its explanation: the worker's own, or a
    supervisor's view of a worker in their scope (403 otherwise, as for the patrol figures)."""
    first, last = parse_month(month, now=now)
    who = viewable_worker(conn, worker, access=access)
    counts = month_counts(conn, [who.id], first, last, tracks=tracks, now=now)[who.id]
    score, lines = explain(counts, county_weights(conn, county_of(who.grid_code)))
    return Score(
        worker=who.username,
        name=shown_name(who, access=access),
        grid=who.grid_code,
        street=who.grid_code[:9],
        county=county_of(who.grid_code),
        month=month,
        score=score,
        lines=lines,
    )


@dataclass(frozen=True)
class Ranked:
    """One worker in the ranking: their score, its points per measure, their rank in the street."""

    worker: str
    name: str
    grid: str
    grid_name: str
    street: str
    street_name: str
    score: float | None
    rank: int | None  # 1 = best in the street; None without a score
    points: dict[str, float]
    share: float | None = None  # time in the own grid / time tracked (the 60 % rule)


@dataclass(frozen=True)
class Ranking:
    month: str
    scope: str
    rows: list[Ranked]


def ranking(
    conn: Connection,
    *,
    access: Access,
    tracks: TrackSettings,
    month: str,
    now: dt.datetime,
) -> Ranking:
    """The scores of every field worker whose grid lies in the caller's scope, ranked per
    street (best first); only a supervisor (admin, county, party office) may ask."""
    user = access.user
    if user is not None and user.role not in SUPERVISOR_ROLES:
        raise Forbidden("考核排名只对上级可见 (the ranking is shown to supervisors only)")
    first, last = parse_month(month, now=now)
    reach = access.scope.grid_sql("g")
    rows = conn.execute(
        text(
            "SELECT u.id, u.username, u.display_name, g.code, g.name, s.code AS street, "
            "s.name AS street_name FROM app_user u JOIN grid_layer l ON l.code = u.scope_layer "
            "JOIN grid g ON g.layer_id = l.id AND g.code = u.scope_code "
            "LEFT JOIN street s ON s.code = left(g.code, 9) "
            f"WHERE u.role = 'field_worker' AND u.scope_level = 'grid' AND u.active AND {reach.sql}"
        ),
        reach.params,
    ).all()
    counts = month_counts(conn, [r.id for r in rows], first, last, tracks=tracks, now=now)
    weights: dict[str, dict[str, float]] = {}
    scored = []
    for r in rows:
        county = county_of(r.code)
        if county not in weights:
            weights[county] = county_weights(conn, county)
        score, lines = explain(counts[r.id], weights[county])
        scored.append((r, score, {line.measure: line.points for line in lines}, counts[r.id]))
    scored.sort(key=lambda s: (s[0].street, -(s[1] if s[1] is not None else -1), s[0].username))
    out: list[Ranked] = []
    street, rank, before, seen = None, None, None, 0
    for r, score, points, c in scored:  # sorted by street, best first: ties share a rank
        if r.street != street:
            street, before, seen = r.street, None, 0
        seen += 1
        if score != before:
            rank, before = seen, score
        if score is None:
            rank = None
        name = r.display_name if access.personal_data else (mask_name(r.display_name) or "")
        out.append(
            Ranked(
                r.username,
                name,
                r.code,
                r.name,
                r.street,
                r.street_name or "",
                score,
                rank,
                points,
                None if c.tracked <= 0 else round(c.in_grid / c.tracked, 4),
            )
        )
    return Ranking(month=month, scope=str(access.scope), rows=out)
