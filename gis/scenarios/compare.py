"""Comparing scenarios with each other and with today's layers, in SQL, on one declared basis.

**The basis: each layer is scored by its own workload definition** — a scenario by the weights and
band it was run with (as its run report, its printable report and its map say), today's layers
(unified, departmental) by the installation's weights and band (as the city map colours them).
So a scenario's "share in band" is the same figure in the comparison table, its histogram, its
map and its report; :data:`BASIS` is the sentence the page and the CLI print above the table.
Every figure is computed over the same base units (the compared scenarios' areas):

- grid count, workload mean / CV / min / max / share in band, households per grid;
- Polsby–Popper (4πA/P², in a conformal projection) of the grids, mean and minimum;
- grids crossing communities (over all units of the grid);
- units and households moved from today's unified layer: each grid is matched to the unified
  grid it shares most units with, and a unit moved when its unified grid is not that one;
- a workload histogram per layer, on bins shared by all of them;
- what the grid boundary runs along (:mod:`gis.boundaries`): its length and the shares on the
  river, main, secondary and branch roads, lanes, and nothing visible (界定清晰).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission
from gis.boundaries import boundary_shares
from gis.errors import Conflict, Invalid, NotFound
from gis.geojson import collection, feature_sql
from gis.infra.settings import Settings
from gis.labels import SCENARIO_STATES, label
from gis.scenarios.profiles import default_profile
from gis.scenarios.store import area_filter, get_scenario
from gis.workload import ATTRIBUTES, band_sql

HISTOGRAM_BINS = 20
MAX_SCENARIOS = 5
MAX_ITEMS = 12
BASIS = (
    "每个方案按其运行时的工作量权重和标准评分，现有图层按系统默认口径（与地图着色一致）"
    " · Each scenario is scored by the weights and band it was run with; today's layers by the"
    " installation's (as the maps colour them)"
)


@dataclass(frozen=True)
class Definition:
    """How a layer's workload is scored: the weights of the unit attributes and the band."""

    weights: dict[str, float]
    band: tuple[float, float]
    source: str  # "scenario": its own run parameters; "installation": the settings


def layer_definitions(
    conn: Connection, codes: Sequence[str], settings: Settings
) -> dict[str, Definition]:
    """The workload definition of each layer (see the module docstring): a scenario's layer by
    its parameters, any other layer by the installation's settings."""
    rows = conn.execute(
        text(
            "SELECT l.code, s.params FROM grid_layer l JOIN scenario s ON s.layer_id = l.id "
            "WHERE l.code = ANY(:codes)"
        ),
        {"codes": list(codes)},
    )
    own: dict[str, Any] = dict(rows.tuples().all())
    default = default_profile(settings)
    out = {}
    for code in codes:
        params = own.get(code)
        if params is None:
            low, high = default["band"]
            out[code] = Definition(default["weights"], (low, high), "installation")
        else:
            weights = {a: float(params["weights"].get(a, 0.0)) for a in ATTRIBUTES}
            out[code] = Definition(weights, tuple(params["band_for_metrics"]), "scenario")
    return out


def layer_band(conn: Connection, code: str, settings: Settings) -> tuple[float, float]:
    """The band a layer's grids are coloured by (under / in / over): its own definition's."""
    return layer_definitions(conn, [code], settings)[code].band


_DEFINED = """
WITH defs AS (
    SELECT * FROM unnest(CAST(:codes AS text[]), {weight_arrays},
                         CAST(:lows AS float8[]), CAST(:highs AS float8[]))
        AS d(code, {weight_columns}, low, high)
),
area_units AS (
    SELECT u.id, {unit_columns}
    FROM base_unit u JOIN community c ON c.id = u.community_id
    WHERE {area}
),
member AS (
    SELECT d.code AS layer, gu.grid_id, au.id AS unit_id, au.households,
           ({workload})::float AS w, d.low, d.high
    FROM defs d JOIN grid_layer l ON l.code = d.code
    JOIN grid_unit gu ON gu.layer_id = l.id JOIN area_units au ON au.id = gu.unit_id
),
per_grid AS (
    SELECT m.layer, m.grid_id, sum(m.w) AS w, sum(m.households) AS h,
           min(m.low) AS low, min(m.high) AS high
    FROM member m GROUP BY m.layer, m.grid_id
)"""

