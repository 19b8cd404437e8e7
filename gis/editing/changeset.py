"""A changeset: what one edit does to a layer — grids created, deleted or changed, units moved.

Every edit (a move, a new grid, a split, a merge, a lock, a rename, and undo, redo and revert)
is expressed as a :class:`Changeset` and goes through one writer, :func:`apply_changeset`, which
checks the rules (scope, locks, one community per grid), writes the membership, re-derives the
touched grids' geometry and totals in PostGIS, bumps the layer version, and records the edit in
the history and the audit log — all on the caller's connection, so all of it commits or none.

A changeset names grids by code, never by database id: grids that an edit empties are deleted
and come back with a new id when the edit is undone, and codes are what planners read. Moves
name the grid a unit leaves by its code *before* the edit and the grid it joins by its code
*after* it, so that :meth:`Changeset.inverse` is exact and undo is the inverse applied.

A dry run is the same writer inside a savepoint that is rolled back: the preview is exactly
what applying would do.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection, text

from gis import audit
from gis.audit import Actor
from gis.errors import Conflict, Forbidden, Invalid, NotFound
from gis.geojson import collection, feature_sql
from gis.grids import refresh_grids
from gis.infra.settings import Settings
from gis.scope import Scope
from gis.workload import band_status

log = logging.getLogger(__name__)

#: Layer kinds the editor changes; departmental layers are imported from the departments.
EDITABLE_KINDS = ("unified", "scenario")


class CrossesCommunity(Conflict):
    """A unit would join a grid of another community (a grid never crosses that line)."""

    title = "Crosses a community boundary"


class GridLocked(Conflict):
    title = "Grid is locked"


class StaleVersion(Conflict):
    title = "Stale layer version"


class SplitsGrid(Conflict):
    """The edit leaves a grid in pieces and the planner has not confirmed it (or may not)."""

    title = "Edit splits a grid"


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


def find_layer(conn: Connection, code: str) -> Layer:
    """The layer as it is now (for reading; edits use :func:`lock_layer`)."""
    row = conn.execute(
        text("SELECT id, code, kind, version FROM grid_layer WHERE code = :c"), {"c": code}
    ).first()
    if row is None:
        raise NotFound(f"no grid layer with code {code!r}", layer=code)
    return Layer(int(row.id), row.code, row.kind, int(row.version))


def lock_layer(conn: Connection, code: str, *, editable: bool = True) -> Layer:
    """The layer, locked against concurrent edits until the transaction ends."""
    row = conn.execute(
        text("SELECT id, code, kind, version FROM grid_layer WHERE code = :c FOR UPDATE"),
        {"c": code},
    ).first()
    if row is None:
        raise NotFound(f"no grid layer with code {code!r}", layer=code)
    layer = Layer(int(row.id), row.code, row.kind, int(row.version))
    if editable and layer.kind not in EDITABLE_KINDS:
        raise Invalid(
            f"layer {code!r} is a departmental layer ({layer.kind}): it is imported from its "
            "department and not edited here; edit the unified layer or a scenario",
            layer=code,
        )
    return layer


def check_version(conn: Connection, layer: Layer, version: int | None) -> None:
    """Refuse an edit made on another version than the current one, saying what changed."""
    if version is None or version == layer.version:
        return
    if version > layer.version:
        raise StaleVersion(
            f"layer {layer.code!r} is at version {layer.version}, not {version}: reload it",
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
        f"layer {layer.code!r} changed since version {version} (now {layer.version}): "
        + "; ".join(lines)
        + ". Reload the layer and make the edit again.",
        layer=layer.code,
        current_version=layer.version,
        your_version=version,
    )


# ----------------------------------------------------------------------------- the writer


# Polsby–Popper compactness (4πA/P², 1 for a circle) on the outline with its longitudes scaled
# by cos(latitude): at grid size that is the shape in metres, ten times cheaper than geography.
_GRID_SUMMARY = """
    SELECT g.id, g.code, g.name, g.locked, g.unit_count, g.households, g.population,
           round(g.workload::numeric, 1)::float AS workload,
           coalesce(ST_NumGeometries(g.geom), 0) AS pieces,
           round((4 * pi() * ST_Area(s.shape) / nullif(ST_Perimeter(s.shape) ^ 2, 0))::numeric,
                 3)::float AS compactness
    FROM grid g
    CROSS JOIN LATERAL (
        SELECT ST_Scale(g.geom, cos(radians(ST_Y(ST_PointOnSurface(g.geom)))), 1) AS shape
    ) s
    WHERE g.id = ANY(:ids)
