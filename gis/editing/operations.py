"""The edits a planner makes: move units and new grid here; split, merge, lock, rename and
re-code in :mod:`gis.editing.grid_operations`.

Each one reads what it needs in PostGIS, builds a :class:`~gis.editing.changeset.Changeset`
and hands it to :func:`~gis.editing.changeset.apply_changeset`, which checks the rules and
writes it (or, for a dry run, previews it). Every function takes the version of the layer the
planner was looking at: an edit made on a stale version is refused with what changed since.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission
from gis.editing.changeset import (
    Changeset,
    CrossesCommunity,
    EditRequest,
    GridState,
    Layer,
    Move,
    check_version,
    lock_layer,
)
from gis.editing.writer import EditResult, apply_changeset
from gis.errors import Conflict, Forbidden, Invalid, NotFound
from gis.infra.settings import Settings
from gis.scope import Scope

#: A grid code: its community's 12 digits and 3 more (DB11).
GRID_CODE_RE = re.compile(r"[0-9]{15}")
NEW = "new"
MAX_UNITS = 5000
MAX_LINE_POINTS = 1000


@dataclass(frozen=True)
class MoveGroup:
    """Units to move into one grid: a grid code, or ``"new"`` for a new grid."""

    units: Sequence[str]
    to: str
    name: str | None = None  # the new grid's name (``to == "new"`` only)


@dataclass(frozen=True)
class EditOptions:
    version: int | None
    dry_run: bool = False
    confirm: bool = False


def begin_edit(
    conn: Connection, layer_code: str, version: int | None, *, access: Access
) -> tuple[Scope, Layer]:
    access.require(Permission.EDIT_LAYERS)
    scope = access.scope
    layer = lock_layer(conn, layer_code)
    check_version(conn, layer, version)
    return scope, layer


def grid_row(conn: Connection, layer: Layer, code: str, scope: Scope) -> Any:
    """A grid the actor may edit: one wholly inside their scope (checked before anything else
    is said about it, so that no answer tells of a grid or community outside the scope)."""
    inside = scope.grid_sql("g", entirely=True, one_row=True)
    row = conn.execute(
        text(
            "SELECT g.id, g.code, g.name, g.community_id, g.locked, g.unit_count, "
            "c.code AS community_code, c.name AS community_name, "
            f"({inside.sql}) AS inside FROM grid g "
            "LEFT JOIN community c ON c.id = g.community_id "
            "WHERE g.layer_id = :layer AND g.code = :code"
        ),
        {"layer": layer.id, "code": code} | inside.params,
    ).first()
    if row is None:
        raise NotFound(
            f"图层 {layer.code!r} 中没有网格 {code} (layer {layer.code!r} has no grid {code})",
            layer=layer.code,
            grid=code,
        )
    if not row.inside:
        raise Forbidden(
            f"图层 {layer.code!r} 的网格 {code} 不完全在您的权限范围（"
            f"{scope}）内：只能编辑范围内的网格 ("
            f"grid {code} of layer {layer.code!r} is not wholly inside your scope ({scope}): "
            "you may only edit grids inside it)",
            layer=layer.code,
            grid=code,
        )
    return row


def grid_state(row: Any) -> GridState:
    return GridState(row.code, row.name, row.community_id, bool(row.locked))


def next_codes(conn: Connection, layer: Layer, community_id: int, count: int = 1) -> list[str]:
    """Free grid codes in a community: its code and the next unused 3-digit numbers (DB11)."""
    community = conn.execute(
        text("SELECT code FROM community WHERE id = :id"), {"id": community_id}
    ).scalar_one()
    used = {
        int(code[12:])
        for code in conn.execute(
            text("SELECT code FROM grid WHERE layer_id = :layer AND starts_with(code, :c)"),
            {"layer": layer.id, "c": community},
        ).scalars()
        if len(code) == 15 and code[12:].isdigit()
    }
    # Numbers run on after the highest in use (a planner reads 007 as newer than 003); the
    # 900s are the departmental layers' numbers, so they are kept out of a unified layer.
    start = max((n for n in used if n < 900), default=0) + 1
    candidates = [*range(start, 900), *range(1, start)]
    free = [n for n in candidates if n not in used][:count]
    if len(free) < count:
        raise Conflict(
            f"社区 {community} 已没有可用的网格序号 ("
            f"community {community} has no free grid number left)",
            community=community,
        )
    return [f"{community}{n:03d}" for n in free]


def default_name(conn: Connection, community_id: int, code: str) -> str:
    name = conn.execute(
        text("SELECT name FROM community WHERE id = :id"), {"id": community_id}
    ).scalar_one()
    return f"{name}第{int(code[12:])}网格"


def _units(conn: Connection, layer: Layer, codes: Sequence[str], scope: Scope) -> dict[str, Any]:
    """The units by code with their community and current grid; unknown codes are named."""
    if not codes:
        raise Invalid("请至少选择一个基础单元 (select at least one base unit)", layer=layer.code)
    if len(codes) > MAX_UNITS:
        raise Invalid(
            f"一次编辑最多移动 {MAX_UNITS} 个单元 (one edit moves at most {MAX_UNITS} units)",
            layer=layer.code,
        )
    within = scope.unit_sql("u")
    rows = {
        r.code: r
        for r in conn.execute(
            text(
                "SELECT u.id, u.code, u.community_id, c.code AS community_code, "
                "c.name AS community_name, g.code AS grid_code, "
                f"({within.sql}) AS inside FROM base_unit u "
                "JOIN community c ON c.id = u.community_id "
                "LEFT JOIN grid_unit gu ON gu.unit_id = u.id AND gu.layer_id = :layer "
                "LEFT JOIN grid g ON g.id = gu.grid_id WHERE u.code = ANY(:codes)"
            ),
            {"layer": layer.id, "codes": list(codes)} | within.params,
        )
    }
    missing = [c for c in codes if c not in rows]
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise NotFound(
            f"没有基础单元 {', '.join(missing[:3])}{more} ("
            f"no base unit {', '.join(missing[:3])}{more})",
            unit=missing[0],
        )
    foreign = [c for c in codes if not rows[c].inside]
    if foreign:
        raise Forbidden(
            f"单元 {foreign[0]} 不在您的权限范围（{scope}）内：只能编"
            "辑范围内的单元 ("
            f"unit {foreign[0]} is outside your scope ({scope}): you may only edit inside it)",
            layer=layer.code,
            unit=foreign[0],
        )
    outside = [c for c in codes if rows[c].grid_code is None]
    if outside:
        raise Invalid(
            f"单元 {outside[0]} 不属于图层 {layer.code!r} 的任何网格 ("
            f"unit {outside[0]} belongs to no grid of layer {layer.code!r})",
            layer=layer.code,
            unit=outside[0],
        )
    return rows


def move_units(
    conn: Connection,
    layer_code: str,
    groups: Sequence[MoveGroup],
    options: EditOptions,
    settings: Settings,
    *,
    access: Access,
) -> EditResult:
    """Move base units into grids of the same layer (or into new grids), as one edit.

    Raises
    ------
    CrossesCommunity
        A unit would join a grid of another community (the message names both).
    GridLocked
        A unit of a locked grid, or a move into one.
    """
    scope, layer = begin_edit(conn, layer_code, options.version, access=access)
    codes = _unit_codes(groups, layer.code)
    for target in sorted({g.to for g in groups if g.to != NEW}):
        grid_row(conn, layer, target, scope)  # the targets are the actor's to edit, before all else
    units = _units(conn, layer, codes, scope)
    created: list[GridState] = []
    moves: list[Move] = []
    targets: list[str] = []
    for group in groups:
        members = [units[c] for c in group.units]
        if group.to == NEW:
            created.append(_new_grid(conn, layer, group.name, members, created))
            target = created[-1].code
        else:
            target = group.to
            _check_same_community(conn, layer, scope, target, members)
        targets.append(target)
        moves += [Move(u.id, u.grid_code, target) for u in members if u.grid_code != target]
    if not moves:
        raise Invalid(
            f"无需移动：这些单元已在网格 {', '.join(targets)} 中 ("
            f"nothing to move: the units are already in grid {', '.join(targets)})",
            layer=layer.code,
        )
    kind = "new" if created else "move"
    summary = _move_summary(moves, created)
    return apply_changeset(
        conn,
        layer,
        Changeset(created=tuple(created), moves=tuple(moves)),
        EditRequest(kind, summary, options.version, options.dry_run, options.confirm),
        settings,
        access=access,
    )


def _unit_codes(groups: Sequence[MoveGroup], layer_code: str) -> list[str]:
    """Every unit named, each once; refused when none or one twice."""
    if not groups:
        raise Invalid(
            "编辑需要指定单元和目标网格 (an edit needs units and a target grid)", layer=layer_code
        )
    codes = [c for g in groups for c in g.units]
    if len(set(codes)) != len(codes):
        dup = next(c for c in codes if codes.count(c) > 1)
        raise Invalid(
            f"单元 {dup} 在一次编辑中出现了两次 (unit {dup} is named twice in one edit)", unit=dup
        )
    return codes


def _new_grid(
    conn: Connection,
    layer: Layer,
    name: str | None,
    members: list[Any],
    created: list[GridState],
) -> GridState:
    """A new grid for ``members`` (all of one community), with the next free code there."""
    communities = {u.community_id: u for u in members}
    if len(communities) > 1:
        a, b = list(communities.values())[:2]
        raise CrossesCommunity(
            f"所选单元分属两个社区 {a.community_name} 和 "
            f"{b.community_name}：新网格只能位于一个社区内，请选择同一"
            "社区的单元 ("
            f"the units lie in two communities, {a.community_name} ({a.community_code}) "
            f"and {b.community_name} ({b.community_code}): a new grid lies inside one "
            "community; select units of one community)",
            layer=layer.code,
        )
    community_id = members[0].community_id
    taken = {g.code for g in created}
    code = next(c for c in next_codes(conn, layer, community_id, len(taken) + 1) if c not in taken)
    name = (name or "").strip() or default_name(conn, community_id, code)
    return GridState(code, name[:128], community_id, False)


def _check_same_community(
    conn: Connection, layer: Layer, scope: Scope, target: str, members: list[Any]
) -> None:
    """Units join only a grid of their own community (a grid never crosses its boundary)."""
    grid = grid_row(conn, layer, target, scope)
    foreign = [u for u in members if u.community_id != grid.community_id]
    if foreign and grid.community_id is not None:
        u = foreign[0]
        raise CrossesCommunity(
            f"单元 {u.code} 属于社区 {u.community_name}，网格 {target}"
            f" 属于社区 {grid.community_name}：网格不能跨社区，该单元"
            "不能并入 ("
            f"unit {u.code} lies in community {u.community_name} ({u.community_code}), "
            f"grid {target} belongs to community {grid.community_name} "
            f"({grid.community_code}): a grid never crosses a community boundary, so "
            "the unit cannot join it)",
            layer=layer.code,
            unit=u.code,
            grid=target,
        )


def _move_summary(moves: Sequence[Move], created: Sequence[GridState]) -> str:
    pairs: dict[tuple[str, str], int] = {}
    for m in moves:
        pairs[(m.from_code, m.to_code)] = pairs.get((m.from_code, m.to_code), 0) + 1
    parts = [f"{n} unit{'s' if n > 1 else ''} {a} → {b}" for (a, b), n in sorted(pairs.items())]
    text_ = "; ".join(parts[:4]) + (f"; … {len(parts) - 4} more" if len(parts) > 4 else "")
    if created:
        text_ = f"new grid {', '.join(g.code for g in created)}: " + text_
    return text_
