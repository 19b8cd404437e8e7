"""The service points a caller may see, each with how far it stands from the walking network
(a point more than 200 m away is flagged: no walk is computed from it)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission
from gis.facilities.kinds import KIND_LABELS, FacilityKind
from gis.facilities.network import MAX_SNAP_M
from gis.facilities.reach import NEAREST


@dataclass(frozen=True)
class FacilityRow:
    """One service point as a list or a map shows it."""

    code: str
    kind: str
    kind_label: str
    name: str
    capacity: int | None
    opening_hours: str
    community_code: str
    community_name: str
    lon: float
    lat: float
    network_m: float | None
    flagged: bool


def list_facilities(
    conn: Connection, *, access: Access, kind: FacilityKind | None = None, limit: int = 5000
) -> list[FacilityRow]:
    """Facilities in the caller's scope (of ``kind``), ordered by code."""
    access.require(Permission.VIEW_MAP)
    where = access.scope.filter_sql("c.code")
    rows = conn.execute(
        text(
            f"""SELECT f.code, f.kind, f.name, f.capacity, f.opening_hours, c.code, c.name,
                       ST_X(f.geom), ST_Y(f.geom), n.dist
                FROM facility f JOIN community c ON c.id = f.community_id
                LEFT JOIN LATERAL ({NEAREST.format(p="f.geom")}) AS n ON true
                WHERE (CAST(:kind AS text) IS NULL OR f.kind = :kind) AND {where.sql}
                ORDER BY f.code LIMIT :limit"""
        ),
        {"kind": kind, "limit": limit, **where.params},
    ).all()
    return [
        FacilityRow(
            r[0],
            r[1],
            KIND_LABELS[r[1]],
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            float(r[7]),
            float(r[8]),
            None if r[9] is None else float(r[9]),
            r[9] is None or float(r[9]) > MAX_SNAP_M,
        )
        for r in rows
    ]
