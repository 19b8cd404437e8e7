"""The writer of a departmental grid layer drawn freehand: every unit goes to the grid covering
most of it, and the report says what did not fit (gaps, split units, crossings, empty grids)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from gis import audit
from gis.errors import Conflict, Forbidden, NotFound
from gis.exchange.report import MAX_LISTED
from gis.exchange.resolve import Ctx, counted, written
from gis.grids import refresh_grids
from gis.scope import SqlFilter

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
    conn, actor, scope, options, report, _ = ctx.unpack()
    code = options.layer
    assert code is not None
    layer = _existing_layer(ctx, code)
    unit_scope = scope.unit_sql("u")
    params: dict[str, Any] = dict(unit_scope.params)
    area_sql = _best_cover(ctx, unit_scope, params)
    gaps = _findings(ctx, area_sql, unit_scope, params)
    if layer is not None and not scope.is_everything:
        _check_whole_layer_in_scope(ctx, code, layer.id, unit_scope)
    if not report.ok:
        return
    layer_id, before, grids = _write_grids(ctx, code, layer)
    audit.record(
        conn,
        actor,
        "layer.import",
        "grid_layer",
        code,
        before,
        {"grids": grids, "units": report.findings["units_assigned"], "gaps": gaps},
    )


def _existing_layer(ctx: Ctx, code: str) -> Any:
    """The departmental layer ``code`` (locked) if it exists; refused when it is the unified or
    a scenario's layer, or exists and the import does not say ``replace``."""
    conn, options = ctx.conn, ctx.options
    layer = conn.execute(
        text("SELECT id, kind, version FROM grid_layer WHERE code = :c FOR UPDATE"), {"c": code}
    ).first()
    if layer is not None and layer.kind != "department":
        raise Conflict(
            f"图层 {code!r} 是{'统一网格' if layer.kind == 'unified' else '方案'}图层："
            "导入只能新建或替换部门图层 ("
            f"layer {code!r} is the {layer.kind} layer; an import creates or replaces "
            "departmental layers only)",
            layer=code,
        )
    if layer is not None and not options.replace:
        raise Conflict(
            f"图层 {code!r} 已存在：如需替换其网格，请加 --replace（AP"
            "I：options.replace） ("
            f"layer {code!r} exists: give --replace (API: options.replace) to replace its grids)",
            layer=code,
        )
    return layer


def _best_cover(ctx: Ctx, unit_scope: SqlFilter, params: dict[str, Any]) -> str:
    """Stage ``s_cover`` (every unit share a drawn grid covers) and ``s_best`` (each unit's best
    grid, inside the layer's area); returns the SQL selecting the area's community ids (its
    ``:area`` parameter, when given, is added to ``params``)."""
    conn, options = ctx.conn, ctx.options
    area_filter = "true"
    if options.area:
        found = conn.execute(
            text("SELECT 1 FROM community WHERE starts_with(code, :a) LIMIT 1"),
            {"a": options.area},
        ).first()
        if not found:
            raise NotFound(
                f"没有代码为 {options.area!r} 的区县、街道或社区 ("
                f"no district, street or community with code {options.area!r})"
            )
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
    return area_sql


def _findings(ctx: Ctx, area_sql: str, unit_scope: SqlFilter, params: dict[str, Any]) -> int:
    """What did not fit, into the report: gaps, split units, grids crossing communities, empty
    grids, overlapping drawings, and the units assigned; returns the number of gaps."""
    conn, report = ctx.conn, ctx.report
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
    return len(gaps)


def _check_whole_layer_in_scope(ctx: Ctx, code: str, layer_id: int, unit_scope: SqlFilter) -> None:
    """Only someone whose scope holds the whole layer may replace it."""
    conn, scope = ctx.conn, ctx.scope
    outside = conn.execute(
        text(
            f"""SELECT count(*) FROM grid_unit gu JOIN base_unit u ON u.id = gu.unit_id
                WHERE gu.layer_id = :lid AND NOT ({unit_scope.sql})"""
        ),
        {"lid": layer_id} | unit_scope.params,
    ).scalar_one()
    if outside:
        raise Forbidden(
            f"图层 {code!r} 有 {outside} 个单元不在您的权限范围（"
            f"{scope}）内：只有权限范围覆盖整个图层的人才能替换它 ("
            f"layer {code!r} holds {outside} unit(s) outside your scope ({scope}): "
            "only someone whose scope holds the whole layer may replace it)",
            layer=code,
        )


def _write_grids(ctx: Ctx, code: str, layer: Any) -> tuple[int, dict[str, Any] | None, int]:
    """Create the layer or replace its grids, assign each unit to its best grid, and refresh
    the grids; returns the layer id, its version before (None when new) and the grids written."""
    conn, options, report, weights = ctx.conn, ctx.options, ctx.report, ctx.weights
    before: dict[str, Any] | None
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
    ins, upd = counted(
        conn,
        """INSERT INTO grid (layer_id, code, name)
           SELECT :id, code, coalesce(nullif(name, ''), code) FROM s_import
           ON CONFLICT (layer_id, code) DO UPDATE SET name = EXCLUDED.name
           RETURNING (xmax = 0)""",
        {"id": layer_id},
    )
    written(report, "grid", ins, upd)
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
    return layer_id, before, ins + upd