_BAND = band_sql("p.w", "p.low", "p.high")
_METRICS = """,
unified AS (
    SELECT gu.unit_id, gu.grid_id AS old FROM grid_unit gu
    WHERE gu.layer_id = (SELECT id FROM grid_layer WHERE code = 'unified')
),
shape AS (
    -- Web Mercator is conformal: at a grid's scale it stretches lengths by k and areas by k²,
    -- so 4πA/P² in it equals the geodesic figure, at a fraction of the cost.
    SELECT g.id, g.community_count,
           4 * pi() * ST_Area(m.geom) / nullif(ST_Perimeter(m.geom) ^ 2, 0) AS pp
    FROM grid g CROSS JOIN LATERAL (SELECT ST_Transform(g.geom, 3857) AS geom) m
    WHERE g.id IN (SELECT grid_id FROM per_grid)
),
pairs AS (
    SELECT m.layer, m.grid_id, u.old, count(*) AS n
    FROM member m JOIN unified u ON u.unit_id = m.unit_id GROUP BY 1, 2, 3
),
best AS (
    SELECT DISTINCT ON (layer, grid_id) layer, grid_id, old FROM pairs
    ORDER BY layer, grid_id, n DESC, old
),
moved AS (
    SELECT m.layer,
           count(*) FILTER (WHERE u.old IS DISTINCT FROM b.old) AS units_moved,
           coalesce(sum(m.households) FILTER (WHERE u.old IS DISTINCT FROM b.old), 0)
               AS households_moved,
           count(*) AS units
    FROM member m LEFT JOIN unified u ON u.unit_id = m.unit_id
    LEFT JOIN best b ON b.layer = m.layer AND b.grid_id = m.grid_id
    GROUP BY m.layer
)
SELECT p.layer AS code, count(*) AS grid_count,
       round(avg(p.w)::numeric, 1)::float AS workload_mean,
       round((stddev_pop(p.w) / nullif(avg(p.w), 0))::numeric, 4)::float AS workload_cv,
       min(p.w)::float AS workload_min, max(p.w)::float AS workload_max,
       round(avg(CASE WHEN {_BAND} = 'in' THEN 1.0 ELSE 0.0 END), 4)::float
           AS share_in_band,
       count(*) FILTER (WHERE {_BAND} = 'under') AS grids_under_band,
       count(*) FILTER (WHERE {_BAND} = 'over') AS grids_over_band,
       sum(p.h)::bigint AS households,
       round(avg(p.h)::numeric, 1)::float AS households_per_grid,
       round(avg(s.pp)::numeric, 4)::float AS polsby_popper_mean,
       round(min(s.pp)::numeric, 4)::float AS polsby_popper_min,
       count(*) FILTER (WHERE s.community_count > 1) AS grids_crossing_communities,
       max(mv.units) AS units, max(mv.units_moved) AS units_moved,
       max(mv.households_moved)::bigint AS households_moved,
       max(max(p.w)) OVER () AS overall_max
FROM per_grid p JOIN shape s ON s.id = p.grid_id JOIN moved mv ON mv.layer = p.layer
GROUP BY p.layer
""".replace("{_BAND}", _BAND)

_HISTOGRAM = """
SELECT layer, least(width_bucket(w, 0, :top, :bins), :bins) AS bin, count(*) AS n
FROM per_grid GROUP BY 1, 2 ORDER BY 1, 2
"""


def _defined_sql(area: list[str] | None) -> str:
    return _DEFINED.format(
        weight_arrays=", ".join(f"CAST(:w_{a} AS float8[])" for a in ATTRIBUTES),
        weight_columns=", ".join(f"w_{a}" for a in ATTRIBUTES),
        unit_columns=", ".join(f"u.{a}" for a in ATTRIBUTES),
        workload=" + ".join(f"d.w_{a} * au.{a}" for a in ATTRIBUTES),
        area=area_filter("c.code") if area is not None else "true",
    )


