"""Writers of roads and rivers (道路、河流): one table, ``linear_feature``, whose kind comes from
the class a file names (gis/linear.py); afterwards every shared unit boundary is judged again
(:func:`gis.unit_edges.judge_unit_edges`; the units, and so the edges' lengths, are unchanged),
so the figures of grid boundaries follow the import.
"""

from __future__ import annotations

from gis.exchange.resolve import Ctx, counted, parent, rows_problems, scope_column, written
from gis.facilities.network import build_network
from gis.linear import CLASS_KINDS, kind_sql
from gis.staging import upsert
from gis.unit_edges import judge_unit_edges

CLASS = '"class"'


def _write_lines(ctx: Ctx, *, rivers: bool) -> None:
    conn, actor, scope, options, report, weights = ctx.unpack()
    if rivers:  # a river file need not say it holds rivers
        ctx.conn.exec_driver_sql(f"UPDATE s_import SET {CLASS} = '河流' WHERE {CLASS} = ''")
    parent(conn, report, column="district_code", table="district", label="district")
    known = ", ".join(k for k in CLASS_KINDS if not k.isascii())
    report.add(
        rows_problems(
            conn,
            f"SELECT _row, code, 'class ' || quote_literal({CLASS}) || ' is unknown (one of "
            f"{known}, or primary, secondary, branch, lane, river)' "
            f"FROM s_import WHERE {kind_sql(CLASS)} IS NULL",
        )
    )
    if rivers:
        report.add(
            rows_problems(
                conn,
                f"SELECT _row, code, 'class ' || quote_literal({CLASS}) || ' is a road''s: "
                f"import it as roads' FROM s_import WHERE {kind_sql(CLASS)} <> 'river'",
            )
        )
    scope_column(conn, scope, "SELECT district_code FROM s_import", "roads and rivers")
    if not report.ok:
        return
    ins, upd = counted(conn, upsert("linear_feature", "s_import", "(xmax = 0)"))
    written(report, "linear_feature", ins, upd)
    districts = [r[0] for r in conn.exec_driver_sql("SELECT DISTINCT district_code FROM s_import")]
    report.written["unit_edge judged"] = judge_unit_edges(conn, districts)
    # The walking network of those counties follows the roads (gis/facilities/network.py).
    report.written["walk_edge built"] = build_network(conn, districts).edges


def write_roads(ctx: Ctx) -> None:
    _write_lines(ctx, rivers=False)


def write_rivers(ctx: Ctx) -> None:
    _write_lines(ctx, rivers=True)
