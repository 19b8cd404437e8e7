"""多网合一: the crosswalk from every departmental grid to the scenario grids that take it over.

All in SQL over ``grid_unit``: the scenario's area is cut into pieces (departmental grid ×
scenario grid), each with its households, area and units; a departmental grid's shares are its
pieces over its total inside the area, so they sum to one. When a departmental grid holds no
households, the household share falls back to the area share (and to the unit share when the
area is zero too), so that the shares still sum to one and still say where the grid went.

The county figures are what a county reports upward: grids before (per department and in
total) and after, households per grid, and grid workers needed at one per grid.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection, text

from gis import spreadsheet
from gis.access import Access
from gis.accounts import Permission
from gis.errors import Conflict
from gis.labels import SCENARIO_STATES, chinese
from gis.scenarios.store import area_filter, get_scenario

_PIECES = """
WITH au AS (
    SELECT u.id, u.households, u.area_m2 FROM base_unit u
    JOIN community c ON c.id = u.community_id WHERE {area}
),
s AS (
    SELECT gu.unit_id, g.code AS s_code, g.name AS s_name FROM grid_unit gu
    JOIN grid g ON g.id = gu.grid_id WHERE gu.layer_id = :layer_id
),
d AS (
    SELECT l.code AS layer, l.department, gu.unit_id, g.id AS d_id, g.code AS d_code,
           g.name AS d_name, g.unit_count AS d_units
    FROM grid_layer l JOIN grid_unit gu ON gu.layer_id = l.id JOIN grid g ON g.id = gu.grid_id
    WHERE l.kind = 'department'
),
pieces AS (
    SELECT d.layer, d.department, d.d_code, d.d_name, d.d_units, s.s_code, s.s_name,
           sum(au.households) AS households, sum(au.area_m2) AS area_m2, count(*) AS units
    FROM au JOIN d ON d.unit_id = au.id JOIN s ON s.unit_id = au.id
    GROUP BY 1, 2, 3, 4, 5, 6, 7
),
shares AS (
    SELECT p.*,
           sum(p.households) OVER w AS d_households, sum(p.area_m2) OVER w AS d_area,
           sum(p.units) OVER w AS d_units_in_area,
           sum(p.households) OVER (PARTITION BY p.layer, p.s_code) AS s_households_from_layer
    FROM pieces p WINDOW w AS (PARTITION BY p.layer, p.d_code)
)
SELECT layer, department, d_code, d_name, s_code, s_name, households::bigint AS households,
       round(area_m2::numeric, 1)::float AS area_m2, units,
       coalesce(households::float / nullif(d_households, 0),
                area_m2 / nullif(d_area, 0), units::float / d_units_in_area) AS households_share,
       coalesce(area_m2 / nullif(d_area, 0), units::float / d_units_in_area) AS area_share,
       round((d_units_in_area::numeric / nullif(d_units, 0)), 4)::float AS d_share_in_area,
       households::float / nullif(s_households_from_layer, 0) AS share_of_new_grid
FROM shares
ORDER BY layer, d_code, households_share DESC, s_code
"""

_FIGURES = """
WITH au AS (
    SELECT u.id, u.households FROM base_unit u
    JOIN community c ON c.id = u.community_id WHERE {area}
),
per_layer AS (
    SELECT l.code AS layer, l.kind, l.department, l.name,
           count(DISTINCT gu.grid_id) AS grids, sum(au.households)::bigint AS households
    FROM grid_layer l JOIN grid_unit gu ON gu.layer_id = l.id JOIN au ON au.id = gu.unit_id
    WHERE l.kind = 'department' OR l.code = 'unified' OR l.id = :layer_id
    GROUP BY 1, 2, 3, 4
)
SELECT layer, kind, department, name, grids, households,
       round(households::numeric / nullif(grids, 0), 1)::float AS households_per_grid,
       (SELECT sum(households) FROM au)::bigint AS area_households
FROM per_layer ORDER BY CASE kind WHEN 'department' THEN 0 WHEN 'unified' THEN 1 ELSE 2 END,
         layer
"""

COLUMNS = (
    "layer",
    "department",
    "d_code",
    "d_name",
    "s_code",
    "s_name",
    "households",
    "area_m2",
    "units",
    "households_share",
    "area_share",
    "d_share_in_area",
    "share_of_new_grid",
)
HEADERS = {
    "layer": "部门图层 layer",
    "department": "部门 department",
    "d_code": "原网格 departmental grid",
    "d_name": "原网格名称 name",
    "s_code": "新网格 scenario grid",
    "s_name": "新网格名称 name",
    "households": "户数 households",
    "area_m2": "面积 area m²",
    "units": "基础单元 units",
    "households_share": "户数占比 households share",
    "area_share": "面积占比 area share",
    "d_share_in_area": "原网格在范围内比例 share inside area",
    "share_of_new_grid": "占新网格户数 share of new grid",
}


def _scenario_layer(conn: Connection, scenario_id: int, *, access: Access) -> dict[str, Any]:
    access.require(Permission.RUN_SCENARIOS)
    scenario = get_scenario(conn, scenario_id, access=access)
    if not scenario.layer:
        raise Conflict(
            f"方案 {scenario_id} 的状态为{chinese(SCENARIO_STATES, scenario.state)}：尚无建"
            "议图层 ("
            f"scenario {scenario_id} is {scenario.state}: it has no proposed layer yet)",
            scenario=scenario_id,
        )
    layer_id = conn.execute(
        text("SELECT id FROM grid_layer WHERE code = :c"), {"c": scenario.layer}
    ).scalar_one()
    # The printed report reads the scenario as a mapping (its page is a JSON-like document).
    return asdict(scenario) | {"layer_id": layer_id}


def crosswalk_rows(conn: Connection, scenario_id: int, *, access: Access) -> list[dict[str, Any]]:
    """One row per (departmental grid, scenario grid) piece, with shares (module doc)."""
    scenario = _scenario_layer(conn, scenario_id, access=access)
    rows = conn.execute(
        text(_PIECES.format(area=area_filter("c.code"))),
        {"area": scenario["area"], "layer_id": scenario["layer_id"]},
    ).mappings()
    return [dict(r) for r in rows]


def absorbs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The other direction: for every scenario grid, the departmental grids it absorbs."""
    by_grid: dict[str, dict[str, Any]] = {}
    for r in rows:
        entry = by_grid.setdefault(r["s_code"], {"code": r["s_code"], "name": r["s_name"]})
        entry.setdefault("absorbs", []).append(
            {
                "layer": r["layer"],
                "code": r["d_code"],
                "name": r["d_name"],
                "households": r["households"],
                "share_of_departmental_grid": r["households_share"],
                "share_of_new_grid": r["share_of_new_grid"],
            }
        )
    return [by_grid[k] for k in sorted(by_grid)]


