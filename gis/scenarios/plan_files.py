"""Plans as files: a unit → grid table exported from any layer and imported as a new scenario.

Redistricting tools exchange plans as block-assignment files, one row per unit and the district
it goes to (Dave's Redistricting App, Districtr, GerryChain); a county's planners keep theirs in
a spreadsheet. Gridmap writes the same table for any layer it holds (:func:`export_assignment`)
and reads one back as a scenario (:func:`import_plan`), so that a plan drawn elsewhere can be
compared, reported on and adopted like an optimised one.

An imported plan is checked as a whole before anything is written: every unit of the area once,
no unknown unit, every grid inside one community and in one piece (units linked where they share
``Settings.min_shared_m`` of boundary, as the optimizer and the editor link them). Every problem is
named with its row; one problem refuses the whole file.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from gis import audit, spreadsheet
from gis.access import Access
from gis.accounts import Permission
from gis.codes import checked
from gis.errors import Invalid, InvalidFile
from gis.exchange.limits import check_archive, check_rows
from gis.infra.settings import ImportLimits, Settings
from gis.layers import layer_id_of
from gis.optimizer.graph import UnitGraph
from gis.optimizer.io import database_units, read_frame_units
from gis.optimizer.metrics import grid_components, measure
from gis.scenarios.compare import Definition, layer_metrics
from gis.scenarios.run import assign_codes, report_json, write_layer
from gis.scenarios.store import (
    default_definition,
    get_scenario,
    normalize_area,
    scenario_layer_code,
    unified_version,
)
from gis.scenarios.values import Scenario

#: The table's columns, as exported; an import needs the first two (Chinese headers accepted).
COLUMNS = ("unit_code", "grid_code", "grid_name", "community_code")
HEADER_ALIASES = {
    "单元编码": "unit_code",
    "unit": "unit_code",
    "网格编码": "grid_code",
    "grid": "grid_code",
    "district": "grid_code",
    "网格名称": "grid_name",
}
#: Problems listed in full in the answer; beyond that, a count.
MAX_PROBLEMS = 200


@dataclass(frozen=True)
class AssignmentTable:
    """A layer's units and their grids, in the caller's scope, ready for the one writer."""

    layer: str
    header: list[str]
    rows: list[tuple[str, str, str, str]]


def export_assignment(conn: Connection, layer_code: str, *, access: Access) -> AssignmentTable:
    """Every unit of ``layer_code`` that the caller's scope reaches, with its grid."""
    layer_code = checked("layer", layer_code, field="layer")
    layer_id = layer_id_of(conn, layer_code)
    reach = access.scope.unit_sql("u")
    rows = conn.execute(
        text(
            f"""SELECT u.code, g.code, g.name, c.code
                FROM grid_unit gu JOIN grid g ON g.id = gu.grid_id
                JOIN base_unit u ON u.id = gu.unit_id JOIN community c ON c.id = u.community_id
                WHERE gu.layer_id = :lid AND ({reach.sql}) ORDER BY u.code"""
        ),
        {"lid": layer_id} | reach.params,
    )
    return AssignmentTable(layer_code, list(COLUMNS), [tuple(r) for r in rows])


def assignment_file(table: AssignmentTable, fmt: str) -> bytes:
    """The table as CSV (UTF-8 with BOM) or XLSX, through the project's one spreadsheet writer."""
    if fmt == "csv":
        return spreadsheet.csv_bytes(table.header, table.rows)
    if fmt == "xlsx":
        return spreadsheet.xlsx_bytes(
            [spreadsheet.Sheet("单元 Units", table.header, table.rows, widths=(18, 18, 24, 15))]
        )
    raise Invalid(f"格式须为 csv 或 xlsx，收到 {fmt!r} (format must be csv or xlsx; got {fmt!r})")


