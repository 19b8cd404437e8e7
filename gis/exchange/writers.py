"""The SQL of each import kind: resolve codes (or places) in PostGIS, check, then upsert.

Each writer runs on the staging table ``s_import`` (``_row``, the kind's fields as text, ``geom``
in EPSG:4326), adds the problems only the database can see to the report, and writes only when
there are none. Codes are the keys: a row whose code exists updates that row (a county sends a
corrected file again), except incidents, whose workflow state the import must not overwrite.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection, text

from gis import audit
from gis.audit import Actor
from gis.errors import Conflict, Forbidden, NotFound
from gis.exchange.importing import ImportOptions, _rows_problems, check_scope_codes
from gis.exchange.report import MAX_LISTED, ImportReport, Problem
from gis.grids import refresh_grids
from gis.incidents.backfill import backfill_loaded
from gis.incidents.workflow import STATES as INCIDENT_STATES
from gis.infra.settings import WorkloadWeights
from gis.scope import Scope


@dataclass(frozen=True)
class Ctx:
    """What every writer works with."""

    conn: Connection
    actor: Actor
    scope: Scope
    options: ImportOptions
    report: ImportReport
    weights: WorkloadWeights

    def unpack(
        self,
    ) -> tuple[Connection, Actor, Scope, ImportOptions, ImportReport, WorkloadWeights]:
        return self.conn, self.actor, self.scope, self.options, self.report, self.weights


Writer = Callable[[Ctx], None]


def _counted(conn: Connection, sql: str, params: dict[str, Any] | None = None) -> tuple[int, int]:
    """Run an upsert ending in ``RETURNING (xmax = 0)``: (inserted, updated)."""
    flags = [bool(r[0]) for r in conn.execute(text(sql), params or {})]
    return sum(flags), len(flags) - sum(flags)


def _written(report: ImportReport, table: str, inserted: int, updated: int) -> None:
    report.written[f"{table} inserted"] = inserted
    if updated:
        report.written[f"{table} updated"] = updated


def _scope_column(conn: Connection, scope: Scope, sql: str, what: str) -> None:
    if scope.is_everything:
        return
    codes = [str(r[0]) for r in conn.execute(text(sql)) if r[0] is not None]
    if scope.level == "grid":
        raise Forbidden(f"a grid-level user may not import {what}", scope=str(scope))
    check_scope_codes(scope, codes, what)


def _parent(
    conn: Connection,
    report: ImportReport,
    *,
    column: str,
    table: str,
    label: str,
    containing: bool = True,
) -> None:
    """Resolve ``s_import.<column>`` (a parent's code) to ``parent_id``: by code when given,
    else by the parent whose geometry holds the row's point on surface."""
    conn.exec_driver_sql("ALTER TABLE s_import ADD COLUMN IF NOT EXISTS parent_id int")
    conn.exec_driver_sql(
        f"UPDATE s_import s SET parent_id = p.id FROM {table} p "
        f"WHERE s.{column} <> '' AND p.code = s.{column}"
    )
    if containing:
        conn.exec_driver_sql(
            f"""UPDATE s_import s SET parent_id = (
                    SELECT p.id FROM {table} p
                    WHERE ST_Intersects(p.geom, ST_PointOnSurface(s.geom)) ORDER BY p.id LIMIT 1),
                    {column} = coalesce((
                    SELECT p.code FROM {table} p
                    WHERE ST_Intersects(p.geom, ST_PointOnSurface(s.geom))
                    ORDER BY p.id LIMIT 1), '')
                WHERE s.{column} = ''"""
        )
    report.add(
        _rows_problems(
            conn,
            f"SELECT _row, code, 'unknown {label} code ' || quote_literal({column}) "
            f"FROM s_import WHERE {column} <> '' AND parent_id IS NULL",
        )
        + _rows_problems(
            conn,
            f"SELECT _row, code, 'no {label} given and none under it' "
            f"FROM s_import s WHERE {column} = '' AND parent_id IS NULL AND EXISTS ("
            "SELECT 1 FROM district d WHERE ST_Intersects(d.geom, ST_PointOnSurface(s.geom)))",
        )
    )


def _nested(conn: Connection, report: ImportReport, column: str, label: str) -> None:
    """Admin codes nest (a street's starts with its district's): scopes rely on it."""
    report.add(
        _rows_problems(
            conn,
            f"SELECT _row, code, 'code does not start with its {label} code ' || {column} "
            f"FROM s_import WHERE parent_id IS NOT NULL AND NOT starts_with(code, {column})",
        )
    )


# ----------------------------------------------------------------------------- admin areas


def write_districts(ctx: Ctx) -> None:
    conn, actor, scope, options, report, weights = ctx.unpack()
    _scope_column(conn, scope, "SELECT code FROM s_import", "districts")
    if not report.ok:
        return
    ins, upd = _counted(
        conn,
        """INSERT INTO district (code, name, geom)
           SELECT code, name, ST_Multi(geom) FROM s_import
           ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, geom = EXCLUDED.geom
           RETURNING (xmax = 0)""",
    )
    _written(report, "district", ins, upd)


def write_streets(ctx: Ctx) -> None:
    conn, actor, scope, options, report, weights = ctx.unpack()
    _parent(conn, report, column="district_code", table="district", label="district")
    _nested(conn, report, "district_code", "district")
    _scope_column(conn, scope, "SELECT code FROM s_import", "streets")
    if not report.ok:
        return
    ins, upd = _counted(
        conn,
        """INSERT INTO street (code, name, district_id, geom)
           SELECT code, name, parent_id, ST_Multi(geom) FROM s_import
           ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name,
               district_id = EXCLUDED.district_id, geom = EXCLUDED.geom
           RETURNING (xmax = 0)""",
    )
    _written(report, "street", ins, upd)


COMMUNITY_KINDS = {
    "": "urban",
    "urban": "urban",
    "village": "village",
    "社区": "urban",
    "村": "village",
}


def write_communities(ctx: Ctx) -> None:
    conn, actor, scope, options, report, weights = ctx.unpack()
    _parent(conn, report, column="street_code", table="street", label="street")
    _nested(conn, report, "street_code", "street")
    report.add(
        _rows_problems(
            conn,
            "SELECT _row, code, 'kind ' || quote_literal(kind) || ' is neither urban (社区) nor "
            "village (村)' FROM s_import WHERE NOT (kind = ANY(:kinds))",
            {"kinds": list(COMMUNITY_KINDS)},
        )
    )
    _scope_column(conn, scope, "SELECT code FROM s_import", "communities")
    if not report.ok:
        return
    ins, upd = _counted(
        conn,
        """INSERT INTO community (code, name, kind, street_id, geom)
           SELECT code, name, CASE WHEN kind IN ('village', '村') THEN 'village' ELSE 'urban' END,
                  parent_id, ST_Multi(geom) FROM s_import
           ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,
               street_id = EXCLUDED.street_id, geom = EXCLUDED.geom
           RETURNING (xmax = 0)""",
    )
    _written(report, "community", ins, upd)


# ----------------------------------------------------------------------------- units


def _bump_layers_of_grids(conn: Connection, grid_ids: list[int]) -> list[str]:
    rows = conn.execute(
        text(
            "UPDATE grid_layer SET version = version + 1 WHERE id IN "
            "(SELECT DISTINCT layer_id FROM grid WHERE id = ANY(:ids)) RETURNING code"
        ),
        {"ids": grid_ids},
    )
    return sorted(r[0] for r in rows)


def write_units(ctx: Ctx) -> None:
    conn, actor, scope, options, report, weights = ctx.unpack()
    _parent(conn, report, column="community_code", table="community", label="community")
    report.add(
        _rows_problems(
            conn,
            """SELECT s._row, s.code, 'lies outside its community ' || s.community_code
               FROM s_import s JOIN community c ON c.id = s.parent_id
               WHERE NOT ST_Intersects(c.geom, ST_PointOnSurface(s.geom))""",
        )
    )
    _scope_column(conn, scope, "SELECT community_code FROM s_import", "base units")
    if not report.ok:
        return
    result = conn.execute(
        text(
            """INSERT INTO base_unit (code, community_id, households, population, buildings,
                                      incidents_per_year, care_people, area_m2, geom)
               SELECT code, parent_id, households::int, population::int, buildings::int,
                      incidents_per_year::int, care_people::int, ST_Area(geom::geography), geom
               FROM s_import
               ON CONFLICT (code) DO UPDATE SET community_id = EXCLUDED.community_id,
                   households = EXCLUDED.households, population = EXCLUDED.population,
                   buildings = EXCLUDED.buildings,
                   incidents_per_year = EXCLUDED.incidents_per_year,
                   care_people = EXCLUDED.care_people, area_m2 = EXCLUDED.area_m2,
                   geom = EXCLUDED.geom
               RETURNING id, (xmax = 0)"""
        )
    ).all()
    updated = [r[0] for r in result if not r[1]]
    _written(report, "base_unit", len(result) - len(updated), len(updated))
    grid_ids = [
        r[0]
        for r in conn.execute(
            text("SELECT DISTINCT grid_id FROM grid_unit WHERE unit_id = ANY(:ids)"),
            {"ids": updated},
        )
    ]
    if grid_ids:
        refresh_grids(conn, weights, grid_ids=grid_ids)
        report.findings["layers_refreshed"] = _bump_layers_of_grids(conn, grid_ids)
        report.written["grid refreshed"] = len(grid_ids)


# ----------------------------------------------------------------------------- buildings


def write_buildings(ctx: Ctx) -> None:
    conn, actor, scope, options, report, weights = ctx.unpack()
    _parent(conn, report, column="unit_code", table="base_unit", label="base unit")
    _scope_column(
        conn,
        scope,
        "SELECT c.code FROM s_import s JOIN base_unit u ON u.id = s.parent_id "
        "JOIN community c ON c.id = u.community_id",
        "buildings",
    )
    if not report.ok:
        return
    ins, upd = _counted(
        conn,
        """INSERT INTO building (code, name, base_unit_id, households, population, floors,
                                 entrance_units, geom)
           SELECT code, coalesce(nullif(name, ''), code), parent_id, households::int,
                  population::int, greatest(floors::int, 1), greatest(entrance_units::int, 1), geom
           FROM s_import
           ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name,
               base_unit_id = EXCLUDED.base_unit_id, households = EXCLUDED.households,
               population = EXCLUDED.population, floors = EXCLUDED.floors,
               entrance_units = EXCLUDED.entrance_units, geom = EXCLUDED.geom
           RETURNING (xmax = 0)""",
    )
    _written(report, "building", ins, upd)
    entrances = conn.execute(
        text(
            """INSERT INTO building_entrance (building_id, number, households)
               SELECT b.id, n, b.households / b.entrance_units
                      + CASE WHEN n <= mod(b.households, b.entrance_units) THEN 1 ELSE 0 END
               FROM building b JOIN s_import s ON s.code = b.code,
                    generate_series(1, b.entrance_units) AS n
               ON CONFLICT (building_id, number) DO NOTHING"""
        )
    ).rowcount
    report.written["building_entrance inserted"] = entrances


# ----------------------------------------------------------------------------- people, incidents


def write_party_members(ctx: Ctx) -> None:
    conn, actor, scope, options, report, weights = ctx.unpack()
    _parent(conn, report, column="community_code", table="community", label="community")
    conn.exec_driver_sql("ALTER TABLE s_import ADD COLUMN organisation_id int")
    conn.exec_driver_sql(
        "UPDATE s_import s SET organisation_id = o.id FROM party_organisation o "
        "WHERE o.code = s.organisation_code"
    )
    report.add(
        _rows_problems(
            conn,
            "SELECT _row, code, 'unknown party organisation code ' || "
            "quote_literal(organisation_code) FROM s_import "
            "WHERE organisation_code <> '' AND organisation_id IS NULL",
        )
    )
    _scope_column(conn, scope, "SELECT community_code FROM s_import", "party members")
    if not report.ok:
        return
    ins, upd = _counted(
        conn,
        """INSERT INTO party_member (code, name, phone, organisation_id, community_id, geom)
           SELECT code, name, phone, organisation_id, parent_id, geom FROM s_import
           ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, phone = EXCLUDED.phone,
               organisation_id = EXCLUDED.organisation_id,
               community_id = EXCLUDED.community_id, geom = EXCLUDED.geom
           RETURNING (xmax = 0)""",
    )
    _written(report, "party_member", ins, upd)


def prepare_incidents(staged: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Times with no zone are Beijing time; states default to 'reported'."""
    problems: list[Problem] = []
    out = staged.copy()
    parsed = pd.to_datetime(out["reported_at"], errors="coerce", utc=False, format="mixed")
    for i in pd.Series(parsed.isna()).to_numpy().nonzero()[0]:
        problems.append(
            Problem(
                int(out["_row"].iloc[i]),
                out["code"].iloc[i],
                f"reported_at {out['reported_at'].iloc[i]!r} is not a date and time",
                "reported_at",
            )
        )
    texts = []
    for value in parsed:
        if pd.isna(value):
            texts.append("")
        elif value.tzinfo is None:
            texts.append(value.isoformat() + "+08:00")
        else:
            texts.append(value.isoformat())
    out["reported_at"] = texts
    out["state"] = out["state"].replace("", "reported")
    out["reporter_kind"] = out["reporter_kind"].replace("", "resident")
    for i in (~out["state"].isin(INCIDENT_STATES)).to_numpy().nonzero()[0]:
        problems.append(
            Problem(
                int(out["_row"].iloc[i]),
                out["code"].iloc[i],
                f"state {out['state'].iloc[i]!r} is not one of {', '.join(INCIDENT_STATES)}",
                "state",
            )
        )
    return out, problems


def write_incidents(ctx: Ctx) -> None:
    conn, actor, scope, options, report, weights = ctx.unpack()
    conn.exec_driver_sql("ALTER TABLE s_import ADD COLUMN unit_id int, ADD COLUMN community_id int")
    conn.exec_driver_sql(
        """UPDATE s_import s SET unit_id = (
               SELECT b.id FROM base_unit b WHERE ST_Intersects(b.geom, s.geom)
               ORDER BY b.id LIMIT 1)"""
    )
    conn.exec_driver_sql(
        "UPDATE s_import s SET community_id = u.community_id FROM base_unit u "
        "WHERE u.id = s.unit_id"
    )
    if not scope.is_everything:
        report.add(
            _rows_problems(
                conn,
                "SELECT _row, code, 'lies in no base unit (so in no one''s scope)' "
                "FROM s_import WHERE unit_id IS NULL",
            )
        )
    _scope_column(
        conn,
        scope,
        "SELECT c.code FROM s_import s JOIN community c ON c.id = s.community_id",
        "incidents",
    )
    if not report.ok:
        return
    skipped = [
        r[0]
        for r in conn.execute(
            text("SELECT s.code FROM s_import s JOIN incident i ON i.code = s.code ORDER BY 1")
        )
    ]
    inserted = conn.execute(
        text(
            """INSERT INTO incident (code, category, description, reported_at, reporter_kind,
                                     department, state, base_unit_id, community_id, geom)
               SELECT code, category, description, reported_at::timestamptz, reporter_kind,
                      nullif(department, ''), state, unit_id, community_id, geom
               FROM s_import ON CONFLICT (code) DO NOTHING"""
        )
    ).rowcount
    report.written["incident inserted"] = inserted
    # Like a city package's incidents: unified grid, building, H3 cell and workflow times, so the
    # imported ones count on the incident map and in the figures.
    backfill_loaded(conn, source="import")
    if skipped:
        report.warnings.append(
            f"{len(skipped)} incident(s) already present were left as they are (their workflow "
            f"state is the incident queue's): {', '.join(skipped[:20])}"
        )


# ----------------------------------------------------------------------------- a departmental layer

#: A grid covering less than this share of a unit does not count as covering it (freehand lines
#: wobble across neighbours' edges).
TOUCH_SHARE = 0.01
#: A unit whose best grid covers less than this is reported as split.
WHOLE_SHARE = 0.99


def write_layer(ctx: Ctx) -> None:
    """A department's freehand grids: every unit goes to the grid covering most of it.

    The drawn outlines are not stored: as for every layer, a grid's geometry becomes the union
    of its units, so the layer is clean by construction; the report says what did not fit.
    """
    conn, actor, scope, options, report, weights = ctx.unpack()
    code = options.layer
    assert code is not None
    layer = conn.execute(
        text("SELECT id, kind, version FROM grid_layer WHERE code = :c FOR UPDATE"), {"c": code}
    ).first()
    if layer is not None and layer.kind != "department":
        raise Conflict(
            f"layer {code!r} is the {layer.kind} layer; an import creates or replaces "
            "departmental layers only",
            layer=code,
        )
    if layer is not None and not options.replace:
        raise Conflict(
            f"layer {code!r} exists: give --replace (API: options.replace) to replace its grids",
            layer=code,
        )
    unit_scope = scope.unit_sql("u")
    params: dict[str, Any] = dict(unit_scope.params)
    area_filter = "true"
    if options.area:
        found = conn.execute(
            text("SELECT 1 FROM community WHERE starts_with(code, :a) LIMIT 1"),
            {"a": options.area},
        ).first()
        if not found:
            raise NotFound(f"no district, street or community with code {options.area!r}")
        area_filter = "starts_with(c.code, :area)"
        params["area"] = options.area
    conn.exec_driver_sql("DROP TABLE IF EXISTS s_cover")
    conn.execute(
        text(
            f"""CREATE TEMP TABLE s_cover ON COMMIT DROP AS
                SELECT u.id AS unit_id, u.code AS unit_code, u.community_id, c.code AS community,
                       s.code AS grid_code,
                       ST_Area(ST_Intersection(u.geom, s.geom)::geography)
                           / greatest(u.area_m2, 1e-9) AS share
                FROM base_unit u JOIN community c ON c.id = u.community_id
                JOIN s_import s ON u.geom && s.geom AND ST_Intersects(u.geom, s.geom)
                WHERE ({unit_scope.sql})"""
        ),
        params,
    )
    conn.exec_driver_sql(f"DELETE FROM s_cover WHERE share < {TOUCH_SHARE}")
    # The area the layer should cover: given, or the communities it mostly covers units of.
    if options.area:
        area_sql = f"SELECT c.id FROM community c WHERE {area_filter}"
    else:
        area_sql = """SELECT DISTINCT community_id FROM (
                          SELECT unit_id, community_id FROM s_cover GROUP BY 1, 2
                          HAVING sum(share) >= 0.5) t"""
    conn.exec_driver_sql("DROP TABLE IF EXISTS s_best")
    conn.execute(
        text(
            f"""CREATE TEMP TABLE s_best ON COMMIT DROP AS
                SELECT DISTINCT ON (unit_id) unit_id, unit_code, community_id, community,
                       grid_code, share
                FROM s_cover WHERE community_id IN ({area_sql})
                ORDER BY unit_id, round(share::numeric, 6) DESC, grid_code"""
        ),
        params,
    )
    findings = report.findings
    gaps = conn.execute(
        text(
            f"""SELECT u.code, c.code FROM base_unit u JOIN community c ON c.id = u.community_id
                WHERE u.community_id IN ({area_sql}) AND ({unit_scope.sql})
                  AND u.id NOT IN (SELECT unit_id FROM s_best)
                ORDER BY u.code"""
        ),
        params,
    ).all()
    findings["gap_units"] = len(gaps)
    findings["gaps"] = [{"unit": u, "community": c} for u, c in gaps[:MAX_LISTED]]
    split = conn.execute(
        text(
            """SELECT b.unit_code, b.grid_code,
                      json_agg(json_build_object('grid', s.grid_code,
                               'share', round(s.share::numeric, 3)) ORDER BY s.share DESC)
               FROM s_best b JOIN s_cover s ON s.unit_id = b.unit_id
               WHERE b.share < :whole
               GROUP BY b.unit_code, b.grid_code HAVING count(*) > 1 ORDER BY b.unit_code"""
        ),
        {"whole": WHOLE_SHARE},
    ).all()
    findings["split_units"] = len(split)
    findings["splits"] = [
        {"unit": u, "assigned_to": g, "shares": shares} for u, g, shares in split[:MAX_LISTED]
    ]
    crossing = conn.execute(
        text(
            """SELECT grid_code, json_agg(json_build_object('community', community,
                                         'units', n) ORDER BY n DESC)
               FROM (SELECT grid_code, community, count(*) AS n FROM s_best GROUP BY 1, 2) t
               GROUP BY grid_code HAVING count(*) > 1 ORDER BY grid_code"""
        )
    ).all()
    findings["grids_crossing_communities"] = len(crossing)
    findings["crossings"] = [{"grid": g, "communities": c} for g, c in crossing[:MAX_LISTED]]
    empty = [
        r[0]
        for r in conn.execute(
            text(
                "SELECT code FROM s_import WHERE code NOT IN (SELECT grid_code FROM s_best) "
                "ORDER BY code"
            )
        )
    ]
    findings["empty_grid_count"] = len(empty)
    findings["empty_grids"] = empty[:MAX_LISTED]
    overlaps = conn.execute(
        text(
            """SELECT a.code, b.code, round(ST_Area(ST_Intersection(a.geom, b.geom)::geography)
                                            ::numeric, 1)
               FROM s_import a JOIN s_import b ON a.code < b.code AND a.geom && b.geom
               WHERE ST_Relate(a.geom, b.geom, '2********') ORDER BY 3 DESC"""
        )
    ).all()
    findings["drawn_overlaps"] = len(overlaps)
    findings["overlaps"] = [
        {"grids": [a, b], "area_m2": float(m2)} for a, b, m2 in overlaps[:MAX_LISTED]
    ]
    findings["units_assigned"] = int(
        conn.exec_driver_sql("SELECT count(*) FROM s_best").scalar_one()
    )
    if layer is not None and not scope.is_everything:
        outside = conn.execute(
            text(
                f"""SELECT count(*) FROM grid_unit gu JOIN base_unit u ON u.id = gu.unit_id
                    WHERE gu.layer_id = :lid AND NOT ({unit_scope.sql})"""
            ),
            {"lid": layer.id} | unit_scope.params,
        ).scalar_one()
        if outside:
            raise Forbidden(
                f"layer {code!r} holds {outside} unit(s) outside your scope ({scope}): "
                "only someone whose scope holds the whole layer may replace it",
                layer=code,
            )
    if not report.ok:
        return
    if layer is None:
        layer_id = conn.execute(
            text(
                "INSERT INTO grid_layer (code, name, kind, department, version) "
                "VALUES (:c, :n, 'department', :d, 1) RETURNING id"
            ),
            {"c": code, "n": options.layer_name or code, "d": options.department},
        ).scalar_one()
        report.written["grid_layer inserted"] = 1
        before = None
    else:
        layer_id = layer.id
        before = {"version": layer.version}
        conn.execute(
            text(
                "UPDATE grid_layer SET version = version + 1, "
                "name = coalesce(:n, name), department = coalesce(:d, department) WHERE id = :id"
            ),
            {"id": layer_id, "n": options.layer_name, "d": options.department},
        )
        conn.execute(text("DELETE FROM grid_unit WHERE layer_id = :id"), {"id": layer_id})
        removed = conn.execute(
            text(
                "DELETE FROM grid WHERE layer_id = :id AND code NOT IN (SELECT code FROM s_import)"
            ),
            {"id": layer_id},
        ).rowcount
        report.written["grid removed"] = removed
    ins, upd = _counted(
        conn,
        """INSERT INTO grid (layer_id, code, name)
           SELECT :id, code, coalesce(nullif(name, ''), code) FROM s_import
           ON CONFLICT (layer_id, code) DO UPDATE SET name = EXCLUDED.name
           RETURNING (xmax = 0)""",
        {"id": layer_id},
    )
    _written(report, "grid", ins, upd)
    report.written["grid_unit inserted"] = conn.execute(
        text(
            """INSERT INTO grid_unit (layer_id, unit_id, grid_id)
               SELECT :id, b.unit_id, g.id FROM s_best b
               JOIN grid g ON g.layer_id = :id AND g.code = b.grid_code"""
        ),
        {"id": layer_id},
    ).rowcount
    refresh_grids(conn, weights, layer_ids=[layer_id])
    # The community holding most of a grid's households names it (as the loader's grids do).
    conn.execute(
        text(
            """UPDATE grid g SET community_id = t.community_id FROM (
                   SELECT DISTINCT ON (gu.grid_id) gu.grid_id, u.community_id
                   FROM grid_unit gu JOIN base_unit u ON u.id = gu.unit_id
                   WHERE gu.layer_id = :id
                   GROUP BY gu.grid_id, u.community_id
                   ORDER BY gu.grid_id, sum(u.households) DESC, count(*) DESC, u.community_id
               ) t WHERE g.id = t.grid_id"""
        ),
        {"id": layer_id},
    )
    audit.record(
        conn,
        actor,
        "layer.import",
        "grid_layer",
        code,
        before,
        {"grids": ins + upd, "units": findings["units_assigned"], "gaps": len(gaps)},
    )


WRITERS: dict[str, Writer] = {
    "districts": write_districts,
    "streets": write_streets,
    "communities": write_communities,
    "units": write_units,
    "layer": write_layer,
    "buildings": write_buildings,
    "party_members": write_party_members,
    "incidents": write_incidents,
}
PREPARE = {"incidents": prepare_incidents}
