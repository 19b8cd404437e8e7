"""Suggest: the optimizer's repair search, restricted to one grid's surroundings or one community.

A planner looking at an over-full grid wants to know which few units to hand to which neighbour,
not a whole new plan. So the search starts from today's grids, pays for every unit it moves
(:class:`~gis.optimizer.solver.Objective`'s move cost), keeps every grid connected (two units
count as neighbours only where they share at least ``min_shared_m`` metres, as everywhere) and
stops once the grids are in the band. Different move costs and orders give a few alternatives —
"move little" against "balance more" — and the planner previews each as a manual move
(:func:`gis.editing.move_units` with ``dry_run``) before applying one.

Locked grids and grids that reach outside the planner's scope stay as they are: their units are
left out of the search.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission
from gis.editing.changeset import find_layer
from gis.editing.operations import NEW, MoveGroup
from gis.errors import Infeasible, Invalid, NotFound
from gis.infra.settings import Settings
from gis.optimizer import optimize
from gis.optimizer.graph import UnitGraph, encode_groups, from_edges
from gis.optimizer.reshape import merge_down, split_up, target_count
from gis.optimizer.solver import SolverParams, partition_piece
from gis.workload import workload_sql

#: (label, move cost, seed, change the count): merges or splits first when the area's total
#: cannot fit its grid count into the band; then moves of boundary units only, cheap then freer.
VARIANTS: tuple[tuple[str, float, int, str], ...] = (
    ("合并/拆分, 少动 Merge or split, few moves", 0.01, 1, "nearest"),
    ("合并/拆分, 均衡 Merge or split to the band's middle", 0.002, 2, "middle"),
    ("只调边界 Boundary moves only", 0.01, 1, "same"),
    ("只调边界, 均衡 Boundary moves, balanced", 0.0005, 3, "same"),
)
REPAIR_LABEL = "方案修复 As a scenario run would repair it"
#: Grids a suggestion for one grid may touch: the grid and its neighbours in its community.
_AREA_SQL = """
    WITH target AS (
        SELECT g.id, g.community_id, g.geom FROM grid g
        WHERE g.layer_id = :layer AND g.code = :grid AND {reach})
    SELECT n.id FROM target t JOIN grid n ON n.layer_id = :layer
       AND n.community_id = t.community_id
       AND (n.id = t.id OR (n.geom && t.geom AND ST_Relate(t.geom, n.geom, '****1****')))
"""
_COMMUNITY_SQL = """
    SELECT g.id FROM grid g JOIN community c ON c.id = g.community_id
    WHERE g.layer_id = :layer AND c.code = :community AND {reach}
"""
_UNITS_SQL = """
    SELECT u.id, u.code, g.code AS grid, {workload} AS workload
    FROM grid g JOIN grid_unit gu ON gu.grid_id = g.id JOIN base_unit u ON u.id = gu.unit_id
    WHERE g.id = ANY(:grids) AND NOT g.locked AND {whole}
    ORDER BY u.code
"""
_EDGES_SQL = """
    SELECT e.unit_a, e.unit_b, e.length_m FROM unit_edge e
    WHERE e.unit_a = ANY(:units) AND e.unit_b = ANY(:units) AND e.length_m >= :min_shared
"""


Status = Literal["changed", "created", "deleted"]


@dataclass(frozen=True)
class GridLoad:
    """A grid's workload today and after the suggestion."""

    code: str  # "new" for a grid the suggestion creates
    status: Status
    before: float
    after: float


@dataclass(frozen=True)
class Suggestion:
    """One alternative: the moves to preview or apply, and what they do to the grids."""

    label: str
    moves: list[MoveGroup]
    units_moved: int
    in_band_before: int
    in_band_after: int
    grids_after: int  # the count changes when grids are merged or split
    grids: list[GridLoad]


