"""The field worker's own grid: its buildings with households and leaders, and open incidents.

One call gives a grid worker (网格员) what the phone page shows: the grid's outline, every
building standing on the grid's base units (with its entrance units, the building leader and
the unit leaders, and their phone numbers to call), the grid leader and cadres sent down, and
the incidents inside the grid that are still open. A grid the viewer's scope does not reach is
:class:`~gis.errors.Forbidden` — a field worker reaches their own grid only.

Open incidents follow the contract shared with the incidents feature: open iff
``state <> 'evaluated'``, found spatially with ``ST_Covers(grid.geom, incident.geom)``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.errors import Forbidden, NotFound
from gis.geojson import PRECISION
from gis.party.common import current, person, today
from gis.scope import DEFAULT_GRID_LAYER, Scope

MAX_INCIDENTS = 500

_PERSON = """json_build_object('code', m.code, 'name', m.name, 'phone', m.phone,
                               'organisation', o.name, 'assignment', a.id,
                               'starts_on', a.starts_on)"""

FIELD_SQL = f"""
WITH grd AS (
    SELECT g.id, g.code, g.name, g.layer_id, g.households, g.population, g.geom,
           c.code AS community_code, c.name AS community_name
    FROM grid g LEFT JOIN community c ON c.id = g.community_id WHERE g.id = :grid_id
), bld AS (
    SELECT b.* FROM building b
    JOIN grid_unit gu ON gu.unit_id = b.base_unit_id
    WHERE gu.grid_id = :grid_id
)
SELECT json_build_object(
  'grid', (SELECT json_build_object(
      'type', 'Feature', 'id', grd.code,
      'geometry', ST_AsGeoJSON(grd.geom, {PRECISION})::json,
      'properties', json_build_object(
          'code', grd.code, 'name', grd.name, 'layer', CAST(:layer AS text),
          'community_code', grd.community_code, 'community_name', grd.community_name,
          'households', grd.households, 'population', grd.population,
          'buildings', (SELECT count(*) FROM bld)))
      FROM grd),
  'leaders', (SELECT coalesce(json_agg({_PERSON}::jsonb || jsonb_build_object('role', a.role)
                                       ORDER BY a.role DESC, m.code), '[]'::json)
      FROM assignment a JOIN party_member m ON m.id = a.member_id
      LEFT JOIN party_organisation o ON o.id = coalesce(a.organisation_id, m.organisation_id)
      WHERE a.grid_id = :grid_id AND {current()}),
  'buildings', (SELECT coalesce(json_agg(json_build_object(
      'type', 'Feature', 'id', b.code,
      'geometry', ST_AsGeoJSON(b.geom, {PRECISION})::json,
      'properties', json_build_object(
          'code', b.code, 'name', b.name, 'households', b.households,
          'population', b.population, 'floors', b.floors,
          'entrance_units', b.entrance_units,
          'centre', json_build_array(round(ST_X(ST_PointOnSurface(b.geom))::numeric, 6),
                                     round(ST_Y(ST_PointOnSurface(b.geom))::numeric, 6)),
          'leader', (SELECT {_PERSON} FROM assignment a
                     JOIN party_member m ON m.id = a.member_id
                     LEFT JOIN party_organisation o
                       ON o.id = coalesce(a.organisation_id, m.organisation_id)
                     WHERE a.building_id = b.id AND a.role = 'building_leader'
                       AND {current()} LIMIT 1),
          'entrances', (SELECT coalesce(json_agg(json_build_object(
                  'number', e.number, 'households', e.households,
                  'leader', (SELECT {_PERSON} FROM assignment a
                             JOIN party_member m ON m.id = a.member_id
                             LEFT JOIN party_organisation o
                               ON o.id = coalesce(a.organisation_id, m.organisation_id)
                             WHERE a.entrance_id = e.id AND a.role = 'unit_leader'
                               AND {current()} LIMIT 1)) ORDER BY e.number), '[]'::json)
              FROM building_entrance e WHERE e.building_id = b.id)))
      ORDER BY b.code), '[]'::json) FROM bld b),
  'incidents', (SELECT coalesce(json_agg(json_build_object(
      'type', 'Feature', 'id', i.code,
      'geometry', ST_AsGeoJSON(i.geom, {PRECISION})::json,
      'properties', json_build_object(
          'code', i.code, 'category', i.category, 'description', i.description,
          'state', i.state, 'department', i.department, 'reported_at', i.reported_at))
      ORDER BY i.reported_at DESC), '[]'::json)
      FROM (SELECT i.* FROM incident i, grd
            WHERE ST_Covers(grd.geom, i.geom) AND i.state <> 'evaluated'
            ORDER BY i.reported_at DESC LIMIT :max_incidents) i),
  'open_incidents', (SELECT count(*) FROM incident i, grd
                     WHERE ST_Covers(grd.geom, i.geom) AND i.state <> 'evaluated')
)::text
"""


def _shown(people: Any, full: bool) -> Any:
    """Mask every person object (a dict with ``code``, ``name``, ``phone``) in the tree."""
    if isinstance(people, dict):
        if {"code", "name", "phone"} <= people.keys():
            return person(people, full)
        return {k: _shown(v, full) for k, v in people.items()}
    if isinstance(people, list):
        return [_shown(v, full) for v in people]
    return people


def reachable_grid(conn: Connection, layer: str, code: str, scope: Scope) -> int:
    """The grid's id, if the scope reaches it (else NotFound or Forbidden)."""
    reach = scope.grid_sql("g", one_row=True)
    row = conn.execute(
        text(
            f"SELECT g.id, ({reach.sql}) AS reached FROM grid g "
            "JOIN grid_layer l ON l.id = g.layer_id WHERE l.code = :layer AND g.code = :code"
        ),
        {"layer": layer, "code": code} | reach.params,
    ).first()
    if row is None:
        raise NotFound(
            f"图层 {layer!r} 中没有网格 {code!r} (layer {layer!r} has no grid {code!r})",
            layer=layer,
            grid=code,
        )
    if not row.reached:
        raise Forbidden(
            f"图层 {layer!r} 的网格 {code} 不在您的权限范围（{scope}）"
            "内 ("
            f"grid {code} of layer {layer!r} is outside your scope ({scope}))",
            grid=code,
        )
    return int(row.id)


def field_view(
    conn: Connection,
    grid: str,
    *,
    access: Access,
    layer: str = DEFAULT_GRID_LAYER,
    on: dt.date | None = None,
    query: str | None = None,
) -> dict[str, Any]:
    """The grid, its buildings (``query`` keeps those whose name or code contains it), its
    leaders and its open incidents; names and phones in full only for roles that need them."""
    scope = access.scope
    grid_id = reachable_grid(conn, layer, grid, scope)
    raw = conn.execute(
        text(FIELD_SQL),
        {"grid_id": grid_id, "layer": layer, "on": on or today(), "max_incidents": MAX_INCIDENTS},
    ).scalar_one()
    full = access.personal_data
    view: dict[str, Any] = _shown(json.loads(raw), full)
    buildings = view.pop("buildings")
    if query:
        needle = query.strip().lower()
        buildings = [
            b
            for b in buildings
            if needle in b["properties"]["name"].lower() or needle in b["id"].lower()
        ]
    incidents = view.pop("incidents")
    view["buildings"] = {"type": "FeatureCollection", "features": buildings}
    view["incidents"] = {"type": "FeatureCollection", "features": incidents}
    view["personal_data"] = "full" if full else "masked"
    view["on"] = (on or today()).isoformat()
    return view
