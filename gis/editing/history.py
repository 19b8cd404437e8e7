"""The edit history of a layer, undo and redo, and revert to any earlier version.

Nothing is ever rewritten: undo, redo and revert are new edits (each bumps the version and is
in the history and the audit log), computed from the recorded changesets:

- **undo** runs backwards the planner's own latest edit of the layer that is not undone yet;
- **redo** runs again the edit that the planner's latest undo ran backwards, as long as the
  planner has made no other edit of the layer since (a new edit empties the redo stack);
- **revert** takes the layer back to how it was at an earlier version: the edits since are run
  backwards in memory, from the newest, and the difference to today is applied as one edit.

Undo and revert also run backwards what the edits did to party assignments (a merged-away
grid's leader comes back with the grid; see :mod:`gis.editing.leaders`).

Each of them passes the same checks as any edit (scope, locks, communities) and refuses, naming
the unit or grid, when the layer has moved on in a way that makes it ambiguous.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission
from gis.editing.changeset import (
    Changeset,
    EditRequest,
    Layer,
    Move,
    check_version,
    find_layer,
    lock_layer,
)
from gis.editing.writer import EditResult, apply_changeset
from gis.errors import Conflict, Invalid, NotFound
from gis.infra.settings import Settings
from gis.scope import Scope

NORMAL_KINDS = ("move", "new", "split", "merge", "lock", "unlock", "rename", "revert")


def _visible(scope: Scope) -> tuple[str, dict[str, Any]]:
    """History entries a scope sees: the edits that touched a community inside it."""
    if scope.is_everything:
        return "true", {}
    inside = scope.filter_sql("ec")
    return f"EXISTS (SELECT 1 FROM unnest(e.communities) AS ec WHERE {inside.sql})", inside.params


@dataclass(frozen=True)
class EditHeader:
    """What every view of an edit says first: who, when, what it did to which grids."""

    version: int
    base_version: int
    kind: str
    actor: str
    at: str  # ISO 8601
    summary: str
    grids: dict[str, Any]
    communities: list[str]


@dataclass(frozen=True)
class HistoryItem(EditHeader):
    """One edit as the history lists it: undone or not, and how many units it moved."""

    undone: bool
    undoes_version: int | None
    moved: int


@dataclass(frozen=True)
class EditRef:
    """The edit that undo (or redo) would take back (or make again)."""

    version: int
    summary: str


@dataclass(frozen=True)
class HistoryPage:
    layer: str
    version: int
    items: tuple[HistoryItem, ...]
    matched: int
    can_undo: EditRef | None
    can_redo: EditRef | None
    next_offset: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The page as the API sends it (OGC paging members; ``next_offset`` when more)."""
        page: dict[str, Any] = {
            "layer": self.layer,
            "version": self.version,
            "items": [asdict(item) for item in self.items],
            "numberMatched": self.matched,
            "numberReturned": len(self.items),
            "can_undo": None if self.can_undo is None else asdict(self.can_undo),
            "can_redo": None if self.can_redo is None else asdict(self.can_redo),
        }
        if self.next_offset is not None:
            page["next_offset"] = self.next_offset
        return page


def list_history(
    conn: Connection, layer_code: str, *, access: Access, limit: int = 50, offset: int = 0
) -> HistoryPage:
    """The layer's edits, newest first (those touching the actor's scope), with what each did,
    and what undo and redo would do for this actor now."""
    access.require(Permission.EDIT_LAYERS)
    scope = access.scope
    if limit < 1 or offset < 0:
        raise Invalid(
            "limit 须 ≥ 1，offset 须 ≥ 0 (limit must be ≥ 1 and offset ≥ 0)",
            limit=limit,
            offset=offset,
        )
    layer = find_layer(conn, layer_code)
    where, params = _visible(scope)
    params |= {"layer": layer.id}
    matched = conn.execute(
        text(f"SELECT count(*) FROM grid_edit e WHERE e.layer_id = :layer AND {where}"), params
    ).scalar_one()
    rows = conn.execute(
        text(
            f"""
            SELECT e.id, e.version, e.base_version, e.kind, e.actor, e.at, e.summary, e.grids,
                   e.communities, e.undone_by IS NOT NULL AS undone,
                   (SELECT u.version FROM grid_edit u WHERE u.id = e.undoes) AS undoes_version,
                   (SELECT count(*) FROM grid_edit_move m WHERE m.edit_id = e.id) AS moved
            FROM grid_edit e WHERE e.layer_id = :layer AND {where}
            ORDER BY e.version DESC LIMIT :limit OFFSET :offset
            """
        ),
        params | {"limit": limit, "offset": offset},
    ).mappings()
    items = []
    for r in rows:
        item = dict(r)
        item.pop("id")
        item["at"] = item["at"].isoformat()
        item["communities"] = list(item["communities"])
        items.append(HistoryItem(**item))
    undo = _undo_target(conn, layer, access.name)
    redo = _redo_target(conn, layer, access.name)
    return HistoryPage(
        layer=layer.code,
        version=layer.version,
        items=tuple(items),
        matched=int(matched),
        can_undo=None if undo is None else EditRef(undo.version, undo.summary),
        can_redo=None if redo is None else EditRef(redo.version, redo.summary),
        next_offset=offset + len(items) if offset + len(items) < matched else None,
    )


@dataclass(frozen=True)
class MovedUnit:
    unit: str
    from_grid: str | None
    to_grid: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "from": self.from_grid, "to": self.to_grid}


@dataclass(frozen=True)
class EditDetail(EditHeader):
    """One edit, with every unit it moved."""

    moves: tuple[MovedUnit, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"moves": [m.to_dict() for m in self.moves]}


