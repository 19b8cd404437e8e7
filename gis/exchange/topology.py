"""Topology check of a grid layer, in PostGIS: what a QA reviewer looks for before sign-off.

- **gaps**: parts of the governed area (the communities of the districts the layer is in, within
  the caller's scope) that no grid covers;
- **overlaps**: areas two grids both cover, with their size in m²;
- **slivers**: gaps and overlaps so thin or small that they are drawing errors, not missing
  grids (Polsby–Popper 4πA/P² below :data:`SLIVER_THINNESS`, or under :data:`SLIVER_M2`);
- **multi-part grids**: grids in more than one piece, units that touch along less than
  ``Settings.min_shared_m`` counting as apart (``grid.pieces``);
- **grids crossing communities**: grids whose units belong to more than one community;
- **uncovered share** of each departmental layer: 1 − covered area / governed area.

A layer built from base units is gap- and overlap-free by construction wherever its units are;
the check finds the units a layer leaves out, grids that fell apart, and what drawn layers carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.codes import checked
from gis.errors import NotFound
from gis.geojson import collection, feature_sql
from gis.scope import Scope

SLIVER_THINNESS = 0.05
SLIVER_M2 = 10.0
PROBLEM_KINDS = ("gap", "overlap", "sliver", "multipart", "crossing")


@dataclass
class TopologyReport:
    layer: str
    summary: dict[str, Any]
    geojson: str  # FeatureCollection of problem geometries, each with a 'problem' kind


def _layer(conn: Connection, code: str) -> Any:
    row = conn.execute(
        text("SELECT id, kind, version FROM grid_layer WHERE code = :c"), {"c": code}
    ).first()
    if row is None:
        raise NotFound(
            f"没有代码为 {code!r} 的网格图层 (no grid layer with code {code!r})", layer=code
        )
    return row


def _governed(scope: Scope) -> tuple[str, dict[str, Any]]:
    """SQL of the communities a layer is checked against (``:lid`` = the layer's id)."""
    area = scope.area_sql("c.code") if scope.level != "grid" else None
    inside = scope.filter_sql("c.code") if area is not None else None
    sql = f"""SELECT c.id, c.code, c.geom FROM community c JOIN street s ON s.id = c.street_id
              WHERE s.district_id IN (
                  SELECT DISTINCT st.district_id FROM grid_unit gu
                  JOIN base_unit u ON u.id = gu.unit_id
                  JOIN community cc ON cc.id = u.community_id
                  JOIN street st ON st.id = cc.street_id
                  WHERE gu.layer_id = :lid)
                AND ({inside.sql if inside is not None else "false"})"""
    return sql, dict(inside.params) if inside is not None else {}


def _stage_problems(conn: Connection, reach: str, governed: str, params: dict[str, Any]) -> None:
    """Stage ``t_problems``: gaps, overlaps and slivers (measured on the ellipsoid), multi-part
    grids and grids crossing communities, each with its geometry."""
    conn.exec_driver_sql("DROP TABLE IF EXISTS t_problems")
    conn.execute(
        text(
            f"""CREATE TEMP TABLE t_problems ON COMMIT DROP AS
            WITH lg AS (
                SELECT g.id, g.code, g.geom, g.community_count, g.pieces FROM grid g
                WHERE g.layer_id = :lid AND g.geom IS NOT NULL AND ({reach})),
            area AS (SELECT ST_Union(geom) AS geom FROM ({governed}) a),
            cover AS (SELECT ST_Union(geom) AS geom FROM lg),
            gaps AS (
                SELECT (ST_Dump(ST_CollectionExtract(ST_Difference(
                           area.geom, coalesce(cover.geom, 'GEOMETRYCOLLECTION EMPTY'::geometry)),
                           3))).geom AS geom
                FROM area, cover WHERE area.geom IS NOT NULL),
            overlapping AS (
                SELECT a.code || ' × ' || b.code AS label,
                       (ST_Dump(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3))).geom
                           AS geom
                FROM lg a JOIN lg b ON a.id < b.id AND a.geom && b.geom
                WHERE ST_Relate(a.geom, b.geom, '2********')),
            pieces AS (
                SELECT 'gap' AS kind, NULL::text AS label, geom FROM gaps
                UNION ALL SELECT 'overlap', label, geom FROM overlapping),
            measured AS (
                SELECT kind, label, geom, ST_Area(geom::geography) AS area_m2,
                       ST_Perimeter(geom::geography) AS perimeter_m FROM pieces)
            SELECT CASE WHEN area_m2 < :m2 OR 4 * pi() * area_m2
                             / greatest(perimeter_m * perimeter_m, 1e-9) < :thin
                        THEN 'sliver' ELSE kind END AS problem,
                   kind AS of_kind, label, area_m2, NULL::int AS parts, NULL::json AS communities,
                   geom
            FROM measured WHERE area_m2 > 0.01
            UNION ALL
            SELECT 'multipart', 'grid', code, ST_Area(geom::geography),
                   greatest(pieces, ST_NumGeometries(geom)), NULL, geom
            FROM lg WHERE greatest(pieces, ST_NumGeometries(geom)) > 1
            UNION ALL
            SELECT 'crossing', 'grid', lg.code, ST_Area(lg.geom::geography), NULL,
                   (SELECT json_agg(DISTINCT c.code) FROM grid_unit gu
                    JOIN base_unit u ON u.id = gu.unit_id
                    JOIN community c ON c.id = u.community_id WHERE gu.grid_id = lg.id),
                   lg.geom
            FROM lg WHERE lg.community_count > 1"""
        ),
        params,
    )


def _summary(
    conn: Connection,
    layer_code: str,
    layer: Any,
    reach: str,
    governed: str,
    params: dict[str, Any],
    *,
    access: Access,
) -> dict[str, Any]:
    """Counts and areas of each problem in ``t_problems``, with the layer's and the governed
    area's figures and the departments' coverage."""
    sliver_m2, sliver_thinness = params["m2"], params["thin"]
    stats = (
        conn.execute(
            text(
                f"""SELECT
                (SELECT count(*) FROM grid g WHERE g.layer_id = :lid AND ({reach})) AS grids,
                (SELECT count(*) FROM grid g WHERE g.layer_id = :lid AND ({reach})
                   AND g.unit_count = 0) AS empty_grids,
                (SELECT coalesce(sum(ST_Area(geom::geography)), 0) FROM ({governed}) a)
                   AS governed_m2"""
            ),
            params,
        )
        .mappings()
        .one()
    )
    by_kind = {
        r.problem: r
        for r in conn.execute(
            text(
                "SELECT problem, count(*) AS n, coalesce(sum(area_m2), 0) AS m2 "
                "FROM t_problems GROUP BY problem"
            )
        )
    }
    uncovered_m2 = float(
        conn.exec_driver_sql(
            "SELECT coalesce(sum(area_m2), 0) FROM t_problems WHERE of_kind = 'gap'"
        ).scalar_one()
    )
    governed_m2 = float(stats["governed_m2"])

    def n(kind: str) -> int:
        return int(by_kind[kind].n) if kind in by_kind else 0

    def m2(kind: str) -> float:
        return round(float(by_kind[kind].m2), 1) if kind in by_kind else 0.0

    summary: dict[str, Any] = {
        "layer": layer_code,
        "kind": layer.kind,
        "version": layer.version,
        "grids": int(stats["grids"]),
        "gaps": n("gap"),
        "gap_area_m2": m2("gap"),
        "overlaps": n("overlap"),
        "overlap_area_m2": m2("overlap"),
        "slivers": n("sliver"),
        "sliver_area_m2": m2("sliver"),
        "multipart_grids": n("multipart"),
        "grids_crossing_communities": n("crossing"),
        "empty_grids": int(stats["empty_grids"]),
        "governed_km2": round(governed_m2 / 1e6, 3),
        "uncovered_share": round(uncovered_m2 / governed_m2, 5) if governed_m2 else None,
        "departments": department_coverage(conn, access=access),
        "thresholds": {"sliver_m2": sliver_m2, "sliver_thinness": sliver_thinness},
    }
    return summary


def check_layer(
    conn: Connection,
    layer_code: str,
    *,
    access: Access,
    sliver_m2: float = SLIVER_M2,
    sliver_thinness: float = SLIVER_THINNESS,
) -> TopologyReport:
    """Check the grids of ``layer_code`` that ``access.scope`` reaches; see the module doc."""
    scope = access.scope
    layer = _layer(conn, checked("layer", layer_code, field="layer"))
    reach = scope.grid_sql("g")
    governed, governed_params = _governed(scope)
    params: dict[str, Any] = (
        {"lid": layer.id, "m2": sliver_m2, "thin": sliver_thinness} | reach.params | governed_params
    )
    _stage_problems(conn, reach.sql, governed, params)
    summary = _summary(conn, layer_code, layer, reach.sql, governed, params, access=access)
    props = {
        "problem": "p.problem",
        "of": "p.of_kind",
        "label": "p.label",
        "area_m2": "round(p.area_m2::numeric, 2)",
        "parts": "p.parts",
        "communities": "p.communities",
    }
    body = collection(
        conn,
        f"SELECT {feature_sql('row_number() OVER ()', 'p.geom', props)} FROM t_problems p "
        "ORDER BY p.problem, p.area_m2 DESC",
        {},
        extra={"layer": layer_code, "summary": summary},
    )
    return TopologyReport(layer_code, summary, body)


def department_coverage(conn: Connection, *, access: Access) -> list[dict[str, Any]]:
    """Per departmental layer: the share of its districts' communities (in scope) it leaves
    uncovered. Units do not overlap, so covered area = the sum of the grids' unit areas."""
    scope = access.scope
    inside = scope.filter_sql("c.code") if scope.level != "grid" else None
    if inside is None:
        return []
    rows = conn.execute(
        text(
            f"""WITH d AS (
                    SELECT DISTINCT gu.layer_id, st.district_id FROM grid_unit gu
                    JOIN base_unit u ON u.id = gu.unit_id
                    JOIN community c ON c.id = u.community_id
                    JOIN street st ON st.id = c.street_id),
                governed AS (
                    SELECT d.layer_id, sum(ST_Area(c.geom::geography)) AS m2
                    FROM d JOIN street st ON st.district_id = d.district_id
                    JOIN community c ON c.street_id = st.id WHERE ({inside.sql})
                    GROUP BY d.layer_id),
                covered AS (
                    SELECT gu.layer_id, sum(u.area_m2) AS m2 FROM grid_unit gu
                    JOIN base_unit u ON u.id = gu.unit_id
                    JOIN community c ON c.id = u.community_id WHERE ({inside.sql})
                    GROUP BY gu.layer_id)
                SELECT l.code, l.name, l.department,
                       round((1 - coalesce(cv.m2, 0) / nullif(gv.m2, 0))::numeric, 5)::float
                           AS uncovered_share,
                       round(((gv.m2 - coalesce(cv.m2, 0)) / 1e6)::numeric, 3)::float
                           AS uncovered_km2
                FROM grid_layer l JOIN governed gv ON gv.layer_id = l.id
                LEFT JOIN covered cv ON cv.layer_id = l.id
                WHERE l.kind = 'department' ORDER BY l.code"""
        ),
        inside.params,
    ).mappings()
    return [dict(r) for r in rows]
