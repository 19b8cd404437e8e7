"""The edits a planner makes: move units, new grid, split, merge, lock, rename and re-code.

Each one reads what it needs in PostGIS, builds a :class:`~gis.editing.changeset.Changeset`
and hands it to :func:`~gis.editing.changeset.apply_changeset`, which checks the rules and
writes it (or, for a dry run, previews it). Every function takes the version of the layer the
planner was looking at: an edit made on a stale version is refused with what changed since.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis.accounts import Permission, authorize
from gis.audit import Actor
from gis.editing.changeset import (
    Changeset,
    CrossesCommunity,
    EditRequest,
    GridChange,
    GridState,
    Layer,
    Move,
    apply_changeset,
    check_version,
    lock_layer,
)
from gis.errors import Conflict, Forbidden, Invalid, InvalidGeometry, NotFound
from gis.geojson import lonlat_points
from gis.infra.settings import Settings
from gis.scope import Scope
from gis.workload import workload_sql

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


def _begin(
    conn: Connection, actor: Actor, layer_code: str, version: int | None
) -> tuple[Scope, Layer]:
    scope = authorize(actor, Permission.EDIT_LAYERS)
    layer = lock_layer(conn, layer_code)
    check_version(conn, layer, version)
    return scope, layer


def _grid(conn: Connection, layer: Layer, code: str, scope: Scope) -> Any:
    """A grid the actor may edit: one wholly inside their scope (checked before anything else
    is said about it, so that no answer tells of a grid or community outside the scope)."""
    inside = scope.grid_sql("g", entirely=True)
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
        raise NotFound(f"layer {layer.code!r} has no grid {code}", layer=layer.code, grid=code)
    if not row.inside:
        raise Forbidden(
            f"grid {code} of layer {layer.code!r} is not wholly inside your scope ({scope}): "
            "you may only edit grids inside it",
            layer=layer.code,
            grid=code,
        )
    return row


def _state(row: Any) -> GridState:
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
        raise Conflict(f"community {community} has no free grid number left", community=community)
    return [f"{community}{n:03d}" for n in free]


def _default_name(conn: Connection, community_id: int, code: str) -> str:
    name = conn.execute(
        text("SELECT name FROM community WHERE id = :id"), {"id": community_id}
    ).scalar_one()
    return f"{name}第{int(code[12:])}网格"


def _units(conn: Connection, layer: Layer, codes: Sequence[str], scope: Scope) -> dict[str, Any]:
    """The units by code with their community and current grid; unknown codes are named."""
    if not codes:
        raise Invalid("select at least one base unit", layer=layer.code)
    if len(codes) > MAX_UNITS:
        raise Invalid(f"one edit moves at most {MAX_UNITS} units", layer=layer.code)
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
        raise NotFound(f"no base unit {', '.join(missing[:3])}{more}", unit=missing[0])
    foreign = [c for c in codes if not rows[c].inside]
    if foreign:
        raise Forbidden(
            f"unit {foreign[0]} is outside your scope ({scope}): you may only edit inside it",
            layer=layer.code,
            unit=foreign[0],
        )
    outside = [c for c in codes if rows[c].grid_code is None]
    if outside:
        raise Invalid(
            f"unit {outside[0]} belongs to no grid of layer {layer.code!r}",
            layer=layer.code,
            unit=outside[0],
        )
    return rows


def move_units(
    conn: Connection,
    actor: Actor,
    layer_code: str,
    groups: Sequence[MoveGroup],
    options: EditOptions,
    settings: Settings,
) -> dict[str, Any]:
    """Move base units into grids of the same layer (or into new grids), as one edit.

    Raises
    ------
    CrossesCommunity
        A unit would join a grid of another community (the message names both).
    GridLocked
        A unit of a locked grid, or a move into one.
    """
    scope, layer = _begin(conn, actor, layer_code, options.version)
    if not groups:
        raise Invalid("an edit needs units and a target grid", layer=layer.code)
    codes = [c for g in groups for c in g.units]
    if len(set(codes)) != len(codes):
        dup = next(c for c in codes if codes.count(c) > 1)
        raise Invalid(f"unit {dup} is named twice in one edit", unit=dup)
    for target in sorted({g.to for g in groups if g.to != NEW}):
        _grid(conn, layer, target, scope)  # the targets are the actor's to edit, before all else
    units = _units(conn, layer, codes, scope)
    created: list[GridState] = []
    moves: list[Move] = []
    targets: list[str] = []
    for group in groups:
        members = [units[c] for c in group.units]
        if group.to == NEW:
            communities = {u.community_id: u for u in members}
            if len(communities) > 1:
                a, b = list(communities.values())[:2]
                raise CrossesCommunity(
                    f"the units lie in two communities, {a.community_name} ({a.community_code}) "
                    f"and {b.community_name} ({b.community_code}): a new grid lies inside one "
                    "community; select units of one community",
                    layer=layer.code,
                )
            community_id = members[0].community_id
            taken = {g.code for g in created}
            code = next(
                c for c in next_codes(conn, layer, community_id, len(taken) + 1) if c not in taken
            )
            name = (group.name or "").strip() or _default_name(conn, community_id, code)
            created.append(GridState(code, name[:128], community_id, False))
            target = code
        else:
            target = group.to
            grid = _grid(conn, layer, target, scope)
            foreign = [u for u in members if u.community_id != grid.community_id]
            if foreign and grid.community_id is not None:
                u = foreign[0]
                raise CrossesCommunity(
                    f"unit {u.code} lies in community {u.community_name} ({u.community_code}), "
                    f"grid {target} belongs to community {grid.community_name} "
                    f"({grid.community_code}): a grid never crosses a community boundary, so "
                    "the unit cannot join it",
                    layer=layer.code,
                    unit=u.code,
                    grid=target,
                )
        targets.append(target)
        moves += [Move(u.id, u.grid_code, target) for u in members if u.grid_code != target]
    if not moves:
        raise Invalid(
            f"nothing to move: the units are already in grid {', '.join(targets)}",
            layer=layer.code,
        )
    kind = "new" if created else "move"
    summary = _move_summary(moves, created)
    return apply_changeset(
        conn,
        actor,
        scope,
        layer,
        Changeset(created=tuple(created), moves=tuple(moves)),
        EditRequest(kind, summary, options.version, options.dry_run, options.confirm),
        settings,
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


def _line(line: dict[str, Any] | str) -> str:
    """A GeoJSON LineString (WGS84) as text for ST_GeomFromGeoJSON, checked for sense."""
    data = json.loads(line) if isinstance(line, str) else line
    if not isinstance(data, dict) or data.get("type") != "LineString":
        raise InvalidGeometry("the split line must be a GeoJSON LineString")
    coords = data.get("coordinates")
    if not isinstance(coords, list) or not 2 <= len(coords) <= MAX_LINE_POINTS:
        raise InvalidGeometry(f"the split line needs 2 to {MAX_LINE_POINTS} points")
    return json.dumps(
        {"type": "LineString", "coordinates": lonlat_points(coords, "the split line")}
    )


def split_grid(
    conn: Connection,
    actor: Actor,
    layer_code: str,
    code: str,
    line: dict[str, Any] | str,
    options: EditOptions,
    settings: Settings,
    names: Sequence[str] = (),
) -> dict[str, Any]:
    """Split a grid along a drawn line, snapped to its units.

    The grid's outline is cut by the line in PostGIS (``ST_Split``); each unit goes to the piece
    that holds a point on its surface, so a unit the line crosses goes whole to one side. The
    piece with the most workload keeps the grid's code; every other piece becomes a new grid.
    Parts of a grid in several pieces that the line does not cut stay with the kept piece.
    """
    scope, layer = _begin(conn, actor, layer_code, options.version)
    grid = _grid(conn, layer, code, scope)
    if grid.community_id is None:
        raise Invalid(f"grid {code} has no community: it cannot be split", grid=code)
    blade = _line(line)
    rows = conn.execute(
        text(
            """
            WITH g AS (SELECT geom FROM grid WHERE id = :gid),
            blade AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON(:line), 4326) AS geom),
            pieces AS (
                SELECT d.path[1] AS n, d.geom, ST_DWithin(d.geom, blade.geom, 1e-9) AS cut
                FROM g, blade, ST_Dump(ST_Split(g.geom, blade.geom)) AS d
            )
            SELECT u.id, u.code, p.n, p.cut, u.households
            FROM grid_unit gu JOIN base_unit u ON u.id = gu.unit_id
            CROSS JOIN LATERAL (
                SELECT n, cut FROM pieces
                ORDER BY ST_Distance(pieces.geom, ST_PointOnSurface(u.geom)), n LIMIT 1
            ) p
            WHERE gu.grid_id = :gid
            ORDER BY u.code
            """
        ),
        {"gid": grid.id, "line": blade},
    ).all()
    if not rows:
        raise Invalid(f"grid {code} has no units to split", layer=layer.code, grid=code)
    workload: dict[int, float] = {
        int(r[0]): float(r[1])
        for r in conn.execute(
            text(
                "SELECT u.id, "
                + _unit_workload(settings)
                + " FROM base_unit u WHERE u.id = ANY(:ids)"
            ),
            {"ids": [r.id for r in rows]},
        ).all()
    }
    pieces: dict[int, list[Any]] = {}
    for r in rows:
        pieces.setdefault(r.n if r.cut else -1, []).append(r)
    cut = {n: members for n, members in pieces.items() if n != -1}
    if len(cut) < 2:
        raise Invalid(
            f"the line leaves every unit of grid {code} on one side: draw it across the grid, "
            "from one edge to the other, so that units lie on both sides",
            layer=layer.code,
            grid=code,
        )
    keep = max(cut, key=lambda n: (sum(workload[r.id] for r in cut[n]), -n))
    others = sorted(n for n in cut if n != keep)
    new_codes = next_codes(conn, layer, grid.community_id, len(others))
    created = []
    moves = []
    for i, (n, new_code) in enumerate(zip(others, new_codes, strict=True)):
        name = names[i].strip() if i < len(names) and names[i].strip() else None
        created.append(
            GridState(
                new_code,
                (name or _default_name(conn, grid.community_id, new_code))[:128],
                grid.community_id,
            )
        )
        moves += [Move(r.id, code, new_code) for r in cut[n]]
    summary = f"split {code} along a line: {len(moves)} of {len(rows)} units → " + ", ".join(
        new_codes
    )
    return apply_changeset(
        conn,
        actor,
        scope,
        layer,
        Changeset(created=tuple(created), moves=tuple(moves)),
        EditRequest("split", summary, options.version, options.dry_run, options.confirm),
        settings,
    )


def _unit_workload(settings: Settings) -> str:
    return f"({workload_sql(settings.weights, 'u')})::float"


def merge_grids(
    conn: Connection,
    actor: Actor,
    layer_code: str,
    code: str,
    other: str,
    options: EditOptions,
    settings: Settings,
) -> dict[str, Any]:
    """Merge grid ``other`` into its neighbour ``code``: ``code`` takes every unit of ``other``,
    which is then removed. Both lie in one community and share a boundary line."""
    scope, layer = _begin(conn, actor, layer_code, options.version)
    if code == other:
        raise Invalid("a grid cannot be merged with itself", grid=code)
    keep = _grid(conn, layer, code, scope)
    gone = _grid(conn, layer, other, scope)
    if keep.community_id != gone.community_id:
        raise CrossesCommunity(
            f"grid {code} belongs to community {keep.community_name} ({keep.community_code}), "
            f"grid {other} to {gone.community_name} ({gone.community_code}): a grid never "
            "crosses a community boundary, so they cannot be merged",
            layer=layer.code,
            grid=code,
        )
    touching = conn.execute(
        text(
            "SELECT ST_Relate(a.geom, b.geom, '****1****') FROM grid a, grid b "
            "WHERE a.id = :a AND b.id = :b"
        ),
        {"a": keep.id, "b": gone.id},
    ).scalar_one()
    if not touching:
        raise Invalid(
            f"grids {code} and {other} do not share a boundary: only neighbours are merged",
            layer=layer.code,
            grid=code,
        )
    unit_ids = conn.execute(
        text("SELECT unit_id FROM grid_unit WHERE grid_id = :g ORDER BY unit_id"), {"g": gone.id}
    ).scalars()
    moves = tuple(Move(int(u), other, code) for u in unit_ids)
    return apply_changeset(
        conn,
        actor,
        scope,
        layer,
        Changeset(deleted=(_state(gone),), moves=moves),
        EditRequest(
            "merge",
            f"merge {other} into {code} ({len(moves)} units)",
            options.version,
            options.dry_run,
            options.confirm,
        ),
        settings,
    )


def set_locked(
    conn: Connection,
    actor: Actor,
    layer_code: str,
    code: str,
    locked: bool,
    options: EditOptions,
    settings: Settings,
) -> dict[str, Any]:
    """Lock a grid (the editor and the optimizer then leave it as it is) or unlock it."""
    scope, layer = _begin(conn, actor, layer_code, options.version)
    grid = _grid(conn, layer, code, scope)
    if bool(grid.locked) == locked:
        raise Conflict(
            f"grid {code} is already {'locked' if locked else 'unlocked'}",
            layer=layer.code,
            grid=code,
        )
    before = _state(grid)
    after = GridState(before.code, before.name, before.community_id, locked)
    kind = "lock" if locked else "unlock"
    return apply_changeset(
        conn,
        actor,
        scope,
        layer,
        Changeset(changed=(GridChange(before, after),)),
        EditRequest(kind, f"{kind} {code}", options.version, options.dry_run),
        settings,
    )


def rename_grid(
    conn: Connection,
    actor: Actor,
    layer_code: str,
    code: str,
    options: EditOptions,
    settings: Settings,
    *,
    name: str | None = None,
    new_code: str | None = None,
) -> dict[str, Any]:
    """Give a grid a new name and/or a new code (its community's code + 3 digits, unused)."""
    scope, layer = _begin(conn, actor, layer_code, options.version)
    grid = _grid(conn, layer, code, scope)
    before = _state(grid)
    name = before.name if name is None else name.strip()
    new_code = before.code if new_code is None else new_code.strip()
    if not name or len(name) > 128 or any(ord(ch) < 32 for ch in name):
        raise Invalid("a grid name has 1 to 128 characters and no control characters")
    if new_code != before.code:
        if not GRID_CODE_RE.fullmatch(new_code):
            raise Invalid(
                f"a grid code is 15 digits: its community's 12 and 3 more, not {new_code!r}",
                code=new_code,
            )
        if grid.community_code and not new_code.startswith(grid.community_code):
            raise Invalid(
                f"grid {code} lies in community {grid.community_code}: its code starts with "
                f"that code, so {new_code} does not fit (e.g. {grid.community_code}007)",
                code=new_code,
            )
    if (name, new_code) == (before.name, before.code):
        raise Invalid(f"grid {code} already has that name and code", grid=code)
    after = GridState(new_code, name, before.community_id, before.locked)
    changes = []
    if name != before.name:
        changes.append(f"name {before.name!r} → {name!r}")
    if new_code != before.code:
        changes.append(f"code → {new_code}")
    return apply_changeset(
        conn,
        actor,
        scope,
        layer,
        Changeset(changed=(GridChange(before, after),)),
        EditRequest("rename", f"rename {code}: " + ", ".join(changes), options.version),
        settings,
    )