def layer_metrics(
    conn: Connection,
    definitions: dict[str, Definition],
    area: list[str] | None,
    *,
    bins: int = HISTOGRAM_BINS,
) -> list[dict[str, Any]]:
    """The metrics of each layer (code → its workload definition) over the units of ``area``
    (None: every unit), in the order given, each with a workload histogram on shared bins."""
    codes = list(definitions)
    params: dict[str, Any] = {
        "codes": codes,
        "area": area,
        "lows": [float(d.band[0]) for d in definitions.values()],
        "highs": [float(d.band[1]) for d in definitions.values()],
    } | {f"w_{a}": [float(d.weights.get(a, 0.0)) for d in definitions.values()] for a in ATTRIBUTES}
    defined = _defined_sql(area)
    rows = {r["code"]: dict(r) for r in conn.execute(text(defined + _METRICS), params).mappings()}
    top = max((r.pop("overall_max") or 0.0 for r in rows.values()), default=0.0) or 1.0
    counts: dict[str, list[int]] = {code: [0] * bins for code in codes}
    for layer, bin_, n in conn.execute(
        text(defined + _HISTOGRAM), params | {"top": float(top), "bins": bins}
    ):
        counts[layer][max(int(bin_), 1) - 1] += int(n)
    edges = [round(top * i / bins, 2) for i in range(bins + 1)]
    boundaries = boundary_shares(conn, codes, area)
    out = []
    for code, definition in definitions.items():
        row = rows.get(code) or {"code": code, "grid_count": 0}
        row["histogram"] = {"edges": edges, "counts": counts[code]}
        row["band"] = list(definition.band)
        row["weights"] = dict(definition.weights)
        row["definition"] = definition.source
        row["boundary"] = asdict(boundaries[code])
        out.append(row)
    return out


def _resolve(conn: Connection, item: str, *, access: Access) -> dict[str, Any]:
    """An item to compare: a scenario id (or its layer code) or a layer code."""
    item = item.strip()
    if item.startswith("scenario-") and item.removeprefix("scenario-").isdigit():
        item = item.removeprefix("scenario-")
    if item.isdigit():
        scenario = get_scenario(conn, int(item), access=access)
        if not scenario.layer:
            raise Conflict(
                f"方案 {item} {label(SCENARIO_STATES, scenario.state)}，还没有可比较的网格 "
                f"(scenario {item} is {scenario.state}: it has no proposed layer to compare)",
                scenario=int(item),
            )
        return {
            "kind": "scenario",
            "code": scenario.layer,
            "label": scenario.name,
            "scenario": scenario,
        }
    row = conn.execute(
        text("SELECT code, name, kind FROM grid_layer WHERE code = :c"), {"c": item}
    ).first()
    if row is None:
        raise NotFound(f"没有方案或图层 {item!r} (no scenario or grid layer {item!r})", item=item)
    if row.kind == "scenario":
        raise Invalid(
            f"请用方案编号比较方案，而不是图层编码 {item!r} "
            f"(compare a scenario by its id, not its layer code)",
            item=item,
        )
    return {"kind": row.kind, "code": row.code, "label": row.name, "scenario": None}


