"""The sample city's engagement data (三张清单, 双报到), made in PostGIS from what is loaded.

Deterministic: every choice is a hash of a row's rank and a salt (``hashtext``), never
``random()``, so the same city and the same ``as_of`` day give the same rows. Set-based SQL, a
handful of statements, so it costs seconds, not minutes, on the whole sample city.

The ratios come from the seeds (Jiangxi, Fuzhou):

- **paired units** (结对共建): every agency and enterprise party organisation stands for its unit
  (Jiangxi pairs 12,000 units with its communities); each community is paired with
  :data:`PAIRS_PER_COMMUNITY` units, so each unit serves about as many communities;
- **registered members** (双报到): in-service members — those of agency and enterprise
  organisations — register with the community they live in (586,000 in Jiangxi); 4–12 hours
  a month, one or two skills;
- **volunteer teams**: 3 or 4 per community (74,000 teams for Jiangxi's ~20,000 communities);
- **a year of needs**: :data:`NEEDS_PER_HOUSEHOLD` per household (Fuzhou: 53,000 issues solved
  for the 240,000 households its members are in contact with), at buildings picked by hash;
  older needs are mostly done and evaluated, recent ones still open, some declined once first.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission
from gis.chinatime import CHINA
from gis.needs.common import TakerRef
from gis.needs.resources import link_taker

log = logging.getLogger(__name__)

PAIRS_PER_COMMUNITY = 2
TABLES = (
    "paired_unit",
    "unit_pairing",
    "member_registration",
    "volunteer_team",
    "need",
    "need_order",
)
NEEDS_PER_HOUSEHOLD = 53_000 / 240_000
#: Kinds of needs with their share (cumulative thresholds of a 0–99 draw).
KIND_DRAW = (
    "CASE WHEN {d} < 25 THEN 'wish' WHEN {d} < 50 THEN 'elderly' WHEN {d} < 70 THEN 'repair' "
    "WHEN {d} < 78 THEN 'childcare' WHEN {d} < 85 THEN 'disabled' WHEN {d} < 90 THEN 'legal' "
    "ELSE 'health' END"
)
KINDS_SQL = "ARRAY['wish','elderly','disabled','childcare','repair','legal','health']"
SURNAMES = "ARRAY[" + ",".join(f"'{c}'" for c in "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭罗邓") + "]"
GIVEN = "ARRAY[" + ",".join(f"'{c}'" for c in "秀英华明国建平芳军红玉兰伟强霞梅桂文志德") + "]"


def h(key: str, salt: str, modulo: int) -> str:
    """SQL: a deterministic draw in ``0 .. modulo-1`` from ``key`` (an SQL expression)."""
    return f"((hashtext(({key})::text || '{salt}') & 2147483647) % {modulo})"


@dataclass(frozen=True)
class SampleReport:
    units: int
    pairings: int
    registrations: int
    teams: int
    needs: int
    orders: int
    skipped: bool = False


_UNITS = f"""
INSERT INTO paired_unit (code, name, organisation_id, offer, skills, hours_per_month, geom)
SELECT 'JD' || o.code, o.name, o.id, '结对共建：' || o.name,
       ARRAY[({KINDS_SQL})[1 + {h("o.code", "k1", 7)}], ({KINDS_SQL})[1 + {h("o.code", "k2", 7)}]],
       40 + {h("o.code", "hrs", 9)} * 10,
       (SELECT ST_PointOnSurface(b.geom) FROM building b JOIN base_unit u ON u.id = b.base_unit_id
        JOIN community c ON c.id = u.community_id
        WHERE starts_with(c.code, :prefix) ORDER BY b.id
        OFFSET {h("o.code", "at", 997)} LIMIT 1)
FROM party_organisation o
WHERE o.kind IN ('agency', 'enterprise')
  AND EXISTS (SELECT 1 FROM party_member m JOIN community c ON c.id = m.community_id
              WHERE m.organisation_id = o.id AND starts_with(c.code, :prefix))