"""


def _summaries(
    conn: Connection, ids: Sequence[int], band: tuple[float, float]
) -> dict[str, dict[str, Any]]:
    rows = conn.execute(text(_GRID_SUMMARY), {"ids": list(ids)}).mappings()
    out = {}
    for r in rows:
        item = dict(r)
        item.pop("id")
        item["band"] = band_status(item["workload"], *band)
        out[item["code"]] = item
    return out


def _community_label(conn: Connection, ids: Iterable[int | None]) -> dict[int, str]:
    rows = conn.execute(
        text("SELECT id, code, name FROM community WHERE id = ANY(:ids)"),
        {"ids": [i for i in ids if i is not None]},
    ).all()
    return {int(r.id): f"{r.name} ({r.code})" for r in rows}


def apply_changeset(
    conn: Connection,
    actor: Actor,
    scope: Scope,
    layer: Layer,
    changes: Changeset,
    request: EditRequest,
    settings: Settings,
) -> dict[str, Any]:
    """Check and write one edit; answer the touched grids before and after.

    With ``request.dry_run`` the same work runs in a savepoint that is rolled back.

    Raises
    ------
    Forbidden
        A touched grid is not wholly inside ``scope``.
    GridLocked, CrossesCommunity, SplitsGrid, Conflict
        The edit breaks a rule, or the layer is no longer as the edit expects.
    """
    if changes.empty:
        raise Invalid("the edit changes nothing", layer=layer.code)
    band = (settings.band_low, settings.band_high)
    # A savepoint makes the edit all-or-nothing even inside a caller's longer transaction; a
    # dry run always rolls it back.
    savepoint = conn.begin_nested()
    try:
        result = _write(conn, actor, scope, layer, changes, request, settings, band)
    except BaseException:
        savepoint.rollback()
        raise
    if request.dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    if request.dry_run:
        result["version"] = layer.version
        result["edit"] = None
    return result


def _write(
    conn: Connection,
    actor: Actor,
    scope: Scope,
    layer: Layer,
    changes: Changeset,
    request: EditRequest,
    settings: Settings,
    band: tuple[float, float],
) -> dict[str, Any]:
    created_codes = {g.code for g in changes.created}
    deleted_codes = {g.code for g in changes.deleted}
    changed_before = {c.before.code: c for c in changes.changed}
    changed_after = {c.after.code: c for c in changes.changed}
    from_codes = {m.from_code for m in changes.moves}
    to_codes = {m.to_code for m in changes.moves}
    wanted = from_codes | to_codes | deleted_codes | created_codes
    wanted |= set(changed_before) | set(changed_after)
    inside = scope.grid_sql("g", entirely=True)
    rows = {
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

    # --- the grids the edit expects are there, as it expects them
    for code in sorted(from_codes | deleted_codes | set(changed_before)):
        if code not in rows:
            raise Conflict(
                f"grid {code} is no longer in layer {layer.code!r}: reload the layer",
                layer=layer.code,
                grid=code,
            )
    for c in changes.changed:
        row = rows[c.before.code]
        if (row.name, row.locked) != (c.before.name, c.before.locked):
            raise Conflict(
                f"grid {c.before.code} was changed since (name {row.name!r}, "
                f"{'locked' if row.locked else 'unlocked'}): reload the layer",
                layer=layer.code,
                grid=c.before.code,
            )
    for code in sorted(created_codes | set(changed_after)):
        if code in rows and code not in deleted_codes and code not in changed_before:
            raise Conflict(
                f"layer {layer.code!r} already has a grid {code}", layer=layer.code, grid=code
            )
    for code in sorted(to_codes - created_codes - set(changed_after)):
        if code not in rows or code in deleted_codes:
            raise NotFound(f"layer {layer.code!r} has no grid {code}", layer=layer.code, grid=code)

    # --- scope: every grid the edit touches lies wholly inside the actor's scope
    for code in sorted(rows):
        if not rows[code].inside:
            raise Forbidden(
                f"grid {code} of layer {layer.code!r} is not wholly inside your scope ({scope}): "
                "you may only edit grids inside it",
                layer=layer.code,
                grid=code,
            )
    community_codes = _community_codes(conn, [g.community_id for g in changes.created])
    for g in changes.created:
        if not scope.reaches(community_codes.get(g.community_id or -1, "")) and not (
            scope.is_everything
        ):
            raise Forbidden(
                f"new grid {g.code} would lie outside your scope ({scope})",
                layer=layer.code,
                grid=g.code,
            )

    # --- locks: a grid that is locked (and stays locked) neither gains nor loses units
    def locked_before(code: str) -> bool:
        if code in changed_after:
            return changed_after[code].before.locked
        return code in rows and code not in created_codes and bool(rows[code].locked)

    def locked_after(code: str) -> bool:
        if code in changed_after:
            return changed_after[code].after.locked
        if code in created_codes:
            return next(g.locked for g in changes.created if g.code == code)
        return bool(rows[code].locked)

    for code in sorted(deleted_codes):
        if rows[code].locked:
            raise GridLocked(
                f"grid {code} is locked: unlock it before it can be merged away or removed",
                layer=layer.code,
                grid=code,
            )
    frozen = {c for c in from_codes if rows[c].locked and locked_after_code(c, changes)}
    frozen |= {c for c in to_codes if locked_before(c) and locked_after(c)}
    for code in sorted(frozen):
        raise GridLocked(
            f"grid {code} is locked: its units cannot be moved, nor units moved into it "
            "(unlock it first)",
            layer=layer.code,
            grid=code,
        )

    # --- the units are where the edit expects them, and stay inside their community
    unit_ids = [m.unit_id for m in changes.moves]
    units = {
        int(r.id): r
        for r in conn.execute(
            text(
                "SELECT u.id, u.code, u.community_id, g.code AS grid_code FROM base_unit u "
                "LEFT JOIN grid_unit gu ON gu.unit_id = u.id AND gu.layer_id = :layer "
                "LEFT JOIN grid g ON g.id = gu.grid_id WHERE u.id = ANY(:ids)"
            ),
            {"layer": layer.id, "ids": unit_ids},
        )
    }
    to_community: dict[str, int | None] = {g.code: g.community_id for g in changes.created}
    for c in changes.changed:
        to_community[c.after.code] = c.after.community_id
    for m in changes.moves:
        unit = units.get(m.unit_id)
        if unit is None:
            raise NotFound(f"base unit {m.unit_id} no longer exists", unit=m.unit_id)
        if unit.grid_code != m.from_code:
            where = f"grid {unit.grid_code}" if unit.grid_code else "no grid of the layer"
            raise Conflict(
                f"unit {unit.code} is now in {where}, not in grid {m.from_code}: "
                "it was moved since; reload the layer",
                layer=layer.code,
                unit=unit.code,
            )
        if m.to_code in to_community:
            community = to_community[m.to_code]
        else:
            community = rows[m.to_code].community_id
        if community is not None and unit.community_id != community:
            labels = _community_label(conn, [unit.community_id, community])
            raise CrossesCommunity(
                f"unit {unit.code} lies in community {labels.get(unit.community_id, '?')}, "
                f"grid {m.to_code} belongs to community {labels.get(community, '?')}: "
                "a grid never crosses a community boundary, so the unit cannot join it",
                layer=layer.code,
                unit=unit.code,
                grid=m.to_code,
            )

    before = _summaries(conn, [r.id for r in rows.values()], band)

    # --- write: park codes that go away, create, change, move, delete
    parked = [rows[c].id for c in deleted_codes] + [
        rows[c.before.code].id for c in changes.changed if c.before.code != c.after.code
    ]
    if parked:
        conn.execute(
            text("UPDATE grid SET code = '~' || id::text WHERE id = ANY(:ids)"), {"ids": parked}
        )
    ids_after: dict[str, int] = {c: rows[c].id for c in rows if c not in deleted_codes}
    for c in changes.changed:
        ids_after.pop(c.before.code, None)
    for g in changes.created:
        ids_after[g.code] = int(
            conn.execute(
                text(
                    "INSERT INTO grid (layer_id, code, name, community_id, locked) "
                    "VALUES (:layer, :code, :name, :community, :locked) RETURNING id"
                ),
                {
                    "layer": layer.id,
                    "code": g.code,
                    "name": g.name,
                    "community": g.community_id,
                    "locked": g.locked,
                },
            ).scalar_one()
        )
    for c in changes.changed:
        gid = rows[c.before.code].id
        conn.execute(
            text(
                "UPDATE grid SET code = :code, name = :name, locked = :locked, "
                "community_id = :community WHERE id = :id"
            ),
            {
                "code": c.after.code,
                "name": c.after.name,
                "locked": c.after.locked,
                "community": c.after.community_id,
                "id": gid,
            },
        )
        ids_after[c.after.code] = gid
    if changes.moves:
        conn.execute(
            text(
                "UPDATE grid_unit gu SET grid_id = t.grid_id "
                "FROM unnest(CAST(:units AS int[]), CAST(:grids AS int[])) AS t(unit_id, grid_id) "
                "WHERE gu.layer_id = :layer AND gu.unit_id = t.unit_id"
            ),
            {
                "layer": layer.id,
                "units": unit_ids,
                "grids": [ids_after[m.to_code] for m in changes.moves],
            },
        )
    # A grid the edit leaves with no unit is removed (and recorded, so that undo brings it back).
    emptied = conn.execute(
        text(
            "SELECT g.code FROM grid g WHERE g.id = ANY(:ids) "
            "AND NOT EXISTS (SELECT 1 FROM grid_unit gu WHERE gu.grid_id = g.id) ORDER BY g.code"
        ),
        {"ids": [rows[c].id for c in from_codes - deleted_codes - set(changed_before)]},
    ).scalars()
    for code in emptied:
        changes = replace(changes, deleted=(*changes.deleted, _grid_state(rows[code])))
        deleted_codes.add(code)
        ids_after.pop(code, None)
    if deleted_codes:
        deleted_ids = [rows[c].id for c in deleted_codes]
        left = conn.execute(
            text("SELECT count(*) FROM grid_unit WHERE grid_id = ANY(:ids)"), {"ids": deleted_ids}
        ).scalar_one()
        if left:
            raise Conflict(
                f"grid(s) {', '.join(sorted(deleted_codes))} still hold {left} unit(s) that the "
                "edit does not move: reload the layer",
                layer=layer.code,
            )
        # Give a parked grid its code back unless another grid took it, so that the trigger
        # filing the grid's party assignments (migration 0005) files them under the real code.
        conn.execute(
            text(
                "UPDATE grid g SET code = d.code FROM unnest(CAST(:ids AS int[]), "
                "CAST(:codes AS text[])) AS d(id, code) WHERE g.id = d.id AND NOT EXISTS "
                "(SELECT 1 FROM grid o WHERE o.layer_id = g.layer_id AND o.code = d.code)"
            ),
            {"ids": deleted_ids, "codes": [rows[c].code for c in deleted_codes]},
        )
        conn.execute(text("DELETE FROM grid WHERE id = ANY(:ids)"), {"ids": deleted_ids})
    refresh_grids(conn, settings.weights, grid_ids=sorted(ids_after.values()))
    after_ids = sorted(set(ids_after.values()))
    after = _summaries(conn, after_ids, band)
    # The new outlines, for a preview only, as GeoJSON text built in PostGIS: a big edit's
    # outlines are megabytes of coordinates, not worth a round through Python objects.
    preview = None
    if request.dry_run:
        props = {"code": "g.code", "workload": "round(g.workload::numeric, 1)"}
        preview = collection(
            conn,
            f"SELECT {feature_sql('g.code', 'g.geom', props)} FROM grid g "
            "WHERE g.id = ANY(:ids) AND g.geom IS NOT NULL ORDER BY g.code",
            {"ids": after_ids},
        )

    # --- pieces: an edit that leaves a grid in more pieces than before needs a confirm
    split = sorted(
        code
        for code, a in after.items()
        if a["pieces"] > max(1, before.get(_code_before(code, changes), {}).get("pieces", 1))
    )
    needs_confirm = bool(split) and not request.confirm
    refused = bool(split) and settings.edit_split_grids == "refuse"
    if split and not request.dry_run and (needs_confirm or refused):
        pieces = ", ".join(f"{c} into {after[c]['pieces']} pieces" for c in split)
        if refused:
            raise SplitsGrid(
                f"the edit would split grid {pieces}; this installation refuses edits that "
                "leave a grid in pieces (GRIDMAP_EDIT_SPLIT_GRIDS=refuse)",
                layer=layer.code,
            )
        raise SplitsGrid(
            f"the edit would split grid {pieces}: look at the preview and send confirm=true "
            "to apply it anyway",
            layer=layer.code,
        )

    # --- record: version, history, audit
    version = int(
        conn.execute(
            text("UPDATE grid_layer SET version = version + 1 WHERE id = :id RETURNING version"),
            {"id": layer.id},
        ).scalar_one()
    )
    communities = _edit_communities(conn, changes, rows)
    edit_id = int(
        conn.execute(
            text(
                "INSERT INTO grid_edit (layer_id, version, base_version, kind, actor, summary, "
                "grids, communities, undoes) VALUES (:layer, :version, :base, :kind, :actor, "
                ":summary, CAST(:grids AS jsonb), CAST(:communities AS varchar[]), :undoes) "
                "RETURNING id"
            ),
            {
                "layer": layer.id,
                "version": version,
                "base": layer.version,
                "kind": request.kind,
                "actor": audit.actor_name(actor),
                "summary": request.summary,
                "grids": json.dumps(changes.grids_json(), ensure_ascii=False),
                "communities": communities,
                "undoes": request.undoes,
            },
        ).scalar_one()
    )
    if changes.moves:
        conn.execute(
            text(
                "INSERT INTO grid_edit_move (edit_id, unit_id, from_code, to_code) "
                "SELECT :edit, * FROM unnest(CAST(:units AS int[]), CAST(:froms AS varchar[]), "
                "CAST(:tos AS varchar[]))"
            ),
            {
                "edit": edit_id,
                "units": unit_ids,
                "froms": [m.from_code for m in changes.moves],
                "tos": [m.to_code for m in changes.moves],
            },
        )
    moves_out = [
        {"unit": units[m.unit_id].code, "from": m.from_code, "to": m.to_code} for m in changes.moves
    ]
    audit.record(
        conn,
        actor,
        f"layer.{request.kind}",
        "grid_layer",
        layer.code,
        {"version": layer.version},
        {
            "version": version,
            "edit": edit_id,
            "summary": request.summary,
            "moves": moves_out,
            "grids": changes.grids_json(),
        }
        | request.extra,
    )
    log.info(
        "layer %s: %s edit v%d by %s", layer.code, request.kind, version, audit.actor_name(actor)
    )

    grids = []
    for code in sorted(set(before) | set(after)):
        was = before.get(code)
        now = after.get(code)
        status = "changed"
        if code in deleted_codes:
            status, now = "deleted", None
        elif code in created_codes:
            status, was = "created", None
        elif code in changed_after and changed_after[code].before.code != code:
            was = before.get(changed_after[code].before.code)
        if code in changed_before and code not in changed_after and code not in deleted_codes:
            continue  # recoded away: shown under its new code
        grids.append({"code": code, "status": status, "before": was, "after": now})
    return {
        "layer": layer.code,
        "kind": request.kind,
        "summary": request.summary,
        "dry_run": request.dry_run,
        "applied": not request.dry_run,
        "base_version": layer.version,
        "version": version,
        "edit": edit_id,
        "moved": len(changes.moves),
        "moves": moves_out,
        "grids": grids,
        "splits": split,
        "needs_confirm": needs_confirm and not refused,
        "preview": preview,
        "refused": (
            "this installation refuses edits that leave a grid in pieces"
            if refused and split
            else None
        ),
    }


def _grid_state(row: Any) -> GridState:
    return GridState(row.code, row.name, row.community_id, bool(row.locked))


def locked_after_code(code_before: str, changes: Changeset) -> bool:
    """Whether a grid (by its code before the edit) is still locked after it (False if gone)."""
    if any(g.code == code_before for g in changes.deleted):
        return False
    for c in changes.changed:
        if c.before.code == code_before:
            return c.after.locked
    return True


def _code_before(code: str, changes: Changeset) -> str:
    for c in changes.changed:
        if c.after.code == code:
            return c.before.code
    return code


def _community_codes(conn: Connection, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = conn.execute(
        text("SELECT id, code FROM community WHERE id = ANY(:ids)"), {"ids": wanted}
    ).all()
    return {int(r.id): r.code for r in rows}


def _edit_communities(conn: Connection, changes: Changeset, rows: dict[str, Any]) -> list[str]:
    """The communities an edit touched: where its history entry shows (see history scope)."""
    ids = {g.community_id for g in changes.created + changes.deleted}
    ids |= {c.after.community_id for c in changes.changed}
    ids |= {r.community_id for r in rows.values()}
    codes = set(_community_codes(conn, ids).values())
    if changes.moves:
        codes |= set(
            conn.execute(
                text(
                    "SELECT DISTINCT c.code FROM base_unit u JOIN community c "
                    "ON c.id = u.community_id WHERE u.id = ANY(:ids)"
                ),
                {"ids": [m.unit_id for m in changes.moves]},
            ).scalars()
        )
    return sorted(codes)