def compare(
    conn: Connection, items: list[str], settings: Settings, *, access: Access
) -> dict[str, Any]:
    """Metrics of 2–5 scenarios and any of today's layers, side by side (module doc)."""
    access.require(Permission.RUN_SCENARIOS)
    scope = access.scope
    items = [i for i in items if i and i.strip()]
    if len(items) < 2:
        raise Invalid("请至少选择两个方案或图层 (compare needs at least two: a=…&b=…)")
    if len(items) > MAX_ITEMS:
        raise Invalid(f"一次最多比较 {MAX_ITEMS} 项 (compare at most {MAX_ITEMS} at once)")
    resolved = [_resolve(conn, i, access=access) for i in items]
    codes = [r["code"] for r in resolved]
    if len(set(codes)) != len(codes):
        raise Invalid("每个方案或图层只能选一次 (each may be compared once)")
    scenarios = [r["scenario"] for r in resolved if r["scenario"]]
    if len(scenarios) > MAX_SCENARIOS:
        raise Invalid(
            f"一次最多比较 {MAX_SCENARIOS} 个方案 (compare at most {MAX_SCENARIOS} scenarios)"
        )
    area: list[str] | None
    if scenarios:
        area = sorted({a for s in scenarios for a in s.area})
    else:
        area = [scope.code] if scope.code else None
    definitions = layer_definitions(conn, codes, settings)
    metrics = layer_metrics(conn, definitions, area)
    for entry, found in zip(metrics, resolved, strict=True):
        entry["kind"] = found["kind"]
        entry["label"] = found["label"]
        entry["scenario_id"] = found["scenario"].id if found["scenario"] else None
    return {"area": area, "basis": "own", "basis_label": BASIS, "items": metrics}


def changes_geojson(conn: Connection, a: str, b: str, *, access: Access) -> str:
    """The units that change grid between ``a`` and ``b`` (scenarios or layers), as GeoJSON.

    Each grid of ``b`` is matched to the grid of ``a`` it shares most units with; a unit moved
    when its grid in ``a`` is not the match of its grid in ``b``. Properties: the unit, its
    grid in a and in b, and its households.
    """
    found = compare_items(conn, [a, b], access=access)
    area = found["area"]
    where = area_filter("c.code") if area is not None else "true"
    sql = f"""
        WITH units AS (
            SELECT u.id, u.code, u.households, u.geom FROM base_unit u
            JOIN community c ON c.id = u.community_id WHERE {where}
        ),
        ga AS (SELECT gu.unit_id, g.id, g.code FROM grid_unit gu JOIN grid g ON g.id = gu.grid_id
               WHERE gu.layer_id = (SELECT id FROM grid_layer WHERE code = :a)),
        gb AS (SELECT gu.unit_id, g.id, g.code FROM grid_unit gu JOIN grid g ON g.id = gu.grid_id
               WHERE gu.layer_id = (SELECT id FROM grid_layer WHERE code = :b)),
        pairs AS (SELECT gb.id AS b, ga.id AS a, count(*) AS n FROM units
                  JOIN ga ON ga.unit_id = units.id JOIN gb ON gb.unit_id = units.id
                  GROUP BY 1, 2),
        best AS (SELECT DISTINCT ON (b) b, a FROM pairs ORDER BY b, n DESC, a)
        SELECT {
        feature_sql(
            "units.code",
            "units.geom",
            {
                "code": "units.code",
                "from_grid": "ga.code",
                "to_grid": "gb.code",
                "households": "units.households",
            },
        )
    }
        FROM units JOIN gb ON gb.unit_id = units.id
        LEFT JOIN ga ON ga.unit_id = units.id
        LEFT JOIN best ON best.b = gb.id
        WHERE ga.id IS DISTINCT FROM best.a
        ORDER BY units.code
    """
    codes = found["codes"]
    return collection(
        conn,
        sql,
        {"a": codes[0], "b": codes[1], "area": area},
        extra={"from": codes[0], "to": codes[1]},
    )


def compare_items(conn: Connection, items: list[str], *, access: Access) -> dict[str, Any]:
    """Resolve items to layer codes and the area they are compared over."""
    access.require(Permission.RUN_SCENARIOS)
    scope = access.scope
    resolved = [_resolve(conn, i, access=access) for i in items]
    scenarios = [r["scenario"] for r in resolved if r["scenario"]]
    if scenarios:
        area: list[str] | None = sorted({a for s in scenarios for a in s.area})
    else:
        area = [scope.code] if scope.code else None
    return {"codes": [r["code"] for r in resolved], "area": area}
