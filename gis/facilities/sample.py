"""The sample city's service points, made in PostGIS from its communities (``gridmap
load-sample``).

Deterministic: every choice is a hash of a community's or unit's code and a salt
(``hashtext``), never ``random()``; one INSERT, milliseconds on the sample city. Ratios after the
seeds, scaled to a community: a 党群服务中心 and a 议事厅 in every community, a 居民之家 in three of
four, a 一老一小幸福院 in every other one, a meal point (助餐点) per ~1,500 households, and a
暖"新"驿站 in one urban community of three. A point stands in a unit the hash picks.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission

#: (kind, code tag, name suffix, how many in a community — SQL over ``c`` and ``hh``, its
#: households —, capacity, opening hours).
PLAN = (
    ("meal", "MP", "助餐点", "1 + hh / 1500", 60, "10:30-13:00,16:30-18:30"),
    ("elderly_child", "EC", "一老一小幸福院", "(hashtext(c.code || 'ec') & 1)", 40, "08:00-18:00"),
    (
        "rider_station",
        "RS",
        "暖“新”驿站",
        "CASE WHEN c.kind = 'urban' AND (hashtext(c.code || 'rs') & 2147483647) % 3 = 0 "
        "THEN 1 ELSE 0 END",
        20,
        "00:00-24:00",
    ),
    ("party_centre", "PC", "党群服务中心", "1", 100, "08:30-17:30"),
    (
        "residents_home",
        "RH",
        "居民之家",
        "CASE WHEN (hashtext(c.code || 'rh') & 2147483647) % 4 < 3 THEN 1 ELSE 0 END",
        50,
        "09:00-21:00",
    ),
    ("council", "CH", "议事厅", "1", 30, "按议程开放"),
)


def seed_facilities(conn: Connection, *, access: Access, prefix: str = "") -> int:
    """Place the sample service points of the communities under ``prefix``; a community that
    has a facility already is left alone (a second load changes nothing). Rows inserted."""
    access.require(Permission.IMPORT_DATA)
    conn.exec_driver_sql("DROP TABLE IF EXISTS s_facility_communities")
    conn.execute(
        text(
            """CREATE TEMP TABLE s_facility_communities ON COMMIT DROP AS
               SELECT c.id, c.code, c.name, c.kind, coalesce(sum(u.households), 0) AS hh
               FROM community c LEFT JOIN base_unit u ON u.community_id = c.id
               WHERE starts_with(c.code, :prefix)
                 AND NOT EXISTS (SELECT 1 FROM facility f WHERE f.community_id = c.id)
               GROUP BY c.id"""
        ),
        {"prefix": prefix},
    )
    inserted = 0
    for kind, tag, suffix, many, capacity, hours in PLAN:
        inserted += conn.execute(
            text(
                f"""INSERT INTO facility (code, kind, name, capacity, opening_hours,
                                          community_id, geom)
                    SELECT c.code || 'F' || :tag || lpad(n::text, 2, '0'), :kind,
                           c.name || :suffix || CASE WHEN n > 1 THEN n::text ELSE '' END,
                           :capacity, :hours, c.id, u.p
                    FROM s_facility_communities c
                    CROSS JOIN LATERAL generate_series(1, {many}) AS n
                    CROSS JOIN LATERAL (
                        SELECT ST_PointOnSurface(u.geom) AS p FROM base_unit u
                        WHERE u.community_id = c.id
                        ORDER BY hashtext(u.code || :kind || n), u.id LIMIT 1) AS u
                    ON CONFLICT (code) DO NOTHING"""
            ),
            {
                "kind": kind,
                "tag": tag,
                "suffix": suffix,
                "capacity": capacity,
                "hours": hours,
            },
        ).rowcount
    return inserted
