"""Possible duplicates of a new report: open incidents of its category, near it, not long before.

Before a report is filed (on the field page, by a hotline app), the reporter or dispatcher is shown
what may already be the same problem — FixMyStreet shows open reports of the category within about
50 m; 12345 hotlines call them 重复工单. Each category says how near and how soon
(``incident_category.duplicate_metres`` / ``duplicate_hours``, migration 0013).

One indexed query: the GiST index on ``incident.geom`` finds candidates in a box a little larger
than the radius (degrees of latitude and longitude at that latitude), then the geodesic distance
decides, nearest first. Only incidents the caller may see are suggested, and never a report
already merged into another (its primary is suggested instead).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission
from gis.errors import Invalid
from gis.incidents.access import require_any, scope_sql
from gis.incidents.catalogue import get_category

METRES_PER_DEGREE = 111_320.0
MAX_SUGGESTIONS = 20


@dataclass(frozen=True)
class PossibleDuplicate:
    code: str
    category: str
    state: str
    reported_at: dt.datetime
    distance_m: float
    hours_before: float
    description: str


_SQL = """
SELECT i.code, i.category, i.state, i.reported_at, left(i.description, 120) AS description,
       ST_Distance(i.geom::geography, p.point::geography) AS distance_m
FROM incident i, (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS point) p
WHERE i.category = :category AND i.state <> 'evaluated' AND i.merged_into_id IS NULL
  AND i.geom && ST_Expand(p.point, :degrees)
  AND ST_DWithin(i.geom::geography, p.point::geography, :metres)
  AND i.reported_at <= :at AND i.reported_at >= :since
  AND ({scope})
ORDER BY distance_m, i.reported_at DESC, i.code
LIMIT :limit
"""


def possible_duplicates(
    conn: Connection,
    *,
    lon: float,
    lat: float,
    category: str,
    access: Access,
    at: dt.datetime | None = None,
    limit: int = 5,
) -> list[PossibleDuplicate]:
    """Open incidents of ``category`` within its distance of (lon, lat), reported within its
    time window before ``at`` (default now), nearest first."""
    require_any(
        "look for duplicate incidents",
        Permission.REPORT_INCIDENTS,
        Permission.DISPATCH_INCIDENTS,
        Permission.HANDLE_INCIDENTS,
        access=access,
    )
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise Invalid(
            f"经纬度超出范围：({lon}, {lat}) (lon/lat out of range: ({lon}, {lat}))",
            lon=lon,
            lat=lat,
        )
    if not 1 <= limit <= MAX_SUGGESTIONS:
        raise Invalid(f"limit 须在 1–{MAX_SUGGESTIONS} 之间 (limit must be 1–{MAX_SUGGESTIONS})")
    get_category(conn, category)  # an unknown category is named in a 422
    metres, hours = conn.execute(
        text("SELECT duplicate_metres, duplicate_hours FROM incident_category WHERE code = :c"),
        {"c": category},
    ).one()
    at = at or dt.datetime.now(dt.UTC)
    # A box in degrees that holds the circle: a degree of longitude shrinks with cos(latitude).
    degrees = metres / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01)) * 1.1
    scope = scope_sql(access.scope)
    rows = conn.execute(
        text(_SQL.format(scope=scope.sql)),
        {
            "lon": lon,
            "lat": lat,
            "category": category,
            "metres": metres,
            "degrees": degrees,
            "at": at,
            "since": at - dt.timedelta(hours=hours),
            "limit": limit,
        }
        | scope.params,
    ).mappings()
    return [
        PossibleDuplicate(
            code=r["code"],
            category=r["category"],
            state=r["state"],
            reported_at=r["reported_at"],
            distance_m=round(float(r["distance_m"]), 1),
            hours_before=round((at - r["reported_at"]).total_seconds() / 3600, 1),
            description=r["description"] or "",
        )
        for r in rows
    ]
