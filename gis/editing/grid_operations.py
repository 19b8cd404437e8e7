"""The edits a planner makes on one grid: split along a line, merge a neighbour in, lock or
unlock, rename and re-code. Each builds a :class:`~gis.editing.changeset.Changeset` and hands it
to the one writer (:func:`~gis.editing.writer.apply_changeset`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.editing.changeset import (
    Changeset,
    CrossesCommunity,
    EditRequest,
    GridChange,
    GridState,
    Move,
)
from gis.editing.operations import (
    GRID_CODE_RE,
    MAX_LINE_POINTS,
    EditOptions,
    begin_edit,
    default_name,
    grid_row,
    grid_state,
    next_codes,
)
from gis.editing.writer import EditResult, apply_changeset
from gis.errors import Conflict, Invalid, InvalidGeometry
from gis.geojson import lonlat_points
from gis.infra.settings import Settings
from gis.workload import workload_sql


def _line(line: dict[str, Any] | str) -> str:
    """A GeoJSON LineString (WGS84) as text for ST_GeomFromGeoJSON, checked for sense."""
    data = json.loads(line) if isinstance(line, str) else line
    if not isinstance(data, dict) or data.get("type") != "LineString":
        raise InvalidGeometry(
            "分割线须为 GeoJSON LineString (the split line must be a GeoJSON LineString)"
        )
    coords = data.get("coordinates")
    if not isinstance(coords, list) or not 2 <= len(coords) <= MAX_LINE_POINTS:
        raise InvalidGeometry(
            f"分割线须有 2 至 {MAX_LINE_POINTS} 个点 ("
            f"the split line needs 2 to {MAX_LINE_POINTS} points)"
        )
    return json.dumps(
        {"type": "LineString", "coordinates": lonlat_points(coords, "the split line")}
    )


def split_grid(
    conn: Connection,
    layer_code: str,
    code: str,
    line: dict[str, Any] | str,
    options: EditOptions,
    settings: Settings,
    names: Sequence[str] = (),
    *,
    access: Access,
) -> EditResult:
    """Split a grid along a drawn line, snapped to its units.

    The grid's outline is cut by the line in PostGIS (``ST_Split``); each unit goes to the piece
    that holds a point on its surface, so a unit the line crosses goes whole to one side. The
    piece with the most workload keeps the grid's code; every other piece becomes a new grid.
    Parts of a grid in several pieces that the line does not cut stay with the kept piece.
    """
    scope, layer = begin_edit(conn, layer_code, options.version, access=access)
    grid = grid_row(conn, layer, code, scope)
    if grid.community_id is None:
        raise Invalid(
            f"网格 {code} 不属于任何社区：无法分割 ("
            f"grid {code} has no community: it cannot be split)",
            grid=code,
        )
    blade = _line(line)
    rows = _units_by_piece(conn, layer.code, grid.id, code, blade)
    cut = _cut(rows, layer.code, code)
    keep = _heaviest(conn, settings, rows, cut)
    others = sorted(n for n in cut if n != keep)
    new_codes = next_codes(conn, layer, grid.community_id, len(others))
    created = []
    moves = []
    for i, (n, new_code) in enumerate(zip(others, new_codes, strict=True)):
        name = names[i].strip() if i < len(names) and names[i].strip() else None
        created.append(
            GridState(
                new_code,
                (name or default_name(conn, grid.community_id, new_code))[:128],
                grid.community_id,
            )
        )
        moves += [Move(r.id, code, new_code) for r in cut[n]]
    summary = f"split {code} along a line: {len(moves)} of {len(rows)} units → " + ", ".join(
        new_codes
    )
    return apply_changeset(
        conn,
        layer,
        Changeset(created=tuple(created), moves=tuple(moves)),
        EditRequest("split", summary, options.version, options.dry_run, options.confirm),
        settings,
        access=access,
    )


def _units_by_piece(
    conn: Connection, layer_code: str, grid_id: int, code: str, blade: str
) -> list[Any]:
    """Each unit of the grid with the piece (of the outline split by ``blade``) that holds a
    point on its surface, and whether that piece touches the line (was cut off by it)."""
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
        {"gid": grid_id, "line": blade},
    ).all()
    if not rows:
        raise Invalid(
            f"网格 {code} 没有可分割的单元 (grid {code} has no units to split)",
            layer=layer_code,
            grid=code,
        )
    return list(rows)


def _cut(rows: list[Any], layer_code: str, code: str) -> dict[int, list[Any]]:
    """The units of each piece the line cut off; refused unless there are two or more."""
    pieces: dict[int, list[Any]] = {}
    for r in rows:
        pieces.setdefault(r.n if r.cut else -1, []).append(r)
    cut = {n: members for n, members in pieces.items() if n != -1}
    if len(cut) < 2:
        raise Invalid(
            f"分割线使网格 {code} 的所有单元都在同一侧：请从网格一边画"
            "到另一边，使两侧都有单元 ("
            f"the line leaves every unit of grid {code} on one side: draw it across the grid, "
            "from one edge to the other, so that units lie on both sides)",
            layer=layer_code,
            grid=code,
        )
    return cut


def _heaviest(
    conn: Connection, settings: Settings, rows: list[Any], cut: dict[int, list[Any]]
) -> int:
    """The piece with the most workload (it keeps the grid's code); ties: the first piece."""
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
    return max(cut, key=lambda n: (sum(workload[r.id] for r in cut[n]), -n))


def _unit_workload(settings: Settings) -> str:
    return f"({workload_sql(settings.weights, 'u')})::float"


def merge_grids(
    conn: Connection,
    layer_code: str,
    code: str,
    other: str,
    options: EditOptions,
    settings: Settings,
    *,
    access: Access,
) -> EditResult:
    """Merge grid ``other`` into its neighbour ``code``: ``code`` takes every unit of ``other``,
    which is then removed. Both lie in one community and share a boundary line."""
    scope, layer = begin_edit(conn, layer_code, options.version, access=access)
    if code == other:
        raise Invalid("网格不能与自身合并 (a grid cannot be merged with itself)", grid=code)
    keep = grid_row(conn, layer, code, scope)
    gone = grid_row(conn, layer, other, scope)
    if keep.community_id != gone.community_id:
        raise CrossesCommunity(
            f"网格 {code} 属于{keep.community_name}，网格 {other} 属于{gone.community_name}："
            "网格不跨社区，不能合并 "
            f"(grid {code} belongs to community {keep.community_code}, grid {other} to "
            f"{gone.community_code}: a grid never crosses a community boundary)",
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
            f"网格 {code} 与 {other} 不相邻，只能合并相邻网格 "
            f"(grids {code} and {other} do not share a boundary: only neighbours are merged)",
            layer=layer.code,
            grid=code,
        )
    unit_ids = conn.execute(
        text("SELECT unit_id FROM grid_unit WHERE grid_id = :g ORDER BY unit_id"), {"g": gone.id}
    ).scalars()
    moves = tuple(Move(int(u), other, code) for u in unit_ids)
    return apply_changeset(
        conn,
        layer,
        Changeset(deleted=(grid_state(gone),), moves=moves),
        EditRequest(
            "merge",
            f"merge {other} into {code} ({len(moves)} units)",
            options.version,
            options.dry_run,
            options.confirm,
        ),
        settings,
        access=access,
    )


def set_locked(
    conn: Connection,
    layer_code: str,
    code: str,
    locked: bool,
    options: EditOptions,
    settings: Settings,
    *,
    access: Access,
) -> EditResult:
    """Lock a grid (the editor and the optimizer then leave it as it is) or unlock it."""
    scope, layer = begin_edit(conn, layer_code, options.version, access=access)
    grid = grid_row(conn, layer, code, scope)
    if bool(grid.locked) == locked:
        raise Conflict(
            f"网格 {code} 已经{'锁定' if locked else '解锁'} ("
            f"grid {code} is already {'locked' if locked else 'unlocked'})",
            layer=layer.code,
            grid=code,
        )
    before = grid_state(grid)
    after = GridState(before.code, before.name, before.community_id, locked)
    kind = "lock" if locked else "unlock"
    return apply_changeset(
        conn,
        layer,
        Changeset(changed=(GridChange(before, after),)),
        EditRequest(kind, f"{kind} {code}", options.version, options.dry_run),
        settings,
        access=access,
    )


def rename_grid(
    conn: Connection,
    layer_code: str,
    code: str,
    options: EditOptions,
    settings: Settings,
    *,
    access: Access,
    name: str | None = None,
    new_code: str | None = None,
) -> EditResult:
    """Give a grid a new name and/or a new code (its community's code + 3 digits, unused)."""
    scope, layer = begin_edit(conn, layer_code, options.version, access=access)
    grid = grid_row(conn, layer, code, scope)
    before = grid_state(grid)
    name = before.name if name is None else name.strip()
    new_code = before.code if new_code is None else new_code.strip()
    if not name or len(name) > 128 or any(ord(ch) < 32 for ch in name):
        raise Invalid(
            "网格名称须为 1 至 128 个字符，且不含控制字符 ("
            "a grid name has 1 to 128 characters and no control characters)"
        )
    if new_code != before.code:
        if not GRID_CODE_RE.fullmatch(new_code):
            raise Invalid(
                "网格代码为 15 位：社区代码 12 位加 3 位序号，"
                f"{new_code!r} 不符合 ("
                f"a grid code is 15 digits: its community's 12 and 3 more, not {new_code!r})",
                code=new_code,
            )
        if grid.community_code and not new_code.startswith(grid.community_code):
            raise Invalid(
                f"网格 {code} 位于社区 {grid.community_code}：代码须以社区"
                f"代码开头，{new_code} 不符合（例如 {grid.community_code}0"
                "07） ("
                f"grid {code} lies in community {grid.community_code}: its code starts with "
                f"that code, so {new_code} does not fit (e.g. {grid.community_code}007))",
                code=new_code,
            )
    if (name, new_code) == (before.name, before.code):
        raise Invalid(
            f"网格 {code} 的名称和代码没有变化 (grid {code} already has that name and code)",
            grid=code,
        )
    after = GridState(new_code, name, before.community_id, before.locked)
    changes = []
    if name != before.name:
        changes.append(f"name {before.name!r} → {name!r}")
    if new_code != before.code:
        changes.append(f"code → {new_code}")
    return apply_changeset(
        conn,
        layer,
        Changeset(changed=(GridChange(before, after),)),
        EditRequest("rename", f"rename {code}: " + ", ".join(changes), options.version),
        settings,
        access=access,
    )
