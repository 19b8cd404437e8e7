"""Resolve and check one edit before anything is written (the first two steps of the writer).

:func:`resolve` reads and locks every grid a changeset names; the checks then refuse, naming
the grid or the unit, an edit that the layer no longer matches, that reaches outside the
actor's scope, that moves units of a locked grid, or that carries a unit across a community
boundary. Each check only reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from gis.editing.changeset import Changeset, CrossesCommunity, GridLocked, Layer, locked_after_code
from gis.errors import Conflict, Forbidden, NotFound
from gis.scope import Scope


@dataclass
class Touched:
    """The grids an edit names (their rows, locked), by the roles they play in it."""

    rows: dict[str, Any]  # code before the edit → row (id, code, name, community_id, locked…)
    created: set[str]
    deleted: set[str]
    changed_before: dict[str, Any]  # code before → GridChange
    changed_after: dict[str, Any]  # code after → GridChange
    from_codes: set[str]
    to_codes: set[str]
    units: dict[int, Any] = field(default_factory=dict)  # unit id → row (code, community…)


def resolve(conn: Connection, scope: Scope, layer: Layer, changes: Changeset) -> Touched:
    """Read and lock (FOR UPDATE) every grid the changeset names, with whether it lies wholly
    inside ``scope``."""
    touched = Touched(
        rows={},
        created={g.code for g in changes.created},
        deleted={g.code for g in changes.deleted},
        changed_before={c.before.code: c for c in changes.changed},
        changed_after={c.after.code: c for c in changes.changed},
        from_codes={m.from_code for m in changes.moves},
        to_codes={m.to_code for m in changes.moves},
    )
    wanted = touched.from_codes | touched.to_codes | touched.deleted | touched.created
    wanted |= set(touched.changed_before) | set(touched.changed_after)
    inside = scope.grid_sql("g", entirely=True, one_row=True)
    touched.rows = {
        r.code: r
        for r in conn.execute(
            text(
                f"SELECT g.id, g.code, g.name, g.community_id, g.locked, c.code AS community, "
                f"({inside.sql}) AS inside FROM grid g "
                "LEFT JOIN community c ON c.id = g.community_id "
                "WHERE g.layer_id = :layer AND g.code = ANY(:codes) ORDER BY g.id FOR UPDATE OF g"
            ),
            {"layer": layer.id, "codes": sorted(wanted)} | inside.params,
        )
    }
    return touched


def check_expected(t: Touched, changes: Changeset, layer: Layer) -> None:
    """The grids the edit expects are there, as it expects them."""
    rows = t.rows
    for code in sorted(t.from_codes | t.deleted | set(t.changed_before)):
        if code not in rows:
            raise Conflict(
                f"网格 {code} 已不在图层 {layer.code!r} 中：请重新加载图层"
                " ("
                f"grid {code} is no longer in layer {layer.code!r}: reload the layer)",
                layer=layer.code,
                grid=code,
            )
    for c in changes.changed:
        row = rows[c.before.code]
        if (row.name, row.locked) != (c.before.name, c.before.locked):
            raise Conflict(
                f"网格 {c.before.code} 在此之后已被修改：请重新加载图层 ("
                f"grid {c.before.code} was changed since (name {row.name!r}, "
                f"{'locked' if row.locked else 'unlocked'}): reload the layer)",
                layer=layer.code,
                grid=c.before.code,
            )
    for code in sorted(t.created | set(t.changed_after)):
        if code in rows and code not in t.deleted and code not in t.changed_before:
            raise Conflict(
                f"图层 {layer.code!r} 已有网格 {code} ("
                f"layer {layer.code!r} already has a grid {code})",
                layer=layer.code,
                grid=code,
            )
    for code in sorted(t.to_codes - t.created - set(t.changed_after)):
        if code not in rows or code in t.deleted:
            raise NotFound(
                f"图层 {layer.code!r} 中没有网格 {code} (layer {layer.code!r} has no grid {code})",
                layer=layer.code,
                grid=code,
            )


def check_scope(
    conn: Connection, t: Touched, changes: Changeset, scope: Scope, layer: Layer
) -> None:
    """Every grid the edit touches lies wholly inside the actor's scope."""
    for code in sorted(t.rows):
        if not t.rows[code].inside:
            raise Forbidden(
                f"图层 {layer.code!r} 的网格 {code} 不完全在您的权限范围（"
                f"{scope}）内：只能编辑范围内的网格 ("
                f"grid {code} of layer {layer.code!r} is not wholly inside your scope ({scope}): "
                "you may only edit grids inside it)",
                layer=layer.code,
                grid=code,
            )
    community_codes = community_codes_of(conn, [g.community_id for g in changes.created])
    for g in changes.created:
        if not scope.reaches(community_codes.get(g.community_id or -1, "")) and not (
            scope.is_everything
        ):
            raise Forbidden(
                f"新网格 {g.code} 将超出您的权限范围（{scope}） ("
                f"new grid {g.code} would lie outside your scope ({scope}))",
                layer=layer.code,
                grid=g.code,
            )