ON CONFLICT (code) DO NOTHING
"""

_PAIRINGS = f"""
WITH u AS (SELECT id, row_number() OVER (ORDER BY code) - 1 AS rn, count(*) OVER () AS n
           FROM paired_unit WHERE code LIKE 'JD%'),
c AS (SELECT id, row_number() OVER (ORDER BY code) - 1 AS rn FROM community
      WHERE starts_with(code, :prefix))
INSERT INTO unit_pairing (unit_id, community_id, starts_on)
SELECT DISTINCT u.id, c.id, :since FROM c CROSS JOIN generate_series(0, {PAIRS_PER_COMMUNITY - 1}) j
JOIN u ON u.rn = (c.rn * {PAIRS_PER_COMMUNITY} + j * 7) % u.n
"""

_REGISTRATIONS = f"""
INSERT INTO member_registration (member_id, community_id, skills, hours_per_month, starts_on)
SELECT m.id, m.community_id,
       CASE WHEN {h("m.code", "s2", 2)} = 0 THEN ARRAY[({KINDS_SQL})[1 + {h("m.code", "s1", 7)}]]
            ELSE ARRAY[({KINDS_SQL})[1 + {h("m.code", "s1", 7)}],
                       ({KINDS_SQL})[1 + {h("m.code", "s3", 7)}]] END,
       4 + {h("m.code", "hrs", 9)}, :since
FROM party_member m JOIN party_organisation o ON o.id = m.organisation_id
JOIN community c ON c.id = m.community_id
WHERE o.kind IN ('agency', 'enterprise') AND starts_with(c.code, :prefix)
"""

_TEAMS = f"""
INSERT INTO volunteer_team (code, name, community_id, skills, hours_per_month, volunteers, geom)
SELECT 'ZY' || c.code || j,
       c.name || (ARRAY['银龄','红马甲','青年','巾帼'])[j] || '志愿服务队', c.id,
       ARRAY[({KINDS_SQL})[1 + {h("c.code || j", "s1", 7)}],
             ({KINDS_SQL})[1 + {h("c.code || j", "s2", 7)}]],
       40 + {h("c.code || j", "hrs", 9)} * 10, 8 + {h("c.code || j", "v", 30)},
       ST_PointOnSurface(coalesce(bc.geom, c.geom))
FROM community c CROSS JOIN generate_series(1, 4) j
LEFT JOIN LATERAL (
    SELECT b.geom FROM base_unit u JOIN building b
    ON b.base_unit_id = u.id WHERE u.community_id = c.id ORDER BY b.id
    OFFSET {h("c.code || j", "at", 5)} LIMIT 1) bc ON true
WHERE starts_with(c.code, :prefix) AND (j < 4 OR {h("c.code", "four", 2)} = 0)
"""

_NEEDS = f"""
WITH b AS (
    SELECT b.id, b.base_unit_id, u.community_id, ST_PointOnSurface(b.geom) AS geom, ug.grid_id,
           row_number() OVER (ORDER BY b.id) - 1 AS rn
    FROM building b JOIN base_unit u ON u.id = b.base_unit_id
    JOIN community c ON c.id = u.community_id
    LEFT JOIN (SELECT DISTINCT ON (gu.unit_id) gu.unit_id, gu.grid_id FROM grid_unit gu
               JOIN grid g ON g.id = gu.grid_id
               JOIN grid_layer l ON l.id = g.layer_id AND l.code = 'unified'
               ORDER BY gu.unit_id, gu.grid_id) ug ON ug.unit_id = u.id
    WHERE starts_with(c.code, :prefix)
),
nb AS (SELECT count(*) AS n FROM b),
i AS (SELECT i, {h("i", "age", 365)} AS age, {h("i", "st", 100)} AS st,
             {h("i", "b", 2147483647)} % nb.n AS building_rn
      FROM generate_series(1, :n) i, nb)
INSERT INTO need (code, kind, title, community_id, grid_id, building_id, requester_name,
                  requester_phone, hours, due_on, status, source, created_at, updated_at, geom)