@dataclass(frozen=True)
class Suggestions:
    """The alternatives for an area (best first; none when the area is in the band already)."""

    layer: str
    version: int
    area: str  # the grid's or the community's code
    grids: int  # grids the search could change
    in_band: int  # of those, in the band today
    band: tuple[float, float]
    suggestions: list[Suggestion]


def suggest_moves(
    conn: Connection,
    layer_code: str,
    *,
    grid: str | None = None,
    community: str | None = None,
    settings: Settings,
    access: Access,
) -> Suggestions:
    """A few alternative sets of moves that bring the grids of the area into the band."""
    access.require(Permission.EDIT_LAYERS)
    if (grid is None) == (community is None):
        raise Invalid("请给出 grid 或 community 之一 (give a grid or a community, not both)")
    layer = find_layer(conn, layer_code)
    reach = access.scope.grid_sql("g")
    area_sql = _AREA_SQL if grid else _COMMUNITY_SQL
    grid_ids = list(
        conn.execute(
            text(area_sql.format(reach=reach.sql)),
            {"layer": layer.id, "grid": grid, "community": community} | reach.params,
        ).scalars()
    )
    if not grid_ids:
        what = f"网格 {grid} (grid {grid})" if grid else f"社区 {community} (community {community})"
        raise NotFound(
            f"图层 {layer.code!r} 的可见范围中没有{what} "
            f"(layer {layer.code!r} has no such area in your scope)",
            layer=layer.code,
            area=grid or community,
        )
    band = (settings.band_low, settings.band_high)
    whole = access.scope.grid_sql("g", entirely=True)
    units = conn.execute(
        text(_UNITS_SQL.format(workload=workload_sql(settings.weights, "u"), whole=whole.sql)),
        {"grids": grid_ids} | whole.params,
    ).all()
    found = Suggestions(layer.code, layer.version, grid or community or "", 0, 0, band, [])
    if not units:
        return found
    unit_ids = np.array([u.id for u in units], dtype=np.int64)
    codes = np.array([u.code for u in units], dtype=object)
    plan = np.array([u.grid for u in units], dtype=object)
    workload = np.array([float(u.workload) for u in units], dtype=np.float64)
    grid_codes = sorted(set(plan.tolist()))
    loads = {g: float(workload[plan == g].sum()) for g in grid_codes}
    in_band = sum(band[0] <= x <= band[1] for x in loads.values())
    found = Suggestions(layer.code, layer.version, found.area, len(grid_codes), in_band, band, [])
    if in_band == len(grid_codes) or len(units) <= len(grid_codes):
        return found
    edges = conn.execute(
        text(_EDGES_SQL), {"units": unit_ids.tolist(), "min_shared": settings.min_shared_m}
    ).all()
    index = {int(u): i for i, u in enumerate(unit_ids.tolist())}
    names, groups = encode_groups(None, len(units))
    graph = from_edges(
        ids=codes,
        workload=workload,
        groups=groups,
        group_names=names,
        edge_i=np.array([index[e.unit_a] for e in edges], dtype=np.int64),
        edge_j=np.array([index[e.unit_b] for e in edges], dtype=np.int64),
        shared=np.array([float(e.length_m) for e in edges], dtype=np.float64),
    )
    initial = np.array([grid_codes.index(g) for g in plan.tolist()], dtype=np.int64)
    total = float(workload.sum())
    candidates = [(label, _variant(graph, initial, band, total, move_cost, seed, counting))
                  for label, move_cost, seed, counting in VARIANTS]  # fmt: skip
    candidates.append((REPAIR_LABEL, _repair(graph, initial, band)))
    seen: set[bytes] = set()
    for label, after in candidates:
        if after is None or after.tobytes() in seen:
            continue
        seen.add(after.tobytes())
        suggestion = _suggestion(label, codes, workload, initial, after, grid_codes, band)
        if suggestion.units_moved:
            found.suggestions.append(suggestion)
    found.suggestions.sort(key=lambda s: (-s.in_band_after / s.grids_after, s.units_moved))
    return found


