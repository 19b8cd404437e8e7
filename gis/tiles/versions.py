"""The current version of each tile source: part of every tile URL, so tiles can be cached hard.

- ``grids.<layer>`` and ``party.<layer>`` start with the layer's ``grid_layer.version``, which
  every edit and every adoption bumps. A grid tile also carries the band its grids are coloured
  by (a short digest), so a changed band in the settings is a new version too. A party tile
  adds the day (an assignment's period is days, in China time) and the newest assignment and
  audit-log rows (ending an assignment changes no id, but it is audited).
- ``units``, ``areas`` and ``buildings`` share the *places* version: a digest of the newest row of
  each table and of the newest import, which changes with every load and import.
- ``incidents``: a digest of the newest incident and the newest workflow move.

The scope of the caller is not part of the version (a URL is the same for everyone) but it is
part of the cache key (:func:`cache_scope`), so a district planner never gets a city tile.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts.roles import Role
from gis.errors import NotFound
from gis.infra.settings import Settings
from gis.scenarios.compare import layer_band
from gis.tiles.sources import Source


@dataclass(frozen=True)
class SourceState:
    """What a tile of a source needs besides its coordinates, and the version it makes."""

    version: str
    layer_id: int | None = None
    band: tuple[float, float] = (0.0, 0.0)
    on: dt.date | None = None


def digest(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:10]


def _layer(conn: Connection, src: Source, access: Access) -> tuple[int, int]:
    """The layer's id and version; a scenario the scope does not reach is not found (its name
    is no one else's news, as in gis.layers.list_layers)."""
    row = conn.execute(
        text("SELECT id, kind, version FROM grid_layer WHERE code = :c"), {"c": src.layer}
    ).first()
    if row is not None and row.kind == "scenario" and not access.scope.is_everything:
        reach = access.scope.grid_sql("g")
        reached = conn.execute(
            text(f"SELECT EXISTS (SELECT 1 FROM grid g WHERE g.layer_id = :id AND {reach.sql})"),
            {"id": row.id} | reach.params,
        ).scalar_one()
        row = row if reached else None
    if row is None:
        raise NotFound(
            f"没有这个网格图层 (no grid layer with code {src.layer!r})",
            layer=src.layer,
            source=src.name,
        )
    return int(row.id), int(row.version)


PLACES_SQL = """SELECT (SELECT coalesce(max(id), 0) FROM district),
    (SELECT coalesce(max(id), 0) FROM street), (SELECT coalesce(max(id), 0) FROM community),
    (SELECT coalesce(max(id), 0) FROM base_unit), (SELECT coalesce(max(id), 0) FROM building),
    (SELECT coalesce(max(id), 0) FROM import_batch)"""
INCIDENTS_SQL = """SELECT (SELECT coalesce(max(id), 0) FROM incident),
    (SELECT coalesce(max(id), 0) FROM incident_transition)"""
PARTY_SQL = """SELECT (SELECT coalesce(max(id), 0) FROM assignment),
    (SELECT coalesce(max(id), 0) FROM assignment_archive),
    (SELECT coalesce(max(id), 0) FROM audit_log)"""


def source_state(
    conn: Connection, settings: Settings, src: Source, *, access: Access
) -> SourceState:
    """The current version of ``src`` and what its tiles are made with."""
    if src.kind == "grids":
        layer_id, version = _layer(conn, src, access)
        band = layer_band(conn, str(src.layer), settings)
        return SourceState(f"{version}-{digest(*band)[:6]}", layer_id, band)
    if src.kind == "party":
        from gis.party.common import today

        layer_id, version = _layer(conn, src, access)
        on = today()
        newest = conn.execute(text(PARTY_SQL)).one()
        return SourceState(f"{version}-{digest(on, *newest)}", layer_id, on=on)
    sql = INCIDENTS_SQL if src.kind == "incidents" else PLACES_SQL
    return SourceState(digest(*conn.execute(text(sql)).one()))


def cache_scope(access: Access, src: Source) -> str:
    """What, besides the version, decides a tile's content for this caller: the scope, and for
    incidents the department of department staff (they see their department's only)."""
    key = str(access.scope)
    user = access.user
    if src.kind == "incidents" and user is not None and user.role is Role.DEPARTMENT:
        key += f"|department:{user.department}"
    return key