def edit_detail(conn: Connection, layer_code: str, version: int, *, access: Access) -> EditDetail:
    """One edit with every unit it moved (code, from, to)."""
    access.require(Permission.EDIT_LAYERS)
    scope = access.scope
    layer = find_layer(conn, layer_code)
    where, params = _visible(scope)
    row = (
        conn.execute(
            text(
                "SELECT e.id, e.version, e.base_version, e.kind, e.actor, e.at, e.summary, "
                f"e.grids, e.communities, ({where}) AS visible FROM grid_edit e "
                "WHERE e.layer_id = :layer AND e.version = :version"
            ),
            params | {"layer": layer.id, "version": version},
        )
        .mappings()
        .first()
    )
    if row is None or not row["visible"]:
        raise NotFound(
            f"图层 {layer.code!r} 没有第 {version} 版的编辑记录 ("
            f"layer {layer.code!r} has no edit at version {version})",
            version=version,
        )
    moves = conn.execute(
        text(
            "SELECT u.code AS unit, m.from_code AS from, m.to_code AS to FROM grid_edit_move m "
            "JOIN base_unit u ON u.id = m.unit_id WHERE m.edit_id = :id ORDER BY u.code"
        ),
        {"id": row["id"]},
    ).mappings()
    out = dict(row)
    out.pop("id")
    out.pop("visible")
    out["at"] = out["at"].isoformat()
    out["communities"] = list(out["communities"])
    out["moves"] = tuple(MovedUnit(m["unit"], m["from"], m["to"]) for m in moves)
    return EditDetail(**out)


def recorded_changeset(conn: Connection, edit_id: int, grids: dict[str, Any]) -> Changeset:
    moves = conn.execute(
        text(
            "SELECT unit_id, from_code, to_code FROM grid_edit_move WHERE edit_id = :id "
            "ORDER BY unit_id"
        ),
        {"id": edit_id},
    ).all()
    return Changeset.from_json(grids, (Move(int(m[0]), m[1], m[2]) for m in moves))


def _undo_target(conn: Connection, layer: Layer, actor: str) -> Any:
    return conn.execute(
        text(
            "SELECT id, version, kind, summary, grids FROM grid_edit "
            "WHERE layer_id = :layer AND actor = :actor AND kind <> 'undo' "
            "AND undone_by IS NULL ORDER BY id DESC LIMIT 1"
        ),
        {"layer": layer.id, "actor": actor},
    ).first()


def _redo_target(conn: Connection, layer: Layer, actor: str) -> Any:
    """The latest undo of the actor not yet redone, unless the actor edited since."""
    return conn.execute(
        text(
            """
            SELECT u.id, e.version, e.summary, e.grids, e.id AS original_id, e.kind
            FROM grid_edit u JOIN grid_edit e ON e.id = u.undoes
            WHERE u.layer_id = :layer AND u.actor = :actor AND u.kind = 'undo'
              AND u.undone_by IS NULL
              AND NOT EXISTS (
                  SELECT 1 FROM grid_edit n WHERE n.layer_id = :layer AND n.actor = :actor
                  AND n.id > u.id AND n.kind = ANY(:normal))
            ORDER BY u.id DESC LIMIT 1
            """
        ),
        {"layer": layer.id, "actor": actor, "normal": list(NORMAL_KINDS)},
    ).first()


def undo(
    conn: Connection,
    layer_code: str,
    settings: Settings,
    *,
    access: Access,
    version: int | None = None,
    dry_run: bool = False,
) -> EditResult:
    """Run backwards the actor's latest edit of the layer that is not undone yet."""
    return _step(conn, layer_code, settings, "undo", version, dry_run, access=access)


def redo(
    conn: Connection,
    layer_code: str,
    settings: Settings,
    *,
    access: Access,
    version: int | None = None,
    dry_run: bool = False,
) -> EditResult:
    """Run again the edit the actor's latest undo ran backwards."""
    return _step(conn, layer_code, settings, "redo", version, dry_run, access=access)


def _step(
    conn: Connection,
    layer_code: str,
    settings: Settings,
    kind: str,
    version: int | None,
    dry_run: bool,
    *,
    access: Access,
) -> EditResult:
    """An undo or a redo is an edit of its own, linked both ways to the one it reverses, so the
    history is never rewritten and each planner's stacks can be read back from it."""
    access.require(Permission.EDIT_LAYERS)
    layer = lock_layer(conn, layer_code)
    check_version(conn, layer, version)
    if kind == "undo":
        target = _undo_target(conn, layer, access.name)
        if target is None:
            raise Conflict(
                f"没有可撤销的操作：您在图层 {layer.code!r} 上已无可撤销的"
                "编辑 ("
                f"nothing to undo: you have no edit of layer {layer.code!r} left to undo)"
            )
        changes = recorded_changeset(conn, target.id, target.grids).inverse()
    else:
        target = _redo_target(conn, layer, access.name)
        if target is None:
            raise Conflict(
                f"图层 {layer.code!r} 没有可重做的操作 (nothing to redo on layer {layer.code!r})"
            )
        changes = recorded_changeset(conn, target.original_id, target.grids)
    result = apply_changeset(
        conn,
        layer,
        changes,
        EditRequest(
            kind,
            f"{kind} v{target.version} ({target.summary})"[:500],
            version,
            dry_run,
            confirm=True,
            undoes=target.id,
            restores=((target.id, {}),) if kind == "undo" else (),
        ),
        settings,
        access=access,
    )
    if not dry_run:
        conn.execute(
            text("UPDATE grid_edit SET undone_by = :by WHERE id = :id"),
            {"by": result.edit, "id": target.id},
        )
    return result
