"""A year of councils (议事协商) for the sample city, made in PostGIS from what is loaded.

Deterministic like :mod:`gis.needs.sample` (every choice a ``hashtext`` of a row's rank and a
salt), set-based (five statements: 4–8 s for the whole sample city on the shared 2-core machine,
see bench/councils.py), and once only. The ratios come from the seeds:

- **venues**: one per community (17,900 居民之家/议事厅/议事坪 for Jiangxi's ~20,000
  communities), half of them 居民之家, 30 % 议事厅, 20 % 议事坪, at a building of the community;
- **councils**: :data:`COUNCILS_PER_HOUSEHOLD` per household and year (Fuzhou: 6,300 issues
  settled by councils for the 240,000 households its members are in contact with); a third
  raised from a need of the sample, a tenth escalated from an incident, the rest raised in the
  community; older ones mostly settled, recent ones still on their way through the four steps,
  the steps' days spread over the council's age (never after ``as_of``).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission
from gis.chinatime import CHINA
from gis.needs.sample import h

log = logging.getLogger(__name__)

COUNCILS_PER_HOUSEHOLD = 6_300 / 240_000
TABLES = ("council_venue", "council", "council_party", "council_step", "council_assignment")
TOPICS = (
    "ARRAY['下水道堵塞','楼道堆物清理','加装电梯','停车位划分','小区绿化改造','垃圾分类点设置',"
    "'路灯维修','广场舞噪音','外墙渗水','充电桩安装','物业费收支公示','老旧小区改造']"
)
#: Steps in order with the share of the council's age at which each was held.
STEPS = (
    "(VALUES ('understand', 1, 0.1, '了解诉求'), ('analyse', 2, 0.25, '分析研判'), "
    "('deliberate', 3, 0.5, '议事会商'), ('follow_up', 4, 0.9, '落实问效')) "
    "s(step, ord, frac, name)"
)
ORD = (
    "CASE {s} WHEN 'raised' THEN 0 WHEN 'understood' THEN 1 WHEN 'analysed' THEN 2 "
    "WHEN 'deliberated' THEN 3 ELSE 4 END"
)


@dataclass(frozen=True)
class CouncilSample:
    venues: int
    councils: int
    parties: int
    steps: int
    assignments: int
    skipped: bool = False


_VENUES = f"""
WITH bc AS (
    SELECT u.community_id, b.geom,
           row_number() OVER (PARTITION BY u.community_id ORDER BY b.id) - 1 AS rn
    FROM building b JOIN base_unit u ON u.id = b.base_unit_id
    JOIN community c ON c.id = u.community_id WHERE starts_with(c.code, :prefix))
INSERT INTO council_venue (code, name, kind, community_id, geom)
SELECT 'YS' || c.code, c.name || k.label, k.kind, c.id,
       ST_PointOnSurface(coalesce(bc.geom, c.geom))
FROM community c
CROSS JOIN LATERAL (SELECT CASE WHEN {h("c.code", "vk", 10)} < 5 THEN 'home'
                                WHEN {h("c.code", "vk", 10)} < 8 THEN 'hall'
                                ELSE 'lawn' END AS kind) k0
CROSS JOIN LATERAL (SELECT k0.kind, CASE k0.kind WHEN 'home' THEN '居民之家' WHEN 'hall'
                    THEN '议事厅' ELSE '议事坪' END AS label) k
LEFT JOIN bc ON bc.community_id = c.id AND bc.rn = {h("c.code", "vat", 5)}
WHERE starts_with(c.code, :prefix)
ON CONFLICT (code) DO NOTHING
"""

_COUNCILS = f"""
WITH b AS (
    SELECT b.id, row_number() OVER (ORDER BY b.id) - 1 AS rn
    FROM building b JOIN base_unit u ON u.id = b.base_unit_id
    JOIN community c ON c.id = u.community_id WHERE starts_with(c.code, :prefix)),
nd AS (SELECT n.id, row_number() OVER (ORDER BY n.id) - 1 AS rn
       FROM need n JOIN community c ON c.id = n.community_id WHERE starts_with(c.code, :prefix)),
inc AS (SELECT i.id, row_number() OVER (ORDER BY i.id) - 1 AS rn
        FROM incident i JOIN community c ON c.id = i.community_id
        WHERE starts_with(c.code, :prefix) AND i.merged_into_id IS NULL),
