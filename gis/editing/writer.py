"""The one writer of every edit: resolve → check → write → refresh → record.

:func:`apply_changeset` runs the steps in a savepoint on the caller's connection, so an edit is
all or nothing even inside a longer transaction, and a dry run is the same work rolled back:

1. **resolve** and **check** (:mod:`gis.editing.checks`): the grids it names, locked; scope,
   locks, one community per grid, units where the edit expects them;
2. **write**: park the codes that go away, create, change, move the units; grids left empty are
   removed; their party assignments follow (:mod:`gis.editing.leaders`), and an undo or revert
   brings back what the edits it runs backwards did to them;
3. **refresh**: the touched grids' geometry and totals re-derived in PostGIS, and the pieces
   check (an edit that cuts a grid needs a confirm, or is refused by setting);
4. **record** (:mod:`gis.editing.record`): version, history, audit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.editing import leaders
from gis.editing.changeset import (
    Changeset,
    EditRequest,
    GridState,
    Layer,
    SplitsGrid,
    code_before,
)
from gis.editing.checks import Touched, check_all
from gis.editing.record import grid_rows, record_edit
from gis.errors import Conflict, Invalid
from gis.geojson import collection, feature_sql
from gis.grids import refresh_grids
from gis.infra.settings import Settings
from gis.workload import band_status

# Polsby–Popper compactness (4πA/P², 1 for a circle) on the outline with its longitudes scaled
# by cos(latitude): at grid size that is the shape in metres, ten times cheaper than geography.
_GRID_SUMMARY = """
    SELECT g.id, g.code, g.name, g.locked, g.unit_count, g.households, g.population,
           round(g.workload::numeric, 1)::float AS workload,
           g.pieces,
           round((4 * pi() * ST_Area(s.shape) / nullif(ST_Perimeter(s.shape) ^ 2, 0))::numeric,
                 3)::float AS compactness
    FROM grid g
    CROSS JOIN LATERAL (
        SELECT ST_Scale(g.geom, cos(radians(ST_Y(ST_PointOnSurface(g.geom)))), 1) AS shape
    ) s
    WHERE g.id = ANY(:ids)