def read_assignment(path: Path, limits: ImportLimits) -> pd.DataFrame:
    """The uploaded table: ``unit_code``, ``grid_code`` and, if given, ``grid_name`` as text;
    the apostrophes Gridmap's writer put before formula-like text are taken off again. A
    workbook is measured before it is opened, and the rows are counted (the import limits)."""
    shown = path.name
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InvalidFile(f"{shown}：须为 .csv 或 .xlsx ({shown}: must be a .csv or .xlsx file)")
    try:
        if suffix == ".xlsx":
            check_archive(path, shown, limits)
            frame = pd.read_excel(path, dtype=str, engine="openpyxl")
        else:
            try:
                frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
            except UnicodeDecodeError:
                frame = pd.read_csv(path, dtype=str, encoding="gbk")
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as exc:  # parse errors
        raise InvalidFile(f"{shown}：无法读取 ({shown}: cannot be read: {exc})") from exc
    check_rows(len(frame), shown, limits)
    frame = frame.rename(columns=lambda c: HEADER_ALIASES.get(str(c).strip(), str(c).strip()))
    missing = [c for c in COLUMNS[:2] if c not in frame.columns]
    if missing:
        raise InvalidFile(
            f"{shown}：缺少列 {', '.join(missing)} ({shown}: missing column(s) "
            f"{', '.join(missing)}; the table needs unit_code and grid_code)",
            columns=[str(c) for c in frame.columns],
        )
    keep = [c for c in COLUMNS[:3] if c in frame.columns]
    frame = spreadsheet.restore_frame(frame[keep].fillna(""))
    for column in keep:
        frame[column] = frame[column].astype(str).str.strip()
    return frame.reset_index(drop=True)


def _problems(table: pd.DataFrame, units: pd.DataFrame) -> list[dict[str, Any]]:
    """Everything wrong with the table against the area's units, each with its row (the row
    number a spreadsheet shows: the header is row 1)."""
    out: list[dict[str, Any]] = []
    rows = table.index.to_numpy() + 2
    blank = (table["unit_code"] == "") | (table["grid_code"] == "")
    for row in rows[blank.to_numpy()]:
        out.append({"row": int(row), "reason": "单元或网格为空 (unit or grid is empty)"})
    twice = table["unit_code"].duplicated(keep=False) & ~blank
    for unit, where in table[twice].groupby("unit_code").groups.items():
        seen = [int(r) + 2 for r in where]
        out.append(
            {
                "row": seen[1],
                "unit": unit,
                "rows": seen,
                "reason": f"单元 {unit} 被分配了 {len(seen)} 次 (unit {unit} is assigned "
                f"{len(seen)} times: rows {', '.join(map(str, seen))})",
            }
        )
    known = set(units["code"])
    unknown = ~table["unit_code"].isin(known) & ~blank
    for row, unit in zip(rows[unknown.to_numpy()], table.loc[unknown, "unit_code"], strict=True):
        out.append(
            {
                "row": int(row),
                "unit": unit,
                "reason": f"单元 {unit} 不存在或不在方案范围内 (unit {unit} is unknown or "
                "outside the plan's area)",
            }
        )
    absent = sorted(known - set(table["unit_code"]))
    if absent:
        out.append(
            {
                "row": None,
                "units": absent[:50],
                "reason": f"范围内有 {len(absent)} 个单元没有网格 ({len(absent)} unit(s) of the "
                f"area have no grid: {', '.join(absent[:10])}{'…' if len(absent) > 10 else ''})",
            }
        )
    return out


def _unit_graph(units: pd.DataFrame, settings: Settings) -> UnitGraph:
    """The area's units as the optimizer links them (``Settings.min_shared_m``)."""
    return read_frame_units(
        units,
        id_column="code",
        workload_column="workload",
        group_column="community_code",
        min_shared=settings.min_shared_m,
    ).graph


def _grid_problems(
    table: pd.DataFrame, units: pd.DataFrame, graph: UnitGraph, settings: Settings
) -> list[Any]:
    """Grids across communities, and grids in pieces (the optimizer's adjacency rule)."""
    out: list[dict[str, Any]] = []
    joined = units.merge(table, left_on="code", right_on="unit_code", how="inner")
    communities = joined.groupby("grid_code")["community_code"].unique()
    for grid, codes in communities[communities.map(len) > 1].items():
        out.append(
            {
                "row": None,
                "grid": grid,
                "reason": f"网格 {grid} 跨越社区 {', '.join(sorted(codes))} (grid {grid} crosses "
                f"communities {', '.join(sorted(codes))})",
            }
        )
    grid_of = dict(zip(table["unit_code"], table["grid_code"], strict=True))
    names, labels = np.unique([grid_of[c] for c in units["code"]], return_inverse=True)
    pieces = grid_components(graph, labels.astype(np.int64))
    for grid, count in zip(names[pieces > 1], pieces[pieces > 1], strict=True):
        out.append(
            {
                "row": None,
                "grid": str(grid),
                "pieces": int(count),
                "reason": f"网格 {grid} 分成 {count} 块 (grid {grid} falls into {count} pieces: "
                f"its units do not share {settings.min_shared_m:g} m of boundary)",
            }
        )
    return out


