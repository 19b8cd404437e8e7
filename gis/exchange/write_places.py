"""Writers of places and people: districts, streets, communities, base units, buildings and
party members; codes are the keys, so a row whose code exists updates that row (a county sends a
corrected file again)."""

from __future__ import annotations

from sqlalchemy import Connection, text

from gis.exchange.resolve import (
    Ctx,
    counted,
    nested,
    parent,
    rows_problems,
    scope_column,
    written,
)
from gis.grids import refresh_grids
from gis.staging import resolve_codes, upsert
from gis.unit_edges import refresh_unit_edges

# ----------------------------------------------------------------------------- admin areas


def write_districts(ctx: Ctx) -> None:
    conn, actor, scope, options, report, weights = ctx.unpack()
    scope_column(conn, scope, "SELECT code FROM s_import", "districts")
    if not report.ok:
        return
    ins, upd = counted(conn, upsert("district", "s_import", "(xmax = 0)"))
    written(report, "district", ins, upd)


def write_streets(ctx: Ctx) -> None:
    conn, actor, scope, options, report, weights = ctx.unpack()
    parent(conn, report, column="district_code", table="district", label="district")
    nested(conn, report, "district_code", "district")
    scope_column(conn, scope, "SELECT code FROM s_import", "streets")
    if not report.ok:
        return
    ins, upd = counted(conn, upsert("street", "s_import", "(xmax = 0)"))
    written(report, "street", ins, upd)


COMMUNITY_KINDS = {
    "": "urban",
    "urban": "urban",
    "village": "village",
    "社区": "urban",
    "村": "village",
}


def write_communities(ctx: Ctx) -> None:
    conn, actor, scope, options, report, weights = ctx.unpack()
    parent(conn, report, column="street_code", table="street", label="street")
    nested(conn, report, "street_code", "street")
    report.add(
        rows_problems(
            conn,
            "SELECT _row, code, 'kind ' || quote_literal(kind) || ' is neither urban (社区) nor "
            "village (村)' FROM s_import WHERE NOT (kind = ANY(:kinds))",
            {"kinds": list(COMMUNITY_KINDS)},
        )
    )
    scope_column(conn, scope, "SELECT code FROM s_import", "communities")
    if not report.ok:
        return
    ins, upd = counted(conn, upsert("community", "s_import", "(xmax = 0)"))
    written(report, "community", ins, upd)


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
    parent(conn, report, column="community_code", table="community", label="community")
    report.add(
        rows_problems(
            conn,
            """SELECT s._row, s.code, 'lies outside its community ' || s.community_code
               FROM s_import s JOIN community c ON c.id = s.parent_id
               WHERE NOT ST_Intersects(c.geom, ST_PointOnSurface(s.geom))""",
        )
    )
    scope_column(conn, scope, "SELECT community_code FROM s_import", "base units")
    if not report.ok:
        return
    result = conn.execute(text(upsert("base_unit", "s_import", "id, (xmax = 0)"))).all()
    updated = [r[0] for r in result if not r[1]]
    written(report, "base_unit", len(result) - len(updated), len(updated))
    # New or redrawn units: what their shared boundaries run along is judged again.
    counties = "SELECT DISTINCT left(community_code, 6) FROM s_import"
    districts = [r[0] for r in conn.exec_driver_sql(counties)]
    report.written["unit_edge judged"] = refresh_unit_edges(conn, districts)
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
    parent(conn, report, column="unit_code", table="base_unit", label="base unit")
    scope_column(
        conn,
        scope,
        "SELECT c.code FROM s_import s JOIN base_unit u ON u.id = s.parent_id "
        "JOIN community c ON c.id = u.community_id",
        "buildings",
    )
    if not report.ok:
        return
    ins, upd = counted(conn, upsert("building", "s_import", "(xmax = 0)"))
    written(report, "building", ins, upd)
    entrances = conn.execute(text(upsert("building_entrance", "s_import"))).rowcount
    report.written["building_entrance inserted"] = entrances


def write_party_members(ctx: Ctx) -> None:
    conn, actor, scope, options, report, weights = ctx.unpack()
    parent(conn, report, column="community_code", table="community", label="community")
    resolve_codes(conn, "s_import", "organisation_code", "party_organisation", "organisation_id")
    report.add(
        rows_problems(
            conn,
            "SELECT _row, code, 'unknown party organisation code ' || "
            "quote_literal(organisation_code) FROM s_import "
            "WHERE organisation_code <> '' AND organisation_id IS NULL",
        )
    )
    scope_column(conn, scope, "SELECT community_code FROM s_import", "party members")
    if not report.ok:
        return
    ins, upd = counted(conn, upsert("party_member", "s_import", "(xmax = 0)"))
    written(report, "party_member", ins, upd)