"""


@dataclass(frozen=True)
class EditResult:
    """An edit, applied or (``dry_run``) previewed: the grids it touches before and after, the
    units it moves, the leaders who follow their units, grids left in pieces. ``preview`` is the
    new outlines as GeoJSON text made by PostGIS (dry runs only), spliced into the answer as it
    is; ``version`` and ``edit`` are the layer's and the edit's (a dry run keeps the layer's
    version and records no edit)."""

    layer: str
    kind: str
    summary: str
    dry_run: bool
    applied: bool
    base_version: int
    version: int
    edit: int | None
    moved: int
    moves: list[dict[str, str]]
    grids: list[dict[str, Any]]
    leaders: dict[str, Any]
    splits: list[str]
    needs_confirm: bool
    preview: str | None
    refused: str | None


def apply_changeset(
    conn: Connection,
    layer: Layer,
    changes: Changeset,
    request: EditRequest,
    settings: Settings,
    *,
    access: Access,
) -> EditResult:
    """Check and write one edit; answer the touched grids before and after.

    With ``request.dry_run`` the same work runs in a savepoint that is rolled back.

    Raises
    ------
    Forbidden
        A touched grid is not wholly inside ``access.scope``.
    GridLocked, CrossesCommunity, SplitsGrid, Conflict
        The edit breaks a rule, or the layer is no longer as the edit expects.
    """
    if changes.empty:
        raise Invalid("此次编辑没有任何改变 (the edit changes nothing)", layer=layer.code)
    savepoint = conn.begin_nested()
    try:
        result = _write(conn, layer, changes, request, settings, access=access)
    except BaseException:
        savepoint.rollback()
        raise
    if request.dry_run:
        savepoint.rollback()
        result = replace(result, version=layer.version, edit=None)
    else:
        savepoint.commit()
    return result


def _write(
    conn: Connection,
    layer: Layer,
    changes: Changeset,
    request: EditRequest,
    settings: Settings,
    *,
    access: Access,
) -> EditResult:
    scope = access.scope
    band = (settings.band_low, settings.band_high)
    touched = check_all(conn, scope, layer, changes)
    before = summaries(conn, [r.id for r in touched.rows.values()], band)
    ids_after = _write_grids(conn, layer, touched, changes)
    changes = _drop_emptied(conn, touched, changes, ids_after)
    people = leaders.follow(conn, layer, touched, changes, ids_after, settings)
    back = leaders.run_back(conn, layer, request.restores)
    _delete_grids(conn, layer, touched)
    refresh_grids(
        conn,
        settings.weights,
        grid_ids=sorted(ids_after.values()),
        min_shared_m=settings.min_shared_m,
    )
    after_ids = sorted(set(ids_after.values()))
    after = summaries(conn, after_ids, band)
    split, needs_confirm, refused = _pieces(layer, changes, request, settings, before, after)
    version, edit_id, moves_out = record_edit(conn, layer, changes, request, touched, access=access)
    leaders.record(conn, edit_id, people.actions + back.actions)
    people.restored, people.not_restored = back.restored, back.not_restored
    return EditResult(
        layer=layer.code,
        kind=request.kind,
        summary=request.summary,
        dry_run=request.dry_run,
        applied=not request.dry_run,
        base_version=layer.version,
        version=version,
        edit=edit_id,
        moved=len(changes.moves),
        moves=moves_out,
        grids=grid_rows(touched, before, after),
        leaders=people.to_json(masked=not access.personal_data),
        splits=split,
        needs_confirm=needs_confirm and not refused,
        preview=_outlines(conn, after_ids) if request.dry_run else None,
        refused=(
            "this installation refuses edits that leave a grid in pieces"
            if refused and split
            else None
        ),
    )


def summaries(
    conn: Connection, ids: Sequence[int], band: tuple[float, float]
) -> dict[str, dict[str, Any]]:
    """Each grid's figures as the preview shows them, by code."""
    rows = conn.execute(text(_GRID_SUMMARY), {"ids": list(ids)}).mappings()
    out = {}
    for r in rows:
        item = dict(r)
        item.pop("id")
        item["band"] = band_status(item["workload"], *band)
        out[item["code"]] = item
    return out


def _write_grids(conn: Connection, layer: Layer, t: Touched, changes: Changeset) -> dict[str, int]:
    """Park codes that go away, create, change, move; the grids' ids by their code after."""
    rows = t.rows
    parked = [rows[c].id for c in t.deleted] + [
        rows[c.before.code].id for c in changes.changed if c.before.code != c.after.code
    ]
    if parked:
        conn.execute(
            text("UPDATE grid SET code = '~' || id::text WHERE id = ANY(:ids)"), {"ids": parked}
        )
    ids_after: dict[str, int] = {c: rows[c].id for c in rows if c not in t.deleted}
    for c in changes.changed:
        ids_after.pop(c.before.code, None)
    for g in changes.created:
        ids_after[g.code] = int(
            conn.execute(
                text(
                    "INSERT INTO grid (layer_id, code, name, community_id, locked) "
                    "VALUES (:layer, :code, :name, :community, :locked) RETURNING id"
                ),
                {"layer": layer.id, "code": g.code, "name": g.name,
                 "community": g.community_id, "locked": g.locked},
            ).scalar_one()
        )  # fmt: skip
    for c in changes.changed:
        gid = rows[c.before.code].id
        conn.execute(
            text(
                "UPDATE grid SET code = :code, name = :name, locked = :locked, "
                "community_id = :community WHERE id = :id"
            ),
            {"code": c.after.code, "name": c.after.name, "locked": c.after.locked,
             "community": c.after.community_id, "id": gid},
        )  # fmt: skip
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
                "units": [m.unit_id for m in changes.moves],
                "grids": [ids_after[m.to_code] for m in changes.moves],
            },
        )
    return ids_after


