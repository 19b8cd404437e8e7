"""The current version of each tile source: part of every tile URL, so tiles can be cached hard.

- ``grids.<layer>`` and ``party.<layer>`` start with the layer's ``grid_layer.version``, which
  every edit and every adoption bumps. A grid tile also carries the band its grids are coloured
  by (a short digest), so a changed band in the settings is a new version too. A party tile
  adds the day (an assignment's period is days, in China time) and the newest assignment and
  audit-log rows (ending an assignment changes no id, but it is audited).
- ``units``, ``areas`` and ``buildings`` share the *places* data version, ``incidents`` has the
  *incidents* one (gis.infra.versions: bumped by every committed write to their tables, an
  update that adds no row included).

The scope of the caller is not part of the version (a URL is the same for everyone) but it is
part of the cache key (:func:`cache_scope`), so a district planner never gets a city tile.

Serving a tile is one round trip when it is cached: the version query also probes the cache
for the version the URL asks for (:data:`PROBE`); the tile is used only if that version is the
current one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts.roles import Role
from gis.errors import NotFound
from gis.infra.settings import Settings
from gis.infra.versions import version_sql
from gis.party.common import today
from gis.scenarios.compare import layer_band
from gis.scenarios.profiles import default_profile
from gis.tiles.sources import Source


@dataclass(frozen=True)
class SourceState:
    """What a tile of a source needs besides its coordinates, and the version it makes."""

    version: str
    layer_id: int | None = None
    band: tuple[float, float] = (0.0, 0.0)
    on: dt.date | None = None
    #: the cached tile of the probe (gzipped; b"" never: empty tiles are not cached)
    cached: bytes | None = None


def digest(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:10]


#: The cached tile for the version asked (``:probe_*`` parameters; NULL without a probe).
PROBE = """(SELECT c.tile FROM tile_cache c WHERE c.source = :probe_source
    AND c.version = :probe_version AND c.scope = :probe_scope
    AND c.z = :probe_z AND c.x = :probe_x AND c.y = :probe_y) AS cached"""
LAYER_SQL = f"""SELECT l.id, l.kind, l.version,
    EXISTS (SELECT 1 FROM scenario s WHERE s.layer_id = l.id) AS own_band, {PROBE}
    FROM grid_layer l WHERE l.code = :code"""
PLACES_SQL = f"""SELECT {version_sql("places")}, {PROBE}"""
INCIDENTS_SQL = f"""SELECT {version_sql("incidents")}, {PROBE}"""
PARTY_SQL = """SELECT (SELECT coalesce(max(id), 0) FROM assignment),
    (SELECT coalesce(max(id), 0) FROM assignment_archive),
    (SELECT coalesce(max(id), 0) FROM audit_log)"""
NO_PROBE = {
    "probe_source": None,
    "probe_version": None,
    "probe_scope": None,
    "probe_z": None,
    "probe_x": None,
    "probe_y": None,
}


def _layer(conn: Connection, src: Source, access: Access, probe: dict[str, Any]) -> Any:
    """The layer's row (with the probe); a scenario the scope does not reach is not found (its
    name is no one else's news, as in gis.layers.list_layers)."""
    row = conn.execute(text(LAYER_SQL), {"code": src.layer} | probe).first()
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
    return row


def source_state(
    conn: Connection,
    settings: Settings,
    src: Source,
    *,
    access: Access,
    probe: dict[str, Any] | None = None,
) -> SourceState:
    """The current version of ``src`` and what its tiles are made with; with ``probe``
    (``probe_source``, ``probe_version``, ``probe_scope``, ``probe_z/x/y``), the cached tile of
    that key if there is one."""
    probe = probe or NO_PROBE
    if src.kind == "grids":
        row = _layer(conn, src, access, probe)
        if row.own_band:  # a scenario's layer is coloured by its own run's band
            band = layer_band(conn, str(src.layer), settings)
        else:
            low, high = default_profile(settings)["band"]
            band = (float(low), float(high))
        version = f"{row.version}-{digest(*band)[:6]}"
        return SourceState(version, int(row.id), band, cached=_bytes(row.cached))
    if src.kind == "party":
        row = _layer(conn, src, access, NO_PROBE)
        on = today()
        newest = conn.execute(text(PARTY_SQL)).one()
        return SourceState(f"{row.version}-{digest(on, *newest)}", int(row.id), on=on)
    sql = INCIDENTS_SQL if src.kind == "incidents" else PLACES_SQL
    *numbers, cached = conn.execute(text(sql), probe).one()
    return SourceState(digest(*numbers), cached=_bytes(cached))


def _bytes(value: Any) -> bytes | None:
    return None if value is None else bytes(value)


def cache_scope(src: Source, *, access: Access) -> str:
    """What, besides the version, decides a tile's content for this caller: the scope, and for
    incidents the department of department staff (they see their department's only)."""
    key = str(access.scope)
    user = access.user
    if src.kind == "incidents" and user is not None and user.role is Role.DEPARTMENT:
        key += f"|department:{user.department}"
    return key
