"""Revert: take a layer back to how it was at an earlier version, as one new edit.

The edits since are run backwards in memory, from the newest (:class:`_Replay`), and the
difference to today is applied as one edit through the one writer, which also runs backwards
what those edits did to party assignments (a merged-away grid comes back with its leader).
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import Connection, Row, text

from gis.access import Access
from gis.accounts import Permission
from gis.editing.changeset import (
    Changeset,
    EditRequest,
    GridChange,
    GridState,
    Layer,
    Move,
    check_version,
    lock_layer,
)
from gis.editing.history import recorded_changeset
from gis.editing.writer import EditResult, apply_changeset
from gis.errors import Conflict, Invalid
from gis.infra.settings import Settings


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
            f"历史记录中的网格 {code} 在该版本的图层中不存在：图层曾在"
            "编辑器外被修改，无法回退到该修改之前 ("
            f"the history names grid {code}, which the layer does not have at that point: "
            "it was changed outside the editor; revert is not possible past that change)",
            grid=code,
        )

    def apply(self, changes: Changeset) -> None:
        sources = {m.from_code: self.key(m.from_code) for m in changes.moves}
        for m in changes.moves:
            if self.units.get(m.unit_id) != sources[m.from_code]:
                raise Conflict(
                    f"单元 {m.unit_id} 的历史记录与图层不符：无法回退到编辑器"
                    "外所作修改之前 ("
                    f"the history of unit {m.unit_id} does not match the layer: "
                    "revert is not possible past a change made outside the editor)",
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
    layer_code: str,
    to_version: int,
    settings: Settings,
    *,
    access: Access,
    version: int | None = None,
    dry_run: bool = False,
) -> EditResult:
    """Take the layer back to how it was at ``to_version``, as one new edit."""
    access.require(Permission.EDIT_LAYERS)
    layer = lock_layer(conn, layer_code)
    check_version(conn, layer, version)
    edits = _edits_since(conn, layer, to_version)
    changesets = [recorded_changeset(conn, e.id, e.grids) for e in edits]
    changes = _run_back(conn, layer, changesets)
    if changes.empty:
        raise Conflict(
            f"图层 {layer.code!r} 已与第 {to_version} 版相同 ("
            f"layer {layer.code!r} is already as it was at version {to_version})",
            layer=layer.code,
        )
    return apply_changeset(
        conn,
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
        access=access,
    )


def _edits_since(conn: Connection, layer: Layer, to_version: int) -> list[Row[Any]]:
    """The recorded edits after ``to_version``, newest first; refused when ``to_version`` is not
    an earlier version, or when a version in between was made outside the editor (an import or
    an adoption has no changeset to run back)."""
    if not 1 <= to_version < layer.version:
        raise Invalid(
            f"只能回退到图层 {layer.code!r} 的较早版本：1 至 "
            f"{layer.version - 1}，而不是 {to_version} ("
            f"revert goes back to an earlier version of layer {layer.code!r}: "
            f"1 to {layer.version - 1}, not {to_version})",
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
            f"图层 {layer.code!r} 的第 {gaps[-1]} 版是在编辑器外生成的"
            f"（导入或采纳方案）：历史记录只能回退到第 {gaps[-1]} 版 ("
            f"version {gaps[-1]} of layer {layer.code!r} was made outside the editor (an import "
            f"or an adoption): the history goes back to version {gaps[-1]} only)",
            layer=layer.code,
            oldest=gaps[-1],
        )
    return list(edits)


def _run_back(conn: Connection, layer: Layer, changesets: list[Changeset]) -> Changeset:
    """The one changeset from the layer as it is now to the layer before ``changesets``
    (newest first): their inverses replayed over today's grids and the units they moved."""
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
    return Changeset(created, deleted, changed, moves)


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