def figures(conn: Connection, scenario_id: int, *, access: Access) -> dict[str, Any]:
    """Grids before (per department, total) and after, households per grid, workers needed."""
    scenario = _scenario_layer(conn, scenario_id, access=access)
    rows = [
        dict(r)
        for r in conn.execute(
            text(_FIGURES.format(area=area_filter("c.code"))),
            {"area": scenario["area"], "layer_id": scenario["layer_id"]},
        ).mappings()
    ]
    departments = [r for r in rows if r["kind"] == "department"]
    today = next((r for r in rows if r["layer"] == "unified"), None)
    after = next((r for r in rows if r["layer"] == scenario["layer"]), None)
    before_grids = sum(r["grids"] for r in departments)
    before_households = sum(r["households"] for r in departments)
    after_grids = after["grids"] if after else 0
    households = rows[0]["area_households"] if rows else 0
    return {
        "scenario": scenario_id,
        "area": scenario["area"],
        "households": households,
        "before": {
            "departments": [
                {k: r[k] for k in ("layer", "department", "name", "grids", "households_per_grid")}
                for r in departments
            ],
            "grids": before_grids,
            "households_per_grid": round(before_households / before_grids, 1)
            if before_grids
            else None,
            "grid_workers": before_grids,
        },
        "unified_today": {
            "grids": today["grids"],
            "households_per_grid": today["households_per_grid"],
        }
        if today
        else None,
        "after": {
            "grids": after_grids,
            "households_per_grid": after["households_per_grid"] if after else None,
            "grid_workers": after_grids,
        },
        "grid_workers_saved": before_grids - after_grids,
        "reduction": round(1 - after_grids / before_grids, 4) if before_grids else None,
    }


def crosswalk(conn: Connection, scenario_id: int, *, access: Access) -> dict[str, Any]:
    rows = crosswalk_rows(conn, scenario_id, access=access)
    return {
        "scenario": scenario_id,
        "figures": figures(conn, scenario_id, access=access),
        "rows": rows,
        "absorbs": absorbs(rows),
    }


def crosswalk_csv(rows: list[dict[str, Any]]) -> str:
    """UTF-8 with a byte-order mark, so that Excel reads the Chinese right."""
    return spreadsheet.csv_text(
        [HEADERS[c] for c in COLUMNS], ([r[c] for c in COLUMNS] for r in rows)
    )


def crosswalk_xlsx(report: dict[str, Any]) -> bytes:
    """Three sheets: the crosswalk, what each new grid absorbs, and the county figures."""
    absorbed = [
        [grid["code"], grid["name"], a["layer"], a["code"], a["households"],
         a["share_of_departmental_grid"], a["share_of_new_grid"]]
        for grid in report["absorbs"]
        for a in grid["absorbs"]
    ]  # fmt: skip
    f = report["figures"]
    figures_rows: list[list[Any]] = [
        [f"{d['name']} ({d['layer']})", d["grids"], d["households_per_grid"], d["grids"]]
        for d in f["before"]["departments"]
    ]
    total = f["before"]
    figures_rows.append(["合并前合计 before, total", total["grids"],
                         total["households_per_grid"], total["grid_workers"]])  # fmt: skip
    if f["unified_today"]:
        today = f["unified_today"]
        figures_rows.append(["现统一网格 unified today", today["grids"],
                             today["households_per_grid"], today["grids"]])  # fmt: skip
    figures_rows.append(["方案 after", f["after"]["grids"], f["after"]["households_per_grid"],
                         f["after"]["grid_workers"]])  # fmt: skip
    # Streamed (write-only): the sample city's 5,562 departmental grids made the ordinary
    # workbook the slowest of the three formats.
    return spreadsheet.xlsx_bytes(
        [
            spreadsheet.Sheet(
                "crosswalk 对照表",
                [HEADERS[c] for c in COLUMNS],
                ([r[c] for c in COLUMNS] for r in report["rows"]),
                formats=dict.fromkeys(range(9, 13), "0.0%"),  # columns J–M hold shares
            ),
            spreadsheet.Sheet(
                "absorbs 新网格吸收",
                [
                    "新网格 scenario grid",
                    "名称 name",
                    "部门图层 layer",
                    "原网格 grid",
                    "户数 households",
                    "占原网格 share of departmental grid",
                    "占新网格 share of new grid",
                ],  # fmt: skip
                absorbed,
                freeze_header=False,
            ),
            spreadsheet.Sheet(
                "figures 县区数据",
                ["", "网格数 grids", "户/网格 households per grid", "网格员 grid workers"],
                figures_rows,
                freeze_header=False,
            ),
        ]
    )
