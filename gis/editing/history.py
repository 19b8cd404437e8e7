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

import itertools
from typing import Any

from sqlalchemy import Connection, text

from gis.accounts import Permission, authorize
from gis.audit import Actor, actor_name
from gis.editing.changeset import (
    Changeset,
    EditRequest,
    GridChange,
    GridState,
    Layer,
    Move,
    check_version,
    find_layer,
    lock_layer,
)
from gis.editing.writer import apply_changeset
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


def list_history(
    conn: Connection, actor: Actor, layer_code: str, *, limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    """The layer's edits, newest first (those touching the actor's scope), with what each did,
    and what undo and redo would do for this actor now."""
    scope = authorize(actor, Permission.EDIT_LAYERS)
    if limit < 1 or offset < 0:
        raise Invalid("limit must be ≥ 1 and offset ≥ 0", limit=limit, offset=offset)
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
        items.append(item)
    undo = _undo_target(conn, layer, actor_name(actor))
    redo = _redo_target(conn, layer, actor_name(actor))
    page: dict[str, Any] = {
        "layer": layer.code,
        "version": layer.version,
        "items": items,
        "numberMatched": int(matched),
        "numberReturned": len(items),
        "can_undo": None if undo is None else {"version": undo.version, "summary": undo.summary},
        "can_redo": None if redo is None else {"version": redo.version, "summary": redo.summary},
    }
    if offset + len(items) < matched:
        page["next_offset"] = offset + len(items)
    return page


def edit_detail(conn: Connection, actor: Actor, layer_code: str, version: int) -> dict[str, Any]:
    """One edit with every unit it moved (code, from, to)."""
    scope = authorize(actor, Permission.EDIT_LAYERS)
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
        raise NotFound(f"layer {layer.code!r} has no edit at version {version}", version=version)
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
    out["moves"] = [dict(m) for m in moves]
    return out


def _changeset(conn: Connection, edit_id: int, grids: dict[str, Any]) -> Changeset:
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
    actor: Actor,
    layer_code: str,
    settings: Settings,
    *,
    version: int | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Run backwards the actor's latest edit of the layer that is not undone yet."""
    return _step(conn, actor, layer_code, settings, "undo", version, dry_run)


def redo(
    conn: Connection,
    actor: Actor,
    layer_code: str,
    settings: Settings,
    *,
    version: int | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Run again the edit the actor's latest undo ran backwards."""
    return _step(conn, actor, layer_code, settings, "redo", version, dry_run)


def _step(
    conn: Connection,
    actor: Actor,
    layer_code: str,
    settings: Settings,
    kind: str,
    version: int | None,
    dry_run: bool,
) -> dict[str, Any]:
    """An undo or a redo is an edit of its own, linked both ways to the one it reverses, so the
    history is never rewritten and each planner's stacks can be read back from it."""
    scope = authorize(actor, Permission.EDIT_LAYERS)
    layer = lock_layer(conn, layer_code)
    check_version(conn, layer, version)
    if kind == "undo":
        target = _undo_target(conn, layer, actor_name(actor))
        if target is None:
            raise Conflict(
                f"nothing to undo: you have no edit of layer {layer.code!r} left to undo"
            )
        changes = _changeset(conn, target.id, target.grids).inverse()
    else:
        target = _redo_target(conn, layer, actor_name(actor))
        if target is None:
            raise Conflict(f"nothing to redo on layer {layer.code!r}")
        changes = _changeset(conn, target.original_id, target.grids)
    result = apply_changeset(
        conn,
        actor,
        scope,
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
    )
    if not dry_run:
        conn.execute(
            text("UPDATE grid_edit SET undone_by = :by WHERE id = :id"),
            {"by": result["edit"], "id": target.id},
        )
    return result


# ----------------------------------------------------------------------------- revert


class _Replay:
    """The layer's grids and the units the history moved, in memory, keyed by grid identity
    (a recode keeps the key): enough to run edits backwards and compare with today."""

    def __init__(self, grids: dict[str, GridState], units: dict[int, str]) -> None:
        self.grids: dict[Any, GridState] = {("now", c): g for c, g in grids.items()}
        self.units: dict[int, Any] = {u: ("now", c) for u, c in units.items()}
        self._new = itertools.count()

    def key(self, code: str) -> Any:
        for key, grid in self.grids.items():
            if grid.code == code:
                return key
        raise Conflict(
            f"the history names grid {code}, which the layer does not have at that point: "
            "it was changed outside the editor; revert is not possible past that change",
            grid=code,
        )

    def apply(self, changes: Changeset) -> None:
        sources = {m.from_code: self.key(m.from_code) for m in changes.moves}
        for m in changes.moves:
            if self.units.get(m.unit_id) != sources[m.from_code]:
                raise Conflict(
                    f"the history of unit {m.unit_id} does not match the layer: "
                    "revert is not possible past a change made outside the editor",
                    unit=m.unit_id,
                )
        for g in changes.created:
            self.grids[("was", next(self._new))] = g
        for c in changes.changed:
            self.grids[self.key(c.before.code)] = c.after
        for m in changes.moves:
            self.units[m.unit_id] = self.key(m.to_code)
        for g in changes.deleted:
            del self.grids[self.key(g.code)]


def revert(
    conn: Connection,
    actor: Actor,
    layer_code: str,
    to_version: int,
    settings: Settings,
    *,
    version: int | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Take the layer back to how it was at ``to_version``, as one new edit."""
    scope = authorize(actor, Permission.EDIT_LAYERS)
    layer = lock_layer(conn, layer_code)
    check_version(conn, layer, version)
    if not 1 <= to_version < layer.version:
        raise Invalid(
            f"revert goes back to an earlier version of layer {layer.code!r}: "
            f"1 to {layer.version - 1}, not {to_version}",
            to_version=to_version,
        )
    edits = conn.execute(
        text(
            "SELECT id, version, grids FROM grid_edit WHERE layer_id = :layer "
            "AND version > :v ORDER BY version DESC"
        ),
        {"layer": layer.id, "v": to_version},
    ).all()
    recorded = {e.version for e in edits}
    gaps = sorted(set(range(to_version + 1, layer.version + 1)) - recorded)
    if gaps:
        raise Conflict(
            f"version {gaps[-1]} of layer {layer.code!r} was made outside the editor (an import "
            f"or an adoption): the history goes back to version {gaps[-1]} only",
            layer=layer.code,
            oldest=gaps[-1],
        )
    changesets = [_changeset(conn, e.id, e.grids) for e in edits]
    unit_ids = sorted({m.unit_id for cs in changesets for m in cs.moves})
    now = _grid_states(conn, layer)
    members: dict[int, str] = {
        int(r[0]): r[1]
        for r in conn.execute(
            text(
                "SELECT gu.unit_id, g.code FROM grid_unit gu JOIN grid g ON g.id = gu.grid_id "
                "WHERE gu.layer_id = :layer AND gu.unit_id = ANY(:ids)"
            ),
            {"layer": layer.id, "ids": unit_ids},
        ).all()
    }
    replay = _Replay(now, members)
    for changes in changesets:
        replay.apply(changes.inverse())
    current = {("now", c): g for c, g in now.items()}
    created = tuple(g for k, g in replay.grids.items() if k not in current)
    deleted = tuple(g for k, g in current.items() if k not in replay.grids)
    changed = tuple(
        GridChange(g, replay.grids[k])
        for k, g in current.items()
        if k in replay.grids and replay.grids[k] != g
    )
    moves = tuple(
        Move(u, current[("now", members[u])].code, replay.grids[replay.units[u]].code)
        for u in unit_ids
        if replay.units[u] != ("now", members[u])
    )
    changes = Changeset(created, deleted, changed, moves)
    if changes.empty:
        raise Conflict(
            f"layer {layer.code!r} is already as it was at version {to_version}",
            layer=layer.code,
        )
    return apply_changeset(
        conn,
        actor,
        scope,
        layer,
        changes,
        EditRequest(
            "revert",
            f"revert to v{to_version} (runs back {len(edits)} edit{'s' if len(edits) > 1 else ''})",
            version,
            dry_run,
            confirm=True,
            extra={"to_version": to_version},
            restores=tuple(zip([e.id for e in edits], _code_maps(changesets), strict=True)),
        ),
        settings,
    )


def _grid_states(conn: Connection, layer: Layer) -> dict[str, GridState]:
    rows = conn.execute(
        text("SELECT code, name, community_id, locked FROM grid WHERE layer_id = :layer"),
        {"layer": layer.id},
    ).all()
    return {r.code: GridState(r.code, r.name, r.community_id, bool(r.locked)) for r in rows}


def _code_maps(changesets: list[Changeset]) -> list[dict[str, str]]:
    """For each edit (newest first), a map from the grid codes of the layer just before it to
    the codes the revert brings back, through the re-codings of the edits between."""
    maps: list[dict[str, str]] = []
    current: dict[str, str] = {}  # code at some version → code at the version reverted to
    for changes in reversed(changesets):  # oldest first
        maps.append(dict(current))
        for c in changes.changed:
            if c.before.code != c.after.code:
                current[c.after.code] = current.pop(c.before.code, c.before.code)
    return maps[::-1]
