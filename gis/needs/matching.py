"""Matching (社区派单): who could take a need, ranked.

The candidates are the need's community's own takers on the day: units paired with it
(结对共建), members registered with it (双报到) and its volunteer teams. Each is scored in one
query in PostGIS:

============  =========================================================================  ======
part          definition                                                                 weight
============  =========================================================================  ======
skill         1 if the need's kind is among the taker's skills, else 0                     0.40
distance      1 / (1 + d / 500 m); d is the walk (see below), else the straight line      0.25
capacity      free hours this month (China time) / the need's hours, at most 1; free =    0.20
              hours per month − hours of the orders accepted or done this month
record        (done + 1) / (done + declined + 2): past orders, smoothed so a newcomer
              starts at ½                                                                 0.15
============  =========================================================================  ======

Takers who already declined this need are left out. Ties go to the nearer, then to the code.

**Walking distance.** Where the walking network (:mod:`gis.facilities.network`, built by
``gridmap walk-network``) has a node within 200 m of the need, one ``pgr_drivingDistance`` from
that node, capped at :data:`MAX_WALK_M` and on the edges of the box holding the need and its
takers, gives every reached node its walk; a taker's distance is then its straight step onto its
own nearest node, plus that node's walk, plus the need's own step onto the network. One routing
call per ranking, not one route per taker. A taker farther than 200 m from the network, or not
reached within :data:`MAX_WALK_M` (an island), keeps the straight line; each taker says which
(``distance_by``) and the ranking says whether the network was used at all (``distance_mode``).
Without a network near the need every distance is the straight line
(:func:`gis.needs.common.distance_sql`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission
from gis.chinatime import CHINA
from gis.errors import Forbidden, Invalid, NotFound
from gis.facilities.network import MAX_SNAP_M
from gis.facilities.reach import NEAREST
from gis.labels import TAKER_KINDS, label
from gis.needs.common import distance_sql, need_scope_sql, shown

WEIGHTS = {"skill": 0.40, "distance": 0.25, "capacity": 0.20, "record": 0.15}
DISTANCE_SCALE_M = 500.0
MAX_RANKED = 50
#: The longest walk worth routing: beyond it the distance part is below 0.025 of the score, and
#: the straight line is used.
MAX_WALK_M = 3000.0
#: Metres per degree of latitude (the edges' box is widened for longitude, as the isochrones').
M_PER_DEG = 111_000.0

DistanceBy = Literal["walk", "straight"]

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

#: Every node the need's walk reaches within the cap, with its metres (empty without a network).
#: Then each taker's walk: its step onto its nearest node (within 200 m), plus that node's walk.
#: The nearest nodes first, then one hash join: joining the walk inside the taker's lateral
#: scans all its nodes once per taker (150 takers × 5,000 nodes: 0.2 s).
_WALK = f"""walk AS MATERIALIZED (
    SELECT node, agg_cost FROM pgr_drivingDistance(:edges, :source, :cap, directed => false)
),
near AS MATERIALIZED (
    SELECT cand.kind, cand.id, tn.node, tn.dist FROM cand
    CROSS JOIN LATERAL ({NEAREST.format(p="cand.geom")}) tn WHERE tn.dist <= {MAX_SNAP_M}
),
walked AS (
    SELECT near.kind, near.id, :need_snap + walk.agg_cost + near.dist AS metres
    FROM near JOIN walk ON walk.node = near.node
)"""
_NO_WALK = "walked AS (SELECT NULL::text AS kind, NULL::int AS id, NULL::float AS metres LIMIT 0)"
#: The box of the need and its takers (degrees), for the edges the walk may use.
_EXTENT = f"""
SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)
FROM (SELECT ST_Extent(geom)::box2d AS b FROM (
    SELECT geom FROM ({CANDIDATES}) cand UNION ALL SELECT CAST(:need_geom AS geometry)) g) e