def _drop_emptied(
    conn: Connection, t: Touched, changes: Changeset, ids_after: dict[str, int]
) -> Changeset:
    """A grid the edit leaves with no unit is removed (and recorded, so undo brings it back)."""
    emptied = conn.execute(
        text(
            "SELECT g.code FROM grid g WHERE g.id = ANY(:ids) "
            "AND NOT EXISTS (SELECT 1 FROM grid_unit gu WHERE gu.grid_id = g.id) ORDER BY g.code"
        ),
        {"ids": [t.rows[c].id for c in t.from_codes - t.deleted - set(t.changed_before)]},
    ).scalars()
    for code in emptied:
        row = t.rows[code]
        gone = GridState(row.code, row.name, row.community_id, bool(row.locked))
        changes = replace(changes, deleted=(*changes.deleted, gone))
        t.deleted.add(code)
        ids_after.pop(code, None)
    return changes


def _delete_grids(conn: Connection, layer: Layer, t: Touched) -> None:
    if not t.deleted:
        return
    deleted_ids = [t.rows[c].id for c in t.deleted]
    left = conn.execute(
        text("SELECT count(*) FROM grid_unit WHERE grid_id = ANY(:ids)"), {"ids": deleted_ids}
    ).scalar_one()
    if left:
        raise Conflict(
            f"网格 {', '.join(sorted(t.deleted))} 仍有 {left} 个单元未"
            "被移动：请重新加载图层 ("
            f"grid(s) {', '.join(sorted(t.deleted))} still hold {left} unit(s) that the "
            "edit does not move: reload the layer)",
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
        {"ids": deleted_ids, "codes": [t.rows[c].code for c in t.deleted]},
    )
    conn.execute(text("DELETE FROM grid WHERE id = ANY(:ids)"), {"ids": deleted_ids})


def _outlines(conn: Connection, ids: Sequence[int]) -> str:
    """The new outlines, for a preview only, as GeoJSON text built in PostGIS: a big edit's
    outlines are megabytes of coordinates, not worth a round through Python objects."""
    props = {"code": "g.code", "workload": "round(g.workload::numeric, 1)"}
    return collection(
        conn,
        f"SELECT {feature_sql('g.code', 'g.geom', props)} FROM grid g "
        "WHERE g.id = ANY(:ids) AND g.geom IS NOT NULL ORDER BY g.code",
        {"ids": list(ids)},
    )


def _pieces(
    layer: Layer,
    changes: Changeset,
    request: EditRequest,
    settings: Settings,
    before: dict[str, dict[str, Any]],
    after: dict[str, dict[str, Any]],
) -> tuple[list[str], bool, bool]:
    """An edit that leaves a grid in more pieces than before needs a confirm (or is refused)."""
    split = sorted(
        code
        for code, a in after.items()
        if a["pieces"] > max(1, before.get(code_before(code, changes), {}).get("pieces", 1))
    )
    needs_confirm = bool(split) and not request.confirm
    refused = bool(split) and settings.edit_split_grids == "refuse"
    if split and not request.dry_run and (needs_confirm or refused):
        pieces = ", ".join(f"{c} into {after[c]['pieces']} pieces" for c in split)
        if refused:
            raise SplitsGrid(
                f"此次编辑会把网格 {pieces} 分成几块；本系统设置为拒绝此类"
                "编辑 ("
                f"the edit would split grid {pieces}; this installation refuses edits that "
                "leave a grid in pieces (GRIDMAP_EDIT_SPLIT_GRIDS=refuse))",
                layer=layer.code,
            )
        raise SplitsGrid(
            f"此次编辑会把网格 {pieces} 分成几块：请查看预览，确认后发"
            "送 confirm=true 执行 ("
            f"the edit would split grid {pieces}: look at the preview and send confirm=true "
            "to apply it anyway)",
            layer=layer.code,
        )
    return split, needs_confirm, refused
