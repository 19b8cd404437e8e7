"""What grid boundaries run along: main roads, secondary roads, the river — or nothing visible.

The seeds ask for grids whose boundaries are clear (界定清晰): a line that follows a road, a
river or a wall everyone can see. Every boundary two adjacent base units share is measured and
judged once (``unit_edge``, :mod:`gis.unit_edges`).

A layer's (or a scenario's, or a plan's) grid boundary is then the set of unit edges whose two
units are in different grids of that layer — the boundary of the dissolved grids without the
city's outline, because an edge on the outline has no second unit. Its length by kind is a
join and a sum over ``grid_unit``, so the compare table asks it for five layers at once. Edges
nobody could judge (no road or river known there) are left out, so such an area's shares are
None rather than "100 % nothing visible".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis.access import Access
from gis.layers import get_layer
from gis.optimizer.io import area_filter

#: Labels of what a boundary runs along (``unit_edge.kind``), Chinese first.
EDGE_KIND_LABELS: dict[str, str] = {
    "river": "河流 River",
    "primary": "主干道 Main road",
    "secondary": "次干道 Secondary road",
    "branch": "支路 Branch road",
    "lane": "巷道 Lane",
    "none": "无明显地物 Nothing visible",
}


@dataclass(frozen=True)
class BoundaryShares:
    """A layer's grid boundary: its length and the share of it along each kind (0–1).

    Shares are None (and the length 0) where no road or river is known: "nothing visible"
    would then be a guess, not a measurement.
    """

    code: str
    length_km: float
    river: float | None
    primary: float | None
    secondary: float | None
    branch: float | None
    lane: float | None
    none: float | None
    #: Along a road or the river: what makes a boundary clear on the ground.
    visible: float | None


#: The second unit of an edge is found through grid_unit's primary key, not a second scan of
#: ``member``: once psycopg prepares the statement (fifth run on a connection) PostgreSQL may
#: plan it generically, guess one member row and nest-loop a CTE scan inside (99 s for 临川
#: instead of 0.1 s). Index lookups stay fast whatever the guess.
_SHARES = """
WITH member AS MATERIALIZED (
    SELECT l.code AS layer, l.id AS layer_id, gu.unit_id, gu.grid_id
    FROM grid_layer l JOIN grid_unit gu ON gu.layer_id = l.id
    JOIN base_unit u ON u.id = gu.unit_id JOIN community c ON c.id = u.community_id
    WHERE l.code = ANY(:codes) AND {area}
)
SELECT a.layer, e.kind, sum(e.length_m) AS metres
FROM member a JOIN unit_edge e ON e.unit_a = a.unit_id
JOIN grid_unit b ON b.layer_id = a.layer_id AND b.unit_id = e.unit_b
JOIN base_unit ub ON ub.id = e.unit_b JOIN community cb ON cb.id = ub.community_id
WHERE a.grid_id <> b.grid_id AND e.kind IS NOT NULL AND {area_b}
GROUP BY a.layer, e.kind
"""


def boundary_shares(
    conn: Connection, codes: Sequence[str], area: list[str] | None = None
) -> dict[str, BoundaryShares]:
    """The grid boundary of each layer in ``codes`` over the units of ``area`` (codes of
    districts, streets or communities; None: every unit), split by what it runs along.

    Callers check access to the layers and the area (the compare and report functions do).
    """
    where = area_filter("c.code") if area is not None else "true"
    where_b = area_filter("cb.code") if area is not None else "true"
    metres: dict[str, dict[str, float]] = {code: {} for code in codes}
    for layer, kind, length in conn.execute(
        text(_SHARES.format(area=where, area_b=where_b)), {"codes": list(codes), "area": area}
    ):
        metres[layer][kind] = float(length)
    out = {}
    for code, by_kind in metres.items():
        total = sum(by_kind.values())
        shares: dict[str, float | None] = {
            k: round(by_kind.get(k, 0.0) / total, 4) if total else None for k in EDGE_KIND_LABELS
        }
        visible = round(1.0 - by_kind.get("none", 0.0) / total, 4) if total else None
        out[code] = BoundaryShares(
            code=code, length_km=round(total / 1000, 3), visible=visible, **shares
        )
    return out


def layer_boundaries(
    conn: Connection, code: str, band: tuple[float, float], *, access: Access
) -> BoundaryShares:
    """What the grid boundary of layer ``code`` runs along, within the user's scope.

    The layer must be one the user may see (:func:`gis.layers.get_layer`, NotFound otherwise).
    A grid-level scope (a field worker) is measured over the grid's community: the figure is
    about lines on the ground, not about people.
    """
    get_layer(conn, code, band, access=access)
    scope = access.scope.code
    return boundary_shares(conn, [code], [scope[:12]] if scope else None)[code]