"""

_RANK = f"""
WITH cand AS ({CANDIDATES}),
{{walk}},
scored AS (
    SELECT cand.kind, cand.code, cand.name, cand.skills, cand.hours_per_month,
           coalesce(w.metres, {distance_sql("cand.geom", ":need_geom")}) AS distance_m,
           (w.metres IS NOT NULL) AS walked,
           (:kind = ANY(cand.skills)) AS skill_match,
           cand.hours_per_month - coalesce(h.taken, 0) AS free_hours,
           coalesce(h.done, 0) AS done, coalesce(h.declined, 0) AS declined
    FROM cand
    LEFT JOIN walked w ON w.kind = cand.kind AND w.id = cand.id
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
    distance_by: DistanceBy  # "walk" on the network, or "straight" (see the module doc)
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
    distance_mode: DistanceBy  # "walk": the network was used near the need; else "straight"
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
            f"({scope.sql}) AS inside, ST_X(n.geom) AS x, ST_Y(n.geom) AS y, near.node, near.dist "
            "FROM need n JOIN community c ON c.id = n.community_id "
            f"LEFT JOIN LATERAL ({NEAREST.format(p='n.geom')}) near ON true "
            "WHERE n.code = :code"
        ),
        {"code": need} | scope.params,
    ).first()
    if row is None:
        raise NotFound(f"没有需求 {need!r} (no need {need!r})", need=need)
    if not row.inside:
        raise Forbidden(f"需求 {need} 不在您的权限范围内 (need {need} is outside your scope)")
    local = now.astimezone(CHINA)
    month = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    params = {
        "community": row.community_id, "on": local.date(), "need": row.id,
        "need_geom": row.geom, "kind": row.kind, "hours": row.hours, "month": month,
        "scale": DISTANCE_SCALE_M, "limit": limit,
    } | {f"w_{k}": v for k, v in WEIGHTS.items()}  # fmt: skip
    walks = row.node is not None and float(row.dist) <= MAX_SNAP_M
    if walks:
        params |= {
            "edges": _edges(conn, params, (row.x, row.y)), "source": int(row.node),
            "cap": MAX_WALK_M, "need_snap": float(row.dist),
        }  # fmt: skip
        sql = _RANK.replace("{walk}", _WALK)
    else:
        params["need_snap"] = 0.0
        sql = _RANK.replace("{walk}", _NO_WALK)
    rows = conn.execute(text(sql), params)
    takers = [
        RankedTaker(
            rank=rank, taker=f"{r.kind}:{r.code}", kind=r.kind,
            kind_label=label(TAKER_KINDS, r.kind), code=r.code,
            name=shown(r.name, "", access.personal_data or r.kind != "member")[0],
            skills=list(r.skills), skill_match=bool(r.skill_match),
            distance_m=round(float(r.distance_m), 1),
            distance_by="walk" if r.walked else "straight",
            hours_per_month=float(r.hours_per_month),
            free_hours=round(float(r.free_hours), 1), done=int(r.done), declined=int(r.declined),
            score=round(float(r.score), 4),
        )
        for rank, r in enumerate(rows, start=1)
    ]  # fmt: skip
    return Ranking(
        need=need,
        kind=row.kind,
        community_code=row.code,
        distance=(
            "walk on the street network (pgRouting), metres; straight line where a taker is off "
            "the network"
            if walks
            else "straight line, metres (PostGIS geography)"
        ),
        distance_mode="walk" if walks else "straight",
        weights=dict(WEIGHTS),
        takers=takers,
    )


def _edges(conn: Connection, params: dict[str, object], need: tuple[float, float]) -> str:
    """The edges' SQL for the need's walk: those inside the box of the need and its takers,
    widened by a snap and cut to :data:`MAX_WALK_M` around the need (a taker across the city
    keeps the straight line; routing there would only read edges)."""
    box = conn.execute(text(_EXTENT), params).one()
    pad = MAX_SNAP_M / M_PER_DEG
    reach = MAX_WALK_M / M_PER_DEG
    x0, y0 = max(box[0] - pad * 1.3, need[0] - reach * 1.3), max(box[1] - pad, need[1] - reach)
    x1, y1 = min(box[2] + pad * 1.3, need[0] + reach * 1.3), min(box[3] + pad, need[1] + reach)
    return (
        "SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM walk_edge "
        f"WHERE geom && ST_MakeEnvelope({x0!r}, {y0!r}, {x1!r}, {y1!r}, 4326)"
    )
