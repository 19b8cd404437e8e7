"""Matching (社区派单): who could take a need, ranked.

The candidates are the need's community's own takers on the day: units paired with it
(结对共建), members registered with it (双报到) and its volunteer teams. Each is scored in one
query in PostGIS:

============  =========================================================================  ======
part          definition                                                                 weight
============  =========================================================================  ======
skill         1 if the need's kind is among the taker's skills, else 0                     0.40
distance      1 / (1 + d / 500 m); d from :func:`gis.needs.common.distance_sql`           0.25
capacity      free hours this month (China time) / the need's hours, at most 1; free =    0.20
              hours per month − hours of the orders accepted or done this month
record        (done + 1) / (done + declined + 2): past orders, smoothed so a newcomer
              starts at ½                                                                 0.15
============  =========================================================================  ======

Takers who already declined this need are left out. Ties go to the nearer, then to the code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission
from gis.chinatime import CHINA
from gis.errors import Forbidden, Invalid, NotFound
from gis.labels import TAKER_KINDS, label
from gis.needs.common import distance_sql, need_scope_sql, shown

WEIGHTS = {"skill": 0.40, "distance": 0.25, "capacity": 0.20, "record": 0.15}
DISTANCE_SCALE_M = 500.0
MAX_RANKED = 50

#: The community's takers on ``:on`` (kind, id, code, name, skills, hours, location).
CANDIDATES = """
SELECT 'unit' AS kind, pu.id, pu.code, pu.name, pu.skills, pu.hours_per_month, pu.geom
FROM unit_pairing p JOIN paired_unit pu ON pu.id = p.unit_id
WHERE p.community_id = :community AND p.starts_on <= :on AND (p.ends_on IS NULL OR p.ends_on >= :on)
UNION ALL
SELECT 'member', m.id, m.code, m.name, r.skills, r.hours_per_month, m.geom
FROM member_registration r JOIN party_member m ON m.id = r.member_id
WHERE r.community_id = :community AND r.starts_on <= :on AND (r.ends_on IS NULL OR r.ends_on >= :on)
UNION ALL
SELECT 'team', t.id, t.code, t.name, t.skills, t.hours_per_month, t.geom
FROM volunteer_team t WHERE t.community_id = :community
"""

_RANK = f"""
WITH cand AS ({CANDIDATES}),
scored AS (
    SELECT cand.kind, cand.code, cand.name, cand.skills, cand.hours_per_month,
           {distance_sql("cand.geom", ":need_geom")} AS distance_m,
           (:kind = ANY(cand.skills)) AS skill_match,
           cand.hours_per_month - coalesce(h.taken, 0) AS free_hours,
           coalesce(h.done, 0) AS done, coalesce(h.declined, 0) AS declined
    FROM cand
    LEFT JOIN LATERAL (
        SELECT sum(coalesce(o.hours_given, nd.hours)) FILTER (
                   WHERE o.state IN ('accepted', 'done') AND o.dispatched_at >= :month) AS taken,
               count(*) FILTER (WHERE o.state = 'done') AS done,
               count(*) FILTER (WHERE o.state = 'declined') AS declined,
               bool_or(o.need_id = :need AND o.state = 'declined') AS declined_this
        FROM need_order o JOIN need nd ON nd.id = o.need_id
        WHERE (cand.kind = 'unit' AND o.unit_id = cand.id)
           OR (cand.kind = 'member' AND o.member_id = cand.id)
           OR (cand.kind = 'team' AND o.team_id = cand.id)
    ) h ON true
    WHERE NOT coalesce(h.declined_this, false)
)
SELECT *,
       :w_skill * skill_match::int
     + :w_distance / (1 + distance_m / :scale)
     + :w_capacity * least(greatest(free_hours, 0) / :hours, 1)
     + :w_record * (done + 1.0) / (done + declined + 2.0) AS score
FROM scored
ORDER BY score DESC, distance_m, kind, code
LIMIT :limit
"""


@dataclass(frozen=True)
class RankedTaker:
    """One candidate with the parts of its score (see the module doc)."""

    rank: int
    taker: str
    kind: str
    kind_label: str
    code: str
    name: str
    skills: list[str]
    skill_match: bool
    distance_m: float
    hours_per_month: float
    free_hours: float
    done: int
    declined: int
    score: float


@dataclass(frozen=True)
class Ranking:
    need: str
    kind: str
    community_code: str
    distance: str
    weights: dict[str, float]
    takers: list[RankedTaker]


def rank_takers(
    conn: Connection, need: str, *, access: Access, now: dt.datetime, limit: int = 10
) -> Ranking:
    """The ``limit`` best takers for a need, best first (community staff who dispatch)."""
    access.require(Permission.DISPATCH_NEEDS)
    if not 1 <= limit <= MAX_RANKED:
        raise Invalid(f"条数须为 1 至 {MAX_RANKED} (limit is 1 to {MAX_RANKED})", limit=limit)
    scope = need_scope_sql(access.scope)
    row = conn.execute(
        text(
            "SELECT n.id, n.kind, n.hours, n.geom, n.community_id, c.code, "
            f"({scope.sql}) AS inside "
            "FROM need n JOIN community c ON c.id = n.community_id WHERE n.code = :code"
        ),
        {"code": need} | scope.params,
    ).first()
    if row is None:
        raise NotFound(f"没有需求 {need!r} (no need {need!r})", need=need)
    if not row.inside:
        raise Forbidden(f"需求 {need} 不在您的权限范围内 (need {need} is outside your scope)")
    local = now.astimezone(CHINA)
    month = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    rows = conn.execute(
        text(_RANK),
        {
            "community": row.community_id, "on": local.date(), "need": row.id,
            "need_geom": row.geom, "kind": row.kind, "hours": row.hours, "month": month,
            "scale": DISTANCE_SCALE_M, "limit": limit,
        }
        | {f"w_{k}": v for k, v in WEIGHTS.items()},
    )  # fmt: skip
    takers = [
        RankedTaker(
            rank=rank, taker=f"{r.kind}:{r.code}", kind=r.kind,
            kind_label=label(TAKER_KINDS, r.kind), code=r.code,
            name=shown(r.name, "", access.personal_data or r.kind != "member")[0],
            skills=list(r.skills), skill_match=bool(r.skill_match),
            distance_m=round(float(r.distance_m), 1), hours_per_month=float(r.hours_per_month),
            free_hours=round(float(r.free_hours), 1), done=int(r.done), declined=int(r.declined),
            score=round(float(r.score), 4),
        )
        for rank, r in enumerate(rows, start=1)
    ]  # fmt: skip
    return Ranking(
        need=need,
        kind=row.kind,
        community_code=row.code,
        distance="straight line, metres (PostGIS geography)",
        weights=dict(WEIGHTS),
        takers=takers,
    )
