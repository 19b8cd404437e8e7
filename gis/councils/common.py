"""What every council module shares: the order of the four steps, where a point lies (its
community and unified grid), and the SQL that places a council or a venue in a scope.

A council's ``status`` says how far it has gone; the step allowed next follows from it alone::

    raised ─了解诉求─► understood ─分析研判─► analysed ─议事会商─► deliberated ─落实问效─► settled
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis.errors import Forbidden, Invalid, NotFound
from gis.labels import COUNCIL_PARTIES, COUNCIL_STEPS
from gis.needs.common import need_scope_sql
from gis.scope import Scope, SqlFilter

#: step → (the status it needs, the status it leaves).
STEP_MOVES: dict[str, tuple[str, str]] = {
    "understand": ("raised", "understood"),
    "analyse": ("understood", "analysed"),
    "deliberate": ("analysed", "deliberated"),
    "follow_up": ("deliberated", "settled"),
}
#: status → the one step allowed next (none once settled).
NEXT_STEP: dict[str, str | None] = {before: step for step, (before, _) in STEP_MOVES.items()} | {
    "settled": None
}
PARTIES = tuple(COUNCIL_PARTIES)
STEPS = tuple(COUNCIL_STEPS)
#: Statuses counted as "held" (the council has sat: 议事会商 done).
HELD = ("deliberated", "settled")


def council_scope_sql(scope: Scope, council: str = "k", community: str = "c") -> SqlFilter:
    """Councils (alias ``council``, community ``community``) a scope reaches — as for needs:
    a grid scope reaches those placed in its grid."""
    return need_scope_sql(scope, council, community)


def check_party(role: str) -> str:
    if role not in COUNCIL_PARTIES:
        raise Invalid(
            f"未知的议事方 {role!r}：可选 {', '.join(PARTIES)} ("
            f"unknown party {role!r}: one of {', '.join(PARTIES)})",
            party=role,
        )
    return role


@dataclass(frozen=True)
class Spot:
    """Where a point lies: its community (id, code) and unified grid (id, or None)."""

    lon: float
    lat: float
    community_id: int | None
    community_code: str | None
    grid_id: int | None


_LOCATE = """
WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS geom)
SELECT c.id AS community_id, c.code AS community_code, g.id AS grid_id
FROM p
LEFT JOIN LATERAL (SELECT u.id, u.community_id FROM base_unit u WHERE ST_Covers(u.geom, p.geom)
                   ORDER BY u.id LIMIT 1) u ON true
LEFT JOIN community c ON c.id = u.community_id
LEFT JOIN LATERAL (
    SELECT g.id FROM grid_unit gu JOIN grid g ON g.id = gu.grid_id
    JOIN grid_layer l ON l.id = g.layer_id AND l.code = 'unified'
    WHERE gu.unit_id = u.id LIMIT 1
) g ON true
"""


def locate(conn: Connection, lon: float, lat: float) -> Spot:
    """The community and unified grid of the base unit holding (lon, lat), in PostGIS."""
    row = conn.execute(text(_LOCATE), {"lon": lon, "lat": lat}).one()
    return Spot(lon, lat, row.community_id, row.community_code, row.grid_id)


def community_row(conn: Connection, code: str) -> Any:
    """A community's id, code, name and a point inside it (404 if there is none)."""
    row = conn.execute(
        text(
            "SELECT id, id AS community_id, code, name, ST_X(ST_PointOnSurface(geom)) AS lon, "
            "ST_Y(ST_PointOnSurface(geom)) AS lat FROM community WHERE code = :code"
        ),
        {"code": code},
    ).first()
    if row is None:
        raise NotFound(f"没有社区 {code!r} (no community {code!r})", community=code)
    return row


def require_reach(scope: Scope, community_code: str, grid_code: str | None, what: str) -> None:
    """403 unless ``scope`` reaches the community (a grid scope: the grid) ``what`` lies in."""
    inside = (
        scope.reaches_grid("unified", grid_code or "", [])
        if scope.level == "grid"
        else scope.reaches(community_code)
    )
    if not inside:
        raise Forbidden(
            f"{what}位于社区 {community_code}，不在您的权限范围（{scope}）内 ("
            f"it lies in community {community_code}, outside your scope ({scope}))",
            community=community_code,
        )