def _refused(source: str, problems: list[dict[str, Any]]) -> Invalid:
    return Invalid(
        f"{source}：方案有 {len(problems)} 处问题，未导入 ({source}: the plan has "
        f"{len(problems)} problem(s); nothing was imported: {problems[0]['reason']})",
        problems=problems[:MAX_PROBLEMS],
    )


def import_plan(
    conn: Connection,
    table: pd.DataFrame,
    *,
    name: str,
    area: list[str],
    source: str,
    settings: Settings,
    access: Access,
    accept_pieces: bool = False,
) -> Scenario:
    """A new scenario holding the uploaded plan (state ``done``: nothing to run), or
    :class:`~gis.errors.Invalid` naming every problem, with nothing written. With
    ``accept_pieces``, grids in pieces are kept and listed in the report (``grids_in_pieces``)."""
    access.require(Permission.RUN_SCENARIOS)
    name = name.strip()
    if not name or len(name) > 128:
        raise Invalid("方案名称须为 1 至 128 个字符 (a scenario name has 1 to 128 characters)")
    area = normalize_area(conn, area, access.scope)
    norm = default_definition(settings)
    weights = settings.weights
    units = database_units(conn, area, weights)
    problems = _problems(table, units)
    if problems:
        raise _refused(source, problems)
    graph = _unit_graph(units, settings)
    problems = _grid_problems(table, units, graph, settings)
    # Grids in pieces may be taken on purpose (today's layer re-imported, a planner's "confirm"
    # as in the editor): then they are named in the report instead of refusing the plan.
    in_pieces = [p for p in problems if "pieces" in p] if accept_pieces else []
    problems = [p for p in problems if p not in in_pieces]
    if problems:
        raise _refused(source, problems)
    params = {
        "target_count": None,
        "band": None,
        "band_for_metrics": list(norm["band"]),
        "weights": weights.model_dump(),
        "seed": 0,
        "from_unified": False,
        "keep_locked": False,
        "imported_from": PurePath(source).name[:200],
        "notes": "",
    }
    scenario_id = conn.execute(
        text(
            "INSERT INTO scenario (name, area_codes, params, state, base_version, created_by) "
            "VALUES (:name, :area, CAST(:params AS jsonb), 'done', :version, :who) RETURNING id"
        ),
        {
            "name": name,
            "area": area,
            "params": json.dumps(params),
            "version": unified_version(conn),
            "who": access.name,
        },
    ).scalar_one()
    _write(conn, scenario_id, name, area, table, units, graph, params, settings)
    if in_pieces:
        conn.execute(
            text(
                "UPDATE scenario SET report = report || jsonb_build_object("
                "'grids_in_pieces', CAST(:grids AS jsonb)) WHERE id = :s"
            ),
            {"grids": json.dumps([p["grid"] for p in in_pieces]), "s": scenario_id},
        )
    audit.record(
        conn,
        access.actor,
        "scenario.import",
        "scenario",
        scenario_id,
        None,
        {"name": name, "area": area, "source": params["imported_from"], "rows": len(table)},
    )
    return get_scenario(conn, scenario_id, access=access)


def _write(
    conn: Connection,
    scenario_id: int,
    name: str,
    area: list[str],
    table: pd.DataFrame,
    units: pd.DataFrame,
    graph: UnitGraph,
    params: dict[str, Any],
    settings: Settings,
) -> None:
    """The scenario's layer (codes as a scenario run gives them) and its report."""
    grid_of = dict(zip(table["unit_code"], table["grid_code"], strict=True))
    keys = units["code"].map(grid_of)
    plan = pd.DataFrame(
        {
            "unit_id": units["unit_id"].to_numpy(),
            "community_code": units["community_code"].to_numpy(),
            "locked": False,
            "key": keys.to_numpy(),
        }
    )
    grids = assign_codes(units, plan)
    scenario = {"id": scenario_id, "name": name, "area": area}
    layer_id = write_layer(conn, scenario, plan, grids, settings.weights)
    _, labels = np.unique(keys.to_numpy(dtype=str), return_inverse=True)
    report = measure(graph, labels.astype(np.int64)).as_dict()
    low, high = params["band_for_metrics"]
    own = Definition(params["weights"], (low, high), "scenario")
    report["metrics"] = layer_metrics(conn, {scenario_layer_code(scenario_id): own}, area)[0]
    report["imported_from"] = params["imported_from"]
    report["codes_kept"] = int(grids["code_kept"].sum())
    report["codes_new"] = int((~grids["code_kept"]).sum())
    conn.execute(
        text("UPDATE scenario SET layer_id = :l, report = CAST(:r AS jsonb) WHERE id = :s"),
        {"l": layer_id, "r": report_json(report), "s": scenario_id},
    )
