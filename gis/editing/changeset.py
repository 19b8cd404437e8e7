"""A changeset: what one edit does to a layer — grids created, deleted or changed, units moved.

Every edit (a move, a new grid, a split, a merge, a lock, a rename, and undo, redo and revert)
is expressed as a :class:`Changeset` and goes through one writer,
:func:`gis.editing.writer.apply_changeset`, which checks the rules (scope, locks, one community
per grid), writes the membership, re-derives the touched grids' geometry and totals in PostGIS,
bumps the layer version, and records the edit in the history and the audit log — all on the
caller's connection, so all of it commits or none.

A changeset names grids by code, never by database id: grids that an edit empties are deleted
and come back with a new id when the edit is undone, and codes are what planners read. Moves
name the grid a unit leaves by its code *before* the edit and the grid it joins by its code
*after* it, so that :meth:`Changeset.inverse` is exact and undo is the inverse applied.

A dry run is the same writer inside a savepoint that is rolled back: the preview is exactly
what applying would do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from gis.errors import Conflict, Invalid, NotFound

#: Layer kinds the editor changes; departmental layers are imported from the departments.
EDITABLE_KINDS = ("unified", "scenario")


class CrossesCommunity(Conflict):
    """A unit would join a grid of another community (a grid never crosses that line)."""

    title = "跨越社区边界 Crosses a community boundary"


class GridLocked(Conflict):
    title = "网格已锁定 Grid is locked"


class StaleVersion(Conflict):
    title = "图层版本已过期 Stale layer version"


class SplitsGrid(Conflict):
    """The edit leaves a grid in pieces and the planner has not confirmed it (or may not)."""

    title = "编辑会拆分网格 Edit splits a grid"


@dataclass(frozen=True)
class GridState:
    """The editable attributes of a grid: what a changeset creates, deletes or changes."""

    code: str
    name: str
    community_id: int | None
    locked: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "community_id": self.community_id,
            "locked": self.locked,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GridState:
        return cls(data["code"], data["name"], data["community_id"], bool(data["locked"]))


@dataclass(frozen=True)
class GridChange:
    before: GridState
    after: GridState

    def inverse(self) -> GridChange:
        return GridChange(self.after, self.before)


@dataclass(frozen=True)
class Move:
    unit_id: int
    from_code: str  # the grid's code before the edit
    to_code: str  # … and after it

    def inverse(self) -> Move:
        return Move(self.unit_id, self.to_code, self.from_code)


@dataclass(frozen=True)
class Changeset:
    created: tuple[GridState, ...] = ()
    deleted: tuple[GridState, ...] = ()
    changed: tuple[GridChange, ...] = ()
    moves: tuple[Move, ...] = ()

    def inverse(self) -> Changeset:
        return Changeset(
            created=self.deleted,
            deleted=self.created,
            changed=tuple(c.inverse() for c in self.changed),
            moves=tuple(m.inverse() for m in self.moves),
        )

    @property
    def empty(self) -> bool:
        return not (self.created or self.deleted or self.changed or self.moves)

    def grids_json(self) -> dict[str, Any]:
        return {
            "created": [g.to_json() for g in self.created],
            "deleted": [g.to_json() for g in self.deleted],
            "changed": [
                {"before": c.before.to_json(), "after": c.after.to_json()} for c in self.changed
            ],
        }

    @classmethod
    def from_json(cls, grids: dict[str, Any], moves: Iterable[Move]) -> Changeset:
        return cls(
            created=tuple(GridState.from_json(g) for g in grids.get("created", [])),
            deleted=tuple(GridState.from_json(g) for g in grids.get("deleted", [])),
            changed=tuple(
                GridChange(GridState.from_json(c["before"]), GridState.from_json(c["after"]))
                for c in grids.get("changed", [])
            ),
            moves=tuple(moves),
        )


@dataclass(frozen=True)
class Layer:
    id: int
    code: str
    kind: str
    version: int


@dataclass
class EditRequest:
    """What the writer needs besides the changeset: who, on which version, and how."""

    kind: str
    summary: str
    version: int | None  # the version the edit was made on (None: the current one)
    dry_run: bool = False
    confirm: bool = False
    undoes: int | None = None  # for undo and redo: the edit they run backwards or again
    extra: dict[str, Any] = field(default_factory=dict)
    #: Undo and revert: the edits whose effect on party assignments to run backwards, newest
    #: first, each with a map from the grid codes it names to today's (see editing.leaders).
    restores: tuple[tuple[int, dict[str, str]], ...] = ()


def find_layer(conn: Connection, code: str) -> Layer:
    """The layer as it is now (for reading; edits use :func:`lock_layer`)."""
    row = conn.execute(
        text("SELECT id, code, kind, version FROM grid_layer WHERE code = :c"), {"c": code}
    ).first()
    if row is None:
        raise NotFound(
            f"没有代码为 {code!r} 的网格图层 (no grid layer with code {code!r})", layer=code
        )
    return Layer(int(row.id), row.code, row.kind, int(row.version))


def lock_layer(conn: Connection, code: str, *, editable: bool = True) -> Layer:
    """The layer, locked against concurrent edits until the transaction ends."""
    row = conn.execute(
        text("SELECT id, code, kind, version FROM grid_layer WHERE code = :c FOR UPDATE"),
        {"c": code},
    ).first()
    if row is None:
        raise NotFound(
            f"没有代码为 {code!r} 的网格图层 (no grid layer with code {code!r})", layer=code
        )
    layer = Layer(int(row.id), row.code, row.kind, int(row.version))
    if editable and layer.kind not in EDITABLE_KINDS:
        raise Invalid(
            f"图层 {code!r} 是部门图层（{layer.kind}）：由部门导入，不"
            "在此编辑；请编辑统一网格图层或方案 ("
            f"layer {code!r} is a departmental layer ({layer.kind}): it is imported from its "
            "department and not edited here; edit the unified layer or a scenario)",
            layer=code,
        )
    return layer


def check_version(conn: Connection, layer: Layer, version: int | None) -> None:
    """Refuse an edit made on another version than the current one, saying what changed."""
    if version is None or version == layer.version:
        return
    if version > layer.version:
        raise StaleVersion(
            f"图层 {layer.code!r} 当前为第 {layer.version} 版，不是第 "
            f"{version} 版：请重新加载 ("
            f"layer {layer.code!r} is at version {layer.version}, not {version}: reload it)",
            layer=layer.code,
            current_version=layer.version,
            your_version=version,
        )
    rows = conn.execute(
        text(
            "SELECT version, kind, actor, summary FROM grid_edit "
            "WHERE layer_id = :l AND version > :v ORDER BY version"
        ),
        {"l": layer.id, "v": version},
    ).all()
    lines = [f"v{r.version} {r.kind} by {r.actor}: {r.summary}" for r in rows[:5]]
    if len(rows) > 5:
        lines.append(f"… and {len(rows) - 5} more")
    outside = layer.version - version - len(rows)
    if outside > 0:
        lines.append(f"{outside} change(s) made outside the editor (an import or an adoption)")
    raise StaleVersion(
        f"图层 {layer.code!r} 自第 {version} 版后已被修改（现为第 {layer.version} 版）："
        "请重新加载图层后再编辑 ("
        f"layer {layer.code!r} changed since version {version} (now {layer.version}): "
        + "; ".join(lines)
        + ". Reload the layer and make the edit again.)",
        layer=layer.code,
        current_version=layer.version,
        your_version=version,
    )


def locked_after_code(code_before: str, changes: Changeset) -> bool:
    """Whether a grid (by its code before the edit) is still locked after it (False if gone)."""
    if any(g.code == code_before for g in changes.deleted):
        return False
    for c in changes.changed:
        if c.before.code == code_before:
            return c.after.locked
    return True


def code_before(code: str, changes: Changeset) -> str:
    """A grid's code before the edit, given its code after it."""
    for c in changes.changed:
        if c.after.code == code:
            return c.before.code
    return code