i AS MATERIALIZED (SELECT i, {h("i", "kage", 365)} AS age, {h("i", "kst", 100)} AS st,
             CASE WHEN {h("i", "kog", 100)} < 33 AND :nn > 0 THEN 'need'
                  WHEN {h("i", "kog", 100)} < 43 AND :ni > 0 THEN 'incident'
                  ELSE 'community' END AS origin,
             {h("i", "kb", 2147483647)} % greatest(:nb, 1) AS brn,
             {h("i", "kn", 2147483647)} % greatest(:nn, 1) AS nrn,
             (i * 7919) % greatest(:ni, 1) AS irn
      FROM generate_series(1, :n) i),
s AS (SELECT i.*, CASE
        WHEN age >= 60 THEN CASE WHEN st < 85 THEN 'settled' WHEN st < 93 THEN 'deliberated'
                                 ELSE 'analysed' END
        WHEN age >= 14 THEN CASE WHEN st < 45 THEN 'settled' WHEN st < 75 THEN 'deliberated'
                                 WHEN st < 90 THEN 'analysed' ELSE 'understood' END
        ELSE CASE WHEN st < 30 THEN 'understood' WHEN st < 50 THEN 'analysed' ELSE 'raised' END
      END AS status FROM i)
INSERT INTO council (code, title, description, origin, status, community_id, grid_id, venue_id,
                     need_id, incident_id, decision, rating, raised_by, raised_at, held_on,
                     settled_on, updated_at, geom)
SELECT 'YSS' || :stamp || lpad(s.i::text, 6, '0'), ({TOPICS})[1 + {h("s.i", "kt", 12)}], '',
       s.origin, s.status, p.community_id, p.grid_id, v.id, n.id, ii.id,
       CASE WHEN s.status IN ('deliberated', 'settled') THEN '五方会商议定分工，限期落实'
            ELSE '' END,
       CASE WHEN s.status = 'settled' THEN 3 + least({h("s.i", "kr", 5)}, 2) END,
       'system:sample', :now - make_interval(days => s.age),
       CASE WHEN s.status IN ('deliberated', 'settled')
            THEN :as_of - s.age + floor(s.age * 0.5)::int END,
       CASE WHEN s.status = 'settled' THEN :as_of - s.age + floor(s.age * 0.9)::int END,
       :now - make_interval(days => s.age), p.geom
FROM s
LEFT JOIN b ON s.origin = 'community' AND b.rn = s.brn
LEFT JOIN building bb ON bb.id = b.id
LEFT JOIN base_unit bu ON bu.id = bb.base_unit_id
LEFT JOIN nd ON s.origin = 'need' AND nd.rn = s.nrn
LEFT JOIN need n ON n.id = nd.id
LEFT JOIN inc ON s.origin = 'incident' AND inc.rn = s.irn
LEFT JOIN incident ii ON ii.id = inc.id
LEFT JOIN (SELECT DISTINCT ON (gu.unit_id) gu.unit_id, gu.grid_id FROM grid_unit gu
           JOIN grid g ON g.id = gu.grid_id
           JOIN grid_layer l ON l.id = g.layer_id AND l.code = 'unified'
           ORDER BY gu.unit_id, gu.grid_id) ug ON ug.unit_id = bu.id
CROSS JOIN LATERAL (SELECT coalesce(bu.community_id, n.community_id, ii.community_id)
                               AS community_id,
                           coalesce(ug.grid_id, n.grid_id, ii.grid_id) AS grid_id,
                           coalesce(ST_PointOnSurface(bb.geom), n.geom, ii.geom) AS geom) p
LEFT JOIN council_venue v ON v.community_id = p.community_id AND v.code LIKE 'YS%'
WHERE p.community_id IS NOT NULL
ON CONFLICT DO NOTHING
"""

#: How many buildings, needs and incidents the topics are drawn from (bound as parameters: as
#: subqueries the planner re-ran each of them several times).
_SIZES = """
SELECT (SELECT count(*) FROM building b JOIN base_unit u ON u.id = b.base_unit_id
        JOIN community c ON c.id = u.community_id WHERE starts_with(c.code, :prefix)) AS nb,
       (SELECT count(*) FROM need n JOIN community c ON c.id = n.community_id
        WHERE starts_with(c.code, :prefix)) AS nn,
       (SELECT count(*) FROM incident i JOIN community c ON c.id = i.community_id
        WHERE starts_with(c.code, :prefix) AND i.merged_into_id IS NULL) AS ni
