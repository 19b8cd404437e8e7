"""Writer of service points (服务设施): the kind a file names (助餐点 … 议事厅, or the stored
code, gis/facilities/kinds.py), the community the point lies in (given or found), capacity and
opening hours. A point outside every community, or an unknown kind, is refused by row; a point
more than 200 m from the walking network is imported but named in the report's findings — it
is flagged, never snapped (gis/facilities/reach.py)."""

from __future__ import annotations

from gis.exchange.resolve import Ctx, counted, parent, rows_problems, scope_column, written
from gis.facilities.kinds import FILE_KINDS, kind_sql
from gis.facilities.network import MAX_SNAP_M

UPSERT = f"""
    INSERT INTO facility (code, kind, name, capacity, opening_hours, community_id, geom)
    SELECT code, {kind_sql("kind")}, name, nullif(capacity, '')::numeric::int,
           coalesce(opening_hours, ''), parent_id, ST_PointOnSurface(geom)
    FROM s_import
    ON CONFLICT (code) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name,
        capacity = EXCLUDED.capacity, opening_hours = EXCLUDED.opening_hours,
        community_id = EXCLUDED.community_id, geom = EXCLUDED.geom
    RETURNING (xmax = 0)
"""


def write_facilities(ctx: Ctx) -> None:
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
    known = "、".join(k for k in FILE_KINDS if not k.isascii())
    report.add(
        rows_problems(
            conn,
            f"SELECT _row, code, 'kind ' || quote_literal(kind) || ' is unknown (one of {known}"
            f", or meal, elderly_child, rider_station, party_centre, residents_home, council)' "
            f"FROM s_import WHERE {kind_sql('kind')} IS NULL",
        )
    )
    scope_column(conn, scope, "SELECT community_code FROM s_import", "facilities")
    if not report.ok:
        return
    ins, upd = counted(conn, UPSERT)
    written(report, "facility", ins, upd)
    far = conn.exec_driver_sql(
        f"""SELECT s.code, round(n.dist::numeric) FROM s_import s
            CROSS JOIN LATERAL (
                SELECT ST_Distance(w.geom::geography, s.geom::geography) AS dist
                FROM walk_node w ORDER BY w.geom <-> s.geom LIMIT 1) AS n
            WHERE n.dist > {MAX_SNAP_M} ORDER BY s.code LIMIT 50"""
    ).all()
    if far:
        report.findings["far_from_network"] = [f"{r[0]} ({r[1]} m)" for r in far]
        report.warnings.append(
            f"{len(far)} 个设施距步行路网超过 {MAX_SNAP_M:.0f} 米，已标记、未吸附 ({len(far)} "
            f"facilities lie more than {MAX_SNAP_M:.0f} m from the walking network: flagged, "
            "not snapped)"
        )
