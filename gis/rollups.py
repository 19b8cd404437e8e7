"""Roll-ups: the figures of every city, county, street or community under one code, side by side.

What a provincial (or city, or county) office compares: for each area of the level asked, under
the prefix asked and inside the caller's scope —

=====================  ========================================================================
figure                 definition (reused, not redefined)
=====================  ========================================================================
units                  base units whose community lies in the area
grids                  grids of the layer whose main community (``grid.community_id``, the one
                       holding most of its households) lies in the area
workload_mean, _cv,    :func:`gis.layers.balance_sql` over those grids (the layer list's own
share_in_band          definition: CV = population std / mean; share = grids 'in' the band)
grids_with_leader      those grids with a current grid leader (网格长, gis.party.common.current)
grid_workers           active field workers (网格员) scoped to one of those grids
grids_per_worker       grids / grid_workers (``None`` without workers)
incidents              problems reported in the period (a merged report is not a problem of its
                       own: gis.incidents.figures.P), placed by their community, seen by the
                       caller (gis.incidents.access.visible_sql)
incidents_per_grid     incidents / grids
party_members          members whose home community lies in the area
                       (gis.party.common.member_scope_sql)
members_per_grid       party_members / grids
=====================  ========================================================================

A grid counts in the area of its main community, so a departmental grid that crosses a county
line is counted once, where most of its households are. Everything is one SQL statement: one
aggregate per table grouped by the area's code prefix (``left(code, n)``), joined to the list of
areas. Units and members are read as counted per community (``community_tally``, kept exact by
triggers in every writer's transaction), so the province reads 20,000 rows for them, not 2
million; grids come from a covering index, incidents from the period's index.

A caller names a level finer than (or equal to) their own scope: a province compares its cities
or counties, a county its streets. Asking under a prefix outside one's scope is
:class:`~gis.errors.Forbidden`; nothing outside the scope is counted or named.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal, get_args

from sqlalchemy import Connection, text

from gis import spreadsheet
from gis.access import Access
from gis.accounts import Permission
from gis.chinatime import CHINA
from gis.errors import Forbidden, Invalid
from gis.incidents.access import visible_sql
from gis.incidents.figures import P as PROBLEM
from gis.layers import balance_sql, layer_id_of
from gis.needs.figures import Period
from gis.party.common import current, member_scope_sql
from gis.personal import ExportFile

Level = Literal["city", "district", "street", "community"]
LEVELS: tuple[Level, ...] = get_args(Level)
#: The length of an area's code at each level (a city is its counties' first four digits).
KEY_LENGTHS: dict[str, int] = {"city": 4, "district": 6, "street": 9, "community": 12}
LEVEL_LABELS: dict[str, str] = {
    "city": "市",
    "district": "区县",
    "street": "街道",
    "community": "社区",
}
#: The areas of each level: code, name (a city without a stored name is called by its code).
#: Each also gives its bounding box (four numbers, so a page can zoom to it without its outline).
_BOX = "ARRAY[ST_XMin({g}), ST_YMin({g}), ST_XMax({g}), ST_YMax({g})]::float[] AS bbox"
_AREAS: dict[str, str] = {
    "city": f"""SELECT k.code, coalesce(ct.name, '市 ' || k.code) AS name, {_BOX.format(g="k.box")}
               FROM (SELECT left(code, 4) AS code, ST_Extent(geom) AS box FROM district
                     GROUP BY 1) k
               LEFT JOIN city ct ON ct.code = k.code""",
    **{
        level: f"SELECT code, name, {_BOX.format(g='geom')} FROM {level}"
        for level in ("district", "street", "community")
    },
}


@dataclass(frozen=True)
class AreaFigures:
    """The figures of one area (see the module doc for each definition)."""

    code: str
    name: str
    units: int
    grids: int
    workload_mean: float | None
    workload_cv: float | None
    share_in_band: float | None
    grids_with_leader: int
    grid_workers: int
    grids_per_worker: float | None
    incidents: int
    incidents_per_grid: float | None
    party_members: int
    members_per_grid: float | None
    #: [west, south, east, north] in WGS84: where the page zooms on a click (not a figure).
    bbox: list[float] | None = None


@dataclass(frozen=True)
class Rollup:
    """Areas of level ``by`` under ``within`` (a code prefix), for grid layer ``layer``."""

    by: Level
    within: str
    layer: str
    start: dt.date
    end: dt.date
    band: tuple[float, float]
    areas: list[AreaFigures]


def _level(by: str) -> Level:
    if by not in LEVELS:
        raise Invalid(
            f"分组级别须为 {', '.join(LEVELS)} 之一，收到 {by!r} ("
            f"by must be one of {', '.join(LEVELS)}; got {by!r})",
            by=by,
        )
    return by


def prefix_of(by: Level, within: str, *, access: Access) -> str:
    """The code prefix the roll-up covers: ``within`` or the caller's own scope, whichever is
    narrower. A prefix beside the scope (another province) is Forbidden; a level coarser than
    that prefix (cities under one county) is Invalid."""
    scope = access.scope
    if within and not within.isdigit():
        raise Invalid(f"地区代码须为数字，收到 {within!r} (an area code is digits)", within=within)
    if scope.level == "grid":
        raise Forbidden("网格级用户没有区域比较 (a grid scope compares no areas)")
    mine = scope.code
    if within.startswith(mine):
        prefix = within
    elif mine.startswith(within):
        prefix = mine
    else:
        raise Forbidden(
            f"地区 {within} 不在您的权限范围（{scope.label}）内 ("
            f"area {within} is outside your scope {scope})",
            within=within,
        )
    if KEY_LENGTHS[by] < len(prefix):
        raise Invalid(
            f"{prefix} 之下没有{LEVEL_LABELS[by]}级的比较：请选更细的级别 ("
            f"there are no {by} areas under {prefix}: choose a finer level)",
            by=by,
            within=prefix,
        )
    return prefix


def _sql(by: Level, access: Access, band: tuple[float, float]) -> tuple[str, dict[str, Any]]:
    """Units and members come counted per community (``community_tally``, kept by triggers in
    the writers' transactions: migration 0032), then summed per area; the scope's filters
    (written for one row with its ``community_id``) apply to those rows. Grids come from the
    covering index of ``grid`` (no outline read); grid leaders are hashed once, not looked up
    grid by grid."""
    n = KEY_LENGTHS[by]
    scope = access.scope
    if scope.level == "grid":  # refused by prefix_of; member_scope_sql of a grid needs m.geom
        raise Forbidden("网格级用户没有区域比较 (a grid scope compares no areas)")
    area = scope.filter_sql("a.code")
    units = scope.filter_sql("c.code")
    grids = scope.filter_sql("gc.code")
    members = member_scope_sql(scope, "t")  # by home community: the tally's community
    seen = visible_sql("i", access=access)
    sql = f"""
    WITH areas AS (
        SELECT a.code, a.name, a.bbox FROM ({_AREAS[by]}) a
        WHERE starts_with(a.code, :prefix) AND {area.sql}
    ), tally AS (
        SELECT left(c.code, {n}) AS k, sum(t.units)::bigint AS units,
               sum(t.party_members)::bigint AS party_members
        FROM community_tally t JOIN community c ON c.id = t.community_id
        WHERE starts_with(c.code, :prefix) AND {units.sql} AND {members.sql} GROUP BY 1
    ), gr AS MATERIALIZED (
        SELECT g.id, g.workload, left(gc.code, {n}) AS k
        FROM grid g JOIN community gc ON gc.id = g.community_id
        WHERE g.layer_id = :layer_id AND starts_with(gc.code, :prefix) AND {grids.sql}
    ), led AS (
        SELECT DISTINCT a.grid_id FROM gr JOIN assignment a ON a.grid_id = gr.id
        WHERE a.role = 'grid_leader' AND {current("a")}
    ), gs AS (
        SELECT gr.k, count(*) AS grids, {balance_sql("gr", band)},
               count(led.grid_id) AS grids_with_leader
        FROM gr LEFT JOIN led ON led.grid_id = gr.id GROUP BY 1
    ), wk AS (
        SELECT gr.k, count(*) AS grid_workers
        FROM app_user au JOIN grid wg ON wg.layer_id = :layer_id AND wg.code = au.scope_code
        JOIN gr ON gr.id = wg.id
        WHERE au.role = 'field_worker' AND au.scope_level = 'grid' AND au.active
          AND au.scope_layer = :layer GROUP BY 1
    ), inc AS (
        SELECT left(ic.code, {n}) AS k, count(*) AS incidents
        FROM incident i JOIN community ic ON ic.id = i.community_id
        WHERE {PROBLEM} AND i.reported_at >= :start AND i.reported_at < :end
          AND starts_with(ic.code, :prefix) AND {seen.sql} GROUP BY 1
    )
    SELECT areas.code, areas.name, coalesce(tally.units, 0) AS units,
           coalesce(gs.grids, 0) AS grids, gs.workload_mean, gs.workload_cv, gs.share_in_band,
           coalesce(gs.grids_with_leader, 0) AS grids_with_leader,
           coalesce(wk.grid_workers, 0) AS grid_workers,
           round(gs.grids::numeric / nullif(wk.grid_workers, 0), 2)::float AS grids_per_worker,
           coalesce(inc.incidents, 0) AS incidents,
           round(coalesce(inc.incidents, 0)::numeric / nullif(gs.grids, 0), 2)::float
               AS incidents_per_grid,
           coalesce(tally.party_members, 0) AS party_members,
           round(coalesce(tally.party_members, 0)::numeric / nullif(gs.grids, 0), 2)::float
               AS members_per_grid,
           areas.bbox
    FROM areas
    LEFT JOIN tally ON tally.k = areas.code LEFT JOIN gs ON gs.k = areas.code
    LEFT JOIN wk ON wk.k = areas.code LEFT JOIN inc ON inc.k = areas.code
    ORDER BY areas.code"""
    params = area.params | units.params | grids.params | members.params | seen.params
    return sql, params


def rollup(
    conn: Connection,
    by: str,
    *,
    within: str = "",
    layer: str = "unified",
    period: Period,
    band: tuple[float, float],
    access: Access,
    now: dt.datetime,
) -> Rollup:
    """The figures of every area of level ``by`` under ``within`` (default: the caller's whole
    scope), incidents counted over ``period`` (China-time days, both included)."""
    access.require(Permission.COMPARE_AREAS)
    level = _level(by)
    prefix = prefix_of(level, within, access=access)
    layer_id = layer_id_of(conn, layer)
    sql, params = _sql(level, access, band)
    start, end = period.instants()
    rows = conn.execute(
        text(sql),
        params
        | {
            "prefix": prefix,
            "layer_id": layer_id,
            "layer": layer,
            "start": start,
            "end": end,
            "on": now.astimezone(CHINA).date(),
        },
    ).mappings()
    areas = [AreaFigures(**r) for r in rows]
    return Rollup(level, prefix, layer, period.start, period.end, band, areas)


HEADINGS = ["代码", "名称", "基础单元", "网格", "平均工作量", "工作量变异系数", "带内网格占比",
            "有网格长的网格", "网格员", "每名网格员网格数", "事件", "每网格事件",
            "党员", "每网格党员"]  # fmt: skip
FORMATS = {"csv": spreadsheet.CSV_MEDIA, "xlsx": spreadsheet.XLSX_MEDIA}


def export_rollup(found: Rollup, fmt: str) -> ExportFile:
    """The roll-up as CSV or XLSX (the one writer, formulas defused); no personal data."""
    if fmt not in FORMATS:
        raise Invalid(
            f"导出格式须为 {', '.join(FORMATS)} 之一，而不是 {fmt!r} (format is csv or xlsx)",
            format=fmt,
        )
    rows = [list(asdict(a).values())[: len(HEADINGS)] for a in found.areas]
    if fmt == "csv":
        data = spreadsheet.csv_bytes(HEADINGS, rows)
    else:
        sheet = spreadsheet.Sheet(
            f"{LEVEL_LABELS[found.by]}比较",
            HEADINGS,
            rows,
            widths=[14, 16] + [10] * (len(HEADINGS) - 2),
            formats={0: "@", 6: "0.0%"},
        )
        data = spreadsheet.xlsx_bytes([sheet])
    name = f"rollup-{found.by}-{found.within or 'all'}-{found.start:%Y%m%d}-{found.end:%Y%m%d}"
    return ExportFile(
        data=data,
        media_type=FORMATS[fmt],
        filename=f"{name}.{fmt}",
        fields=[f.name for f in fields(AreaFigures)][: len(HEADINGS)],
        personal_data="masked",
        rows=len(rows),
    )