def check_locks(t: Touched, changes: Changeset, layer: Layer) -> None:
    """A grid that is locked (and stays locked) neither gains nor loses units."""

    def locked_before(code: str) -> bool:
        if code in t.changed_after:
            return bool(t.changed_after[code].before.locked)
        return code in t.rows and code not in t.created and bool(t.rows[code].locked)

    def locked_after(code: str) -> bool:
        if code in t.changed_after:
            return bool(t.changed_after[code].after.locked)
        if code in t.created:
            return next(g.locked for g in changes.created if g.code == code)
        return bool(t.rows[code].locked)

    for code in sorted(t.deleted):
        if t.rows[code].locked:
            raise GridLocked(
                f"网格 {code} 已锁定：请先解锁，才能合并或删除 ("
                f"grid {code} is locked: unlock it before it can be merged away or removed)",
                layer=layer.code,
                grid=code,
            )
    frozen = {c for c in t.from_codes if t.rows[c].locked and locked_after_code(c, changes)}
    frozen |= {c for c in t.to_codes if locked_before(c) and locked_after(c)}
    for code in sorted(frozen):
        raise GridLocked(
            f"网格 {code} 已锁定：其单元不能移出，也不能移入单元（请先"
            "解锁） ("
            f"grid {code} is locked: its units cannot be moved, nor units moved into it "
            "(unlock it first))",
            layer=layer.code,
            grid=code,
        )


def check_units(conn: Connection, t: Touched, changes: Changeset, layer: Layer) -> None:
    """The units are where the edit expects them, and stay inside their community; fills
    ``t.units``."""
    t.units = {
        int(r.id): r
        for r in conn.execute(
            text(
                "SELECT u.id, u.code, u.community_id, g.code AS grid_code FROM base_unit u "
                "LEFT JOIN grid_unit gu ON gu.unit_id = u.id AND gu.layer_id = :layer "
                "LEFT JOIN grid g ON g.id = gu.grid_id WHERE u.id = ANY(:ids)"
            ),
            {"layer": layer.id, "ids": [m.unit_id for m in changes.moves]},
        )
    }
    to_community: dict[str, int | None] = {g.code: g.community_id for g in changes.created}
    for c in changes.changed:
        to_community[c.after.code] = c.after.community_id
    for m in changes.moves:
        unit = t.units.get(m.unit_id)
        if unit is None:
            raise NotFound(
                f"基础单元 {m.unit_id} 已不存在 (base unit {m.unit_id} no longer exists)",
                unit=m.unit_id,
            )
        if unit.grid_code != m.from_code:
            where = f"grid {unit.grid_code}" if unit.grid_code else "no grid of the layer"
            raise Conflict(
                f"单元 {unit.code} 现属 {where}，不在网格 {m.from_code} 中"
                "：已被移动，请重新加载图层 ("
                f"unit {unit.code} is now in {where}, not in grid {m.from_code}: "
                "it was moved since; reload the layer)",
                layer=layer.code,
                unit=unit.code,
            )
        if m.to_code in to_community:
            community = to_community[m.to_code]
        else:
            community = t.rows[m.to_code].community_id
        if community is not None and unit.community_id != community:
            labels = _community_label(conn, [unit.community_id, community])
            raise CrossesCommunity(
                f"单元 {unit.code} 属于社区 "
                f"{labels.get(unit.community_id, '?')}，网格 {m.to_code} "
                f"属于社区 {labels.get(community, '?')}：网格不能跨社区，"
                "该单元不能并入 ("
                f"unit {unit.code} lies in community {labels.get(unit.community_id, '?')}, "
                f"grid {m.to_code} belongs to community {labels.get(community, '?')}: "
                "a grid never crosses a community boundary, so the unit cannot join it)",
                layer=layer.code,
                unit=unit.code,
                grid=m.to_code,
            )


def check_all(conn: Connection, scope: Scope, layer: Layer, changes: Changeset) -> Touched:
    """Resolve the edit's grids and run every check; the touched grids and units."""
    touched = resolve(conn, scope, layer, changes)
    check_expected(touched, changes, layer)
    check_scope(conn, touched, changes, scope, layer)
    check_locks(touched, changes, layer)
    check_units(conn, touched, changes, layer)
    return touched


def community_codes_of(conn: Connection, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = conn.execute(
        text("SELECT id, code FROM community WHERE id = ANY(:ids)"), {"ids": wanted}
    ).all()
    return {int(r.id): r.code for r in rows}


def _community_label(conn: Connection, ids: Iterable[int | None]) -> dict[int, str]:
    rows = conn.execute(
        text("SELECT id, code, name FROM community WHERE id = ANY(:ids)"),
        {"ids": [i for i in ids if i is not None]},
    ).all()
    return {int(r.id): f"{r.name} ({r.code})" for r in rows}