"""

_MINE = "k.code LIKE 'YSS' || :stamp || '%'"

_PARTIES = f"""
INSERT INTO council_party (council_id, role, name, unit_id, attended)
SELECT k.id, r.role, CASE r.role WHEN 'paired_unit' THEN coalesce(pu.name, '（尚无结对单位）')
                                 ELSE c.name || r.label END,
       CASE WHEN r.role = 'paired_unit' THEN pu.id END,
       CASE WHEN k.status IN ('deliberated', 'settled')
            THEN r.role <> 'residents' OR {h("k.id", "att", 3)} > 0 END
FROM council k JOIN community c ON c.id = k.community_id
LEFT JOIN (SELECT DISTINCT ON (up.community_id) up.community_id, p.id, p.name
           FROM unit_pairing up JOIN paired_unit p ON p.id = up.unit_id
           ORDER BY up.community_id, p.code) pu
       ON pu.community_id = k.community_id
CROSS JOIN (VALUES ('party_committee', '党组织'), ('owners_committee', '业主委员会'),
                   ('property', '物业服务企业'), ('residents', '居民代表'),
                   ('paired_unit', '')) r(role, label)
WHERE {_MINE}
"""

_STEPS = f"""
INSERT INTO council_step (council_id, step, held_on, minutes, actor, at)
SELECT k.id, s.step, d.raised_on + floor(d.age * s.frac)::int, s.name || '：' || k.title,
       'system:sample', k.raised_at + make_interval(days => floor(d.age * s.frac)::int)
FROM council k
CROSS JOIN LATERAL (SELECT (k.raised_at AT TIME ZONE 'Asia/Shanghai')::date AS raised_on,
                           :as_of - (k.raised_at AT TIME ZONE 'Asia/Shanghai')::date AS age) d
JOIN {STEPS} ON s.ord <= {ORD.format(s="k.status")}
WHERE {_MINE}
"""

_ASSIGNMENTS = f"""
INSERT INTO council_assignment (council_id, role, task, due_on, done)
SELECT k.id, t.role, t.task, k.held_on + 7, k.status = 'settled'
FROM council k
CROSS JOIN (VALUES ('property', '组织施工与日常维护'),
                   ('paired_unit', '协调职能部门与资金')) t(role, task)
WHERE {_MINE} AND k.status IN ('deliberated', 'settled')
"""


def seed_councils(
    conn: Connection,
    *,
    access: Access,
    prefix: str,
    as_of: dt.date | None = None,
    scale: float = 1.0,
) -> CouncilSample:
    """Venues and a year of councils up to ``as_of`` (today, China time) for the communities
    under ``prefix``; once only (a second call finds them and changes nothing). Run after
    :func:`gis.needs.sample.seed_engagement`: a third of the topics come from its needs. ``scale``
    shrinks the year of councils (the tests use a tenth, as for the needs)."""
    access.require(Permission.IMPORT_DATA)
    day = as_of or dt.datetime.now(CHINA).date()
    stamp = f"{day:%y}"
    done = conn.execute(
        text("SELECT count(*) FROM council k WHERE " + _MINE), {"stamp": stamp}
    ).scalar_one()
    if done:
        return CouncilSample(0, 0, 0, 0, 0, skipped=True)
    households = conn.execute(
        text(
            "SELECT coalesce(sum(u.households), 0) FROM base_unit u JOIN community c "
            "ON c.id = u.community_id WHERE starts_with(c.code, :prefix)"
        ),
        {"prefix": prefix},
    ).scalar_one()
    now = dt.datetime.combine(day, dt.time(17), tzinfo=CHINA)
    params = {"prefix": prefix, "stamp": stamp, "as_of": day, "now": now,
              "n": round(int(households) * COUNCILS_PER_HOUSEHOLD * scale)}  # fmt: skip
    sizes = conn.execute(text(_SIZES), {"prefix": prefix}).one()
    params |= {"nb": sizes.nb, "nn": sizes.nn, "ni": sizes.ni}
    counts = [
        conn.execute(text(sql), params).rowcount
        for sql in (_VENUES, _COUNCILS, _PARTIES, _STEPS, _ASSIGNMENTS)
    ]
    for table in TABLES:
        conn.execute(text(f"ANALYZE {table}"))
    venues, councils, parties, steps, assignments = counts
    report = CouncilSample(venues, councils, parties, steps, assignments)
    log.info("sample councils: %s", report)
    return report
