"""The measures of a grid worker's monthly score (考核) and their weights, set per county.

Weights are points out of 100: a measure's points are its fraction (0–1, see
:mod:`gis.assessment.measures`) times its weight. A county (区县) keeps the defaults below until
its staff change one (``assessment_weight`` rows, audited as ``assessment.weights``); the
weights of a county need not sum to 100 — the score is scaled to 100 over the measures that have
data (:mod:`gis.assessment.scores`), so a county may drop a measure by weighing it 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis import audit
from gis.access import Access
from gis.accounts import Role
from gis.errors import Forbidden, Invalid


@dataclass(frozen=True)
class Measure:
    """One line of the score: its code, the name a worker reads, and how it is counted."""

    code: str
    name: str
    how: str


MEASURES: tuple[Measure, ...] = (
    Measure(
        "time_in_grid",
        "在网格时间 Time in own grid",
        "轨迹在本网格内的时间占比，达到 60% 得满分 (share of tracked time in one's grid / 60 %)",
    ),
    Measure(
        "buildings",
        "走访楼栋 Buildings visited",
        "本月走过（20 米内）或打卡的本网格楼栋 / 本网格楼栋总数 (grid buildings passed or "
        "checked in / all the grid's buildings)",
    ),
    Measure(
        "found",
        "主动发现 Found oneself",
        "本网格本月事件中由本人上报的比例 (share of the grid's incidents of the month the "
        "worker reported, not others)",
    ),
    Measure(
        "on_time",
        "按时处置 Handled on time",
        "本月到期的本网格事件按期处置的比例 (the grid's incidents due in the month handled by "
        "their deadline)",
    ),
    Measure(
        "satisfied",
        "解决且满意 Solved and satisfied",
        "满意办结 / (办结 + 被退回重办次数)：只结不解、被重新打开都扣分 (satisfied closings / "
        "closings and re-openings: a re-opened incident counts against its closing)",
    ),
    Measure(
        "needs",
        "需求服务 Needs served",
        "本月到期的本网格群众需求按期完成的比例 (the grid's needs due in the month done by "
        "their due day)",
    ),
)
MEASURE_CODES = tuple(m.code for m in MEASURES)
DEFAULT_WEIGHTS: dict[str, float] = {
    "time_in_grid": 25,
    "buildings": 15,
    "found": 15,
    "on_time": 15,
    "satisfied": 20,
    "needs": 10,
}
#: Who may change a county's weights: the administrator and the county's own staff.
WEIGHT_ROLES = frozenset({Role.ADMIN, Role.COUNTY})


def county_of(code: str) -> str:
    """The county (区县) of an admin or grid code: its first six digits (codes nest by prefix)."""
    return code[:6]


def county_weights(conn: Connection, county: str) -> dict[str, float]:
    """The weights of ``county``: its own rows over the defaults, in the order of MEASURES."""
    rows = conn.execute(
        text("SELECT measure, weight FROM assessment_weight WHERE county_code = :county"),
        {"county": county},
    ).all()
    own = {r.measure: float(r.weight) for r in rows}
    return {code: own.get(code, DEFAULT_WEIGHTS[code]) for code in MEASURE_CODES}


def weights_for(conn: Connection, county: str, *, access: Access) -> dict[str, float]:
    """The weights of ``county`` for a caller whose scope lies in it or holds it: weights are
    no secret — a worker may read how they are scored."""
    if not access.scope.sees_area(county):
        raise Forbidden(
            f"区县 {county} 不在您的权限范围内 (county {county} is outside your scope)",
            county=county,
        )
    return county_weights(conn, county)


def _check_county(county: str, access: Access) -> None:
    if len(county) != 6 or not county.isdigit():
        raise Invalid(
            f"区县代码须为 6 位数字，收到 {county!r} (a county code has 6 digits)", county=county
        )
    user = access.user
    if not access.is_system and (user is None or user.role not in WEIGHT_ROLES):
        raise Forbidden("只有管理员和区县可以设置考核权重 (only an admin or a county sets weights)")
    if not access.scope.reaches(county):  # the whole county: a city or that district scope
        raise Forbidden(
            f"区县 {county} 不在您的权限范围内 (county {county} is outside your scope)",
            county=county,
        )


def set_weights(
    conn: Connection,
    county: str,
    weights: dict[str, float],
    *,
    access: Access,
    now: dt.datetime,
) -> dict[str, float]:
    """Set some measures' weights for ``county`` (others keep theirs); returns all of them.

    Raises
    ------
    Invalid
        An unknown measure, a weight outside 0–100, or all weights 0 (nothing would be scored).
    Forbidden
        Not an admin or county user, or the county is outside the caller's scope.
    """
    _check_county(county, access)
    unknown = sorted(set(weights) - set(MEASURE_CODES))
    if unknown:
        raise Invalid(
            f"未知的考核项 {', '.join(unknown)}；可选 {', '.join(MEASURE_CODES)} "
            f"(unknown measure {', '.join(unknown)})",
            measures=unknown,
        )
    bad = sorted(k for k, v in weights.items() if not 0 <= v <= 100)
    if bad:
        raise Invalid(
            f"权重须在 0 到 100 之间：{', '.join(bad)} (weights lie in 0–100)", measures=bad
        )
    before = county_weights(conn, county)
    after = before | {k: float(v) for k, v in weights.items()}
    if not any(after.values()):
        raise Invalid("权重不能全为 0 (at least one weight must be above 0)", county=county)
    for measure, weight in weights.items():
        conn.execute(
            text(
                "INSERT INTO assessment_weight (county_code, measure, weight, updated_by, "
                "updated_at) VALUES (:county, :measure, :weight, :actor, :now) "
                "ON CONFLICT (county_code, measure) DO UPDATE SET weight = EXCLUDED.weight, "
                "updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at"
            ),
            {
                "county": county,
                "measure": measure,
                "weight": float(weight),
                "actor": access.name,
                "now": now,
            },
        )
    audit.record(conn, access.actor, "assessment.weights", "county", county, before, after)
    return after