SELECT 'XQS' || :stamp || lpad(i.i::text, 7, '0'), k.kind, k.kind_title, b.community_id,
       b.grid_id, b.id,
       ({SURNAMES})[1 + {h("i.i", "sn", 20)}] || ({GIVEN})[1 + {h("i.i", "g1", 20)}]
           || ({GIVEN})[1 + {h("i.i", "g2", 20)}],
       '13' || lpad({h("i.i", "ph", 1000000000)}::text, 9, '0'),
       1 + {h("i.i", "hrs", 4)}, (:as_of - i.age + 3 + {h("i.i", "due", 12)})::date,
       CASE WHEN i.age > 30 THEN (CASE WHEN i.st < 70 THEN 'evaluated' WHEN i.st < 88 THEN 'done'
                                       WHEN i.st < 94 THEN 'cancelled' ELSE 'open' END)
            ELSE (CASE WHEN i.st < 25 THEN 'open' WHEN i.st < 40 THEN 'dispatched'
                       WHEN i.st < 60 THEN 'accepted' WHEN i.st < 85 THEN 'done'
                       WHEN i.st < 92 THEN 'evaluated' ELSE 'cancelled' END) END,
       (ARRAY['resident','resident','field','staff'])[1 + {h("i.i", "src", 4)}],
       :now - make_interval(days => i.age, hours => {h("i.i", "hr", 10)}),
       :now - make_interval(days => i.age, hours => {h("i.i", "hr", 10)}), b.geom
FROM i
JOIN b ON b.rn = i.building_rn
CROSS JOIN LATERAL (SELECT {KIND_DRAW.format(d=h("i.i", "kind", 100))} AS kind) k0
CROSS JOIN LATERAL (SELECT k0.kind, CASE k0.kind WHEN 'wish' THEN '微心愿' WHEN 'elderly'
    THEN '助老服务' WHEN 'repair' THEN '维修' WHEN 'childcare' THEN '托育' WHEN 'disabled'
    THEN '助残服务' WHEN 'legal' THEN '法律咨询' ELSE '健康服务' END AS kind_title) k
"""

#: One order per need past "open", to a taker of its community picked by hash; 10 % of them
#: declined once (by the next candidate) before.
_ORDERS = f"""
WITH cand AS (
    SELECT p.community_id, 'unit' AS kind, p.unit_id AS id FROM unit_pairing p
    UNION ALL SELECT r.community_id, 'member', r.member_id FROM member_registration r
    UNION ALL SELECT t.community_id, 'team', t.id FROM volunteer_team t
),
ranked AS (SELECT *, row_number() OVER (PARTITION BY community_id ORDER BY kind, id) - 1 AS rn
           FROM cand),
sizes AS (SELECT community_id, count(*) AS n FROM cand GROUP BY community_id),
pick AS (
    SELECT n.id AS need_id, n.community_id, n.status, n.hours, n.created_at, step,
           ({h("n.code", "taker", 100000)} + step) % sizes.n AS rn
    FROM need n JOIN sizes ON sizes.community_id = n.community_id
    CROSS JOIN LATERAL (
        SELECT 0 AS step UNION ALL SELECT 1 WHERE {h("n.code", "decl", 10)} = 0) s
    WHERE n.code LIKE 'XQS' || :stamp || '%' AND n.status NOT IN ('open', 'cancelled')
)
INSERT INTO need_order (need_id, taker_kind, unit_id, member_id, team_id, state, hours_given,
                        rating, dispatched_by, dispatched_at, answered_at, done_at)