def _variant(
    graph: UnitGraph,
    initial: NDArray[np.int64],
    band: tuple[float, float],
    total: float,
    move_cost: float,
    seed: int,
    counting: str,
) -> NDArray[np.int64] | None:
    """One alternative: merges or splits to a count that fits, then the repair search."""
    count = len(np.unique(initial))
    if counting != "same":
        fits = target_count(total, count, band, middle=counting == "middle")
        if fits == count:
            return None  # the boundary-only variants cover it
        count = fits
    start = initial
    if count < len(np.unique(initial)):
        start = merge_down(graph, initial, count)
    elif count > len(np.unique(initial)):
        start = split_up(graph, initial, count, seed)
    # the search wants labels 0..k-1; ``numbers`` takes them back (≥ today's count: new grids)
    numbers, start = np.unique(start, return_inverse=True)
    labels = partition_piece(
        graph, len(numbers), seed, params=SolverParams(move_cost=move_cost), initial=start,
        band=band,
    )  # fmt: skip
    after: NDArray[np.int64] = numbers[_relabel(labels, start)]
    return after


def _repair(
    graph: UnitGraph, initial: NDArray[np.int64], band: tuple[float, float]
) -> NDArray[np.int64] | None:
    """What a scenario run would make of the area: the optimizer's own repair (it may cut a
    piece afresh when that puts more grids in the band). None when no count fits the band."""
    try:
        plan = optimize(graph, band=band, seed=7, from_plan=initial.tolist(), workers=1)
    except Infeasible:
        return None
    return _relabel(plan.labels, initial)


def _relabel(labels: NDArray[np.int64], initial: NDArray[np.int64]) -> NDArray[np.int64]:
    """The search numbers grids by their first unit; give each the grid code it keeps the most
    units of (a one-to-one assignment, so two results never claim the same code)."""
    k = int(max(labels.max(), initial.max())) + 1
    overlap = np.zeros((k, k), dtype=np.int64)
    np.add.at(overlap, (labels, initial), 1)
    rows, cols = linear_sum_assignment(-overlap)
    mapping = np.empty(k, dtype=np.int64)
    mapping[rows] = cols
    relabelled: NDArray[np.int64] = mapping[labels]
    return relabelled


def _suggestion(
    label: str,
    codes: np.ndarray,
    workload: np.ndarray,
    initial: np.ndarray,
    after: np.ndarray,
    grid_codes: list[str],
    band: tuple[float, float],
) -> Suggestion:
    """Moves grouped by target (each new grid its own group, ``to: "new"``) and the grids'
    loads; a grid emptied by the moves is deleted by the editor, as when a planner empties it."""
    existing = len(grid_codes)
    moved = np.flatnonzero(after != initial)
    by_target: dict[int, list[str]] = defaultdict(list)
    for i in moved.tolist():
        by_target[int(after[i])].append(str(codes[i]))
    size = int(max(after.max(), initial.max())) + 1
    before = np.bincount(initial, weights=workload, minlength=size)
    later = np.bincount(after, weights=workload, minlength=size)
    grids = []
    for g in range(size):
        if before[g] == later[g] and g < existing:
            continue
        code = grid_codes[g] if g < existing else NEW
        status: Status = "changed"
        if g >= existing:
            status = "created"
        elif not (after == g).any():
            status = "deleted"
        grids.append(GridLoad(code, status, round(float(before[g]), 1), round(float(later[g]), 1)))
    alive = np.unique(after)
    return Suggestion(
        label=label,
        moves=[
            MoveGroup(sorted(units), grid_codes[to] if to < existing else NEW)
            for to, units in sorted(by_target.items())
        ],
        units_moved=len(moved),
        in_band_before=int(((before >= band[0]) & (before <= band[1]))[:existing].sum()),
        in_band_after=int(((later >= band[0]) & (later <= band[1]))[alive].sum()),
        grids_after=len(alive),
        grids=grids,
    )