SELECT pick.need_id, r.kind,
       CASE WHEN r.kind = 'unit' THEN r.id END, CASE WHEN r.kind = 'member' THEN r.id END,
       CASE WHEN r.kind = 'team' THEN r.id END,
       CASE WHEN pick.step = 1 THEN 'declined' WHEN pick.status = 'evaluated' THEN 'done'
            ELSE pick.status END,
       CASE WHEN pick.step = 0 AND pick.status IN ('done', 'evaluated')
            THEN pick.hours * (0.8 + {h("pick.need_id", "hg", 8)} / 10.0) END,
       CASE WHEN pick.step = 0 AND pick.status = 'evaluated'
            THEN 3 + least({h("pick.need_id", "rt", 5)}, 2) END,
       'system:sample', pick.created_at + make_interval(hours => 2 - pick.step),
       CASE WHEN pick.status <> 'dispatched' OR pick.step = 1
            THEN pick.created_at + make_interval(hours => 6 - pick.step) END,
       CASE WHEN pick.step = 0 AND pick.status IN ('done', 'evaluated')
            THEN pick.created_at + make_interval(days => 2) END
FROM pick JOIN ranked r ON r.community_id = pick.community_id AND r.rn = pick.rn
"""


def seed_engagement(
    conn: Connection,
    *,
    access: Access,
    prefix: str,
    as_of: dt.date | None = None,
    scale: float = 1.0,
) -> SampleReport:
    """Make the sample's units, pairings, registrations, teams and a year of needs up to
    ``as_of`` (today, China time) for the communities under code ``prefix``; once only (a
    second call finds the needs and changes nothing). ``scale`` shrinks the year of needs (the
    tests use a tenth: the takers are the same, the needs a sample of them)."""
    access.require(Permission.IMPORT_DATA)
    now = dt.datetime.now(CHINA)
    day = as_of or now.date()
    stamp = f"{day:%y}"
    done = conn.execute(
        text("SELECT count(*) FROM need WHERE code LIKE 'XQS' || :stamp || '%'"),
        {"stamp": stamp},
    ).scalar_one()
    if done:
        return SampleReport(0, 0, 0, 0, 0, 0, skipped=True)
    at = dt.datetime.combine(day, dt.time(18), tzinfo=CHINA)
    since = day.replace(year=day.year - 2)
    households = conn.execute(
        text(
            "SELECT coalesce(sum(u.households), 0) FROM base_unit u JOIN community c "
            "ON c.id = u.community_id WHERE starts_with(c.code, :prefix)"
        ),
        {"prefix": prefix},
    ).scalar_one()
    params = {"prefix": prefix, "since": since, "as_of": day, "now": at, "stamp": stamp}
    counts = []
    for sql, more in (
        (_UNITS, {}),
        (_PAIRINGS, {}),
        (_REGISTRATIONS, {}),
        (_TEAMS, {}),
        (_NEEDS, {"n": round(int(households) * NEEDS_PER_HOUSEHOLD * scale)}),
        (_ORDERS, {}),
    ):
        counts.append(conn.execute(text(sql), params | more).rowcount)
    # Fresh statistics: without them the planner takes the new tables for empty (nested loops
    # over 100,000 rows) until autovacuum comes by — or for ever, inside one transaction.
    for table in TABLES:
        conn.execute(text(f"ANALYZE {table}"))
    units, pairings, registrations, teams, needs, orders = counts
    report = SampleReport(units, pairings, registrations, teams, needs, orders)
    log.info("sample engagement data: %s", report)
    return report


def link_demo_taker(conn: Connection, username: str, *, access: Access) -> str | None:
    """Let the demo login ``username`` (role taker) act for the paired unit of its community
    that holds the most orders, so that 我的接单 shows real orders in ``make demo``; returns the
    unit's code, or None when the sample's engagement data are not there."""
    row = conn.execute(
        text(
            """SELECT p.code FROM app_user u
               JOIN community c ON c.code = u.scope_code
               JOIN unit_pairing up ON up.community_id = c.id AND up.ends_on IS NULL
               JOIN paired_unit p ON p.id = up.unit_id
               LEFT JOIN need_order o ON o.unit_id = p.id
               WHERE u.username = :u AND u.role = 'taker'
               GROUP BY p.code ORDER BY count(o.*) DESC, p.code LIMIT 1"""
        ),
        {"u": username},
    ).first()
    if row is None:
        return None
    link_taker(conn, username, TakerRef("unit", str(row.code)), access=access)
    return str(row.code)
