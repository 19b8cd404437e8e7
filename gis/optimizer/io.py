"""The optimizer's inputs and outputs: polygon files, graph JSON, Gridmap's database.

Inputs are checked before anything runs (unknown columns, non-numeric or negative workload,
duplicate ids, invalid geometry), and outputs are written to a temporary name and moved into
place only when complete, so a failed run leaves no file behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import shapely
from networkx.readwrite import json_graph
from sqlalchemy import Connection, Engine, text

from gis.errors import Invalid, InvalidFile, InvalidGeometry
from gis.infra.settings import MIN_SHARED_M, WorkloadWeights
from gis.optimizer.graph import UnitGraph, encode_groups, from_edges, from_frame
from gis.optimizer.plan import Plan
from gis.workload import ATTRIBUTES, band_status, workload_sql

POLYGON_SUFFIXES = {".gpkg", ".geojson", ".shp", ".zip", ".fgb"}


@dataclass
class Units:
    """What was read: the graph, plus the frame (polygons) or the networkx graph it came from."""

    graph: UnitGraph
    frame: gpd.GeoDataFrame | None = None
    nx_graph: nx.Graph | None = None
    graph_format: str | None = None  # "node-link" | "adjacency"

    def column(self, name: str) -> list[Any]:
        if self.frame is not None:
            _require_columns(self.frame.columns, [name], "input")
            return list(self.frame[name])
        assert self.nx_graph is not None
        values = [data.get(name) for _, data in self.nx_graph.nodes(data=True)]
        if any(v is None for v in values):
            raise Invalid(
                f"部分图节点缺少列 {name!r} (column {name!r} is missing on some graph nodes)"
            )
        return values


def _require_columns(available: Any, wanted: list[str], where: str) -> None:
    missing = [c for c in wanted if c and c not in set(available)]
    if missing:
        names = ", ".join(str(c) for c in available if c != "geometry")
        raise Invalid(
            f"{where} 中没有列 {missing[0]!r}；现有列：{names} ("
            f"unknown column {missing[0]!r} in {where}; it has: {names})"
        )


def _workload(values: pd.Series, column: str, ids: pd.Series) -> np.ndarray:
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() | ~np.isfinite(numbers.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        raise Invalid(
            f"工作量列 {column!r} 须为数字；单元 {ids.iloc[first]!r} "
            f"的值为 {values.iloc[first]!r} ("
            f"workload column {column!r} must be numeric; unit {ids.iloc[first]!r} has "
            f"{values.iloc[first]!r})"
        )
    if (numbers < 0).any():
        first = int(np.flatnonzero((numbers < 0).to_numpy())[0])
        raise Invalid(
            f"工作量列 {column!r} 不能为负数；单元 {ids.iloc[first]!r}"
            f" 的值为 {numbers.iloc[first]} ("
            f"workload column {column!r} must not be negative; unit {ids.iloc[first]!r} has "
            f"{numbers.iloc[first]})"
        )
    return np.asarray(numbers.to_numpy(dtype=float))


def _check_ids(ids: pd.Series) -> None:
    duplicated = ids[ids.duplicated()]
    if len(duplicated):
        raise Invalid(
            f"编号 {duplicated.iloc[0]!r} 重复：每个单元须有自己的编号"
            " ("
            f"duplicate id {duplicated.iloc[0]!r}: every unit needs its own id)"
        )


def read_frame_units(
    frame: gpd.GeoDataFrame,
    *,
    id_column: str,
    workload_column: str,
    group_column: str | None,
    min_shared: float = MIN_SHARED_M,
) -> Units:
    """Check a polygon frame and build its unit graph."""
    _require_columns(frame.columns, [id_column, workload_column, group_column or ""], "input")
    ids = frame[id_column]
    _check_ids(ids)
    geoms = frame.geometry.values
    kinds = shapely.get_type_id(geoms)
    not_polygon = ~np.isin(kinds, [3, 6])
    if not_polygon.any():
        first = int(np.flatnonzero(not_polygon)[0])
        geom = frame.geometry.iloc[first]
        kind = geom.geom_type if geom is not None else "missing geometry"
        raise InvalidGeometry(
            f"单元 {ids.iloc[first]!r} 是 {kind}；单元须为面（多边形）"
            " ("
            f"unit {ids.iloc[first]!r} is a {kind}; units must be polygons)"
        )
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        first = int(np.flatnonzero(invalid)[0])
        raise InvalidGeometry(
            f"单元 {ids.iloc[first]!r} 的几何无效 ("
            f"unit {ids.iloc[first]!r} has invalid geometry: "
            f"{shapely.is_valid_reason(geoms[first])})"
        )
    workload = _workload(frame[workload_column], workload_column, ids)
    graph = from_frame(
        frame,
        id_column=id_column,
        workload=workload,
        group_column=group_column,
        min_shared=min_shared,
    )
    return Units(graph=graph, frame=frame)


def _read_graph_json(path: Path, doc: dict[str, Any]) -> tuple[nx.Graph, str]:
    try:
        if "adjacency" in doc:
            return json_graph.adjacency_graph(doc), "adjacency"
        edges_key = "links" if "links" in doc else "edges"
        return json_graph.node_link_graph(doc, edges=edges_key), "node-link"
    except Exception as exc:
        raise InvalidFile(
            f"{path}：不是 NetworkX/GerryChain 图 ({path}: not a NetworkX/GerryChain graph ({exc}))"
        ) from exc


def read_graph_units(
    path: Path,
    doc: dict[str, Any],
    *,
    id_column: str,
    workload_column: str,
    group_column: str | None,
) -> Units:
    """A graph without polygons: node attributes carry the columns; edges may carry
    ``shared_perim`` (GerryChain's name for the shared boundary length)."""
    graph, fmt = _read_graph_json(path, doc)
    nodes = list(graph.nodes)
    table = pd.DataFrame([graph.nodes[n] for n in nodes])
    if id_column == "id" and "id" not in table.columns:
        table["id"] = nodes
    _require_columns(
        table.columns, [id_column, workload_column, group_column or ""], f"{path} nodes"
    )
    ids = table[id_column]
    _check_ids(ids)
    workload = _workload(table[workload_column], workload_column, ids)
    position = {n: i for i, n in enumerate(nodes)}
    edges = [
        (position[a], position[b], float(d.get("shared_perim", 1.0) or 1.0))
        for a, b, d in graph.edges(data=True)
        if a != b
    ]
    edge_i = np.array([e[0] for e in edges], dtype=np.int64)
    edge_j = np.array([e[1] for e in edges], dtype=np.int64)
    shared = np.array([e[2] for e in edges], dtype=float)
    names, groups = encode_groups(
        table[group_column].astype(str).to_numpy() if group_column else None, len(nodes)
    )
    unit_graph = from_edges(
        ids=ids.to_numpy(dtype=object),
        workload=workload,
        groups=groups,
        group_names=names,
        edge_i=edge_i,
        edge_j=edge_j,
        shared=shared,
    )
    return Units(graph=unit_graph, nx_graph=graph, graph_format=fmt)


def read_units(
    source: str,
    *,
    id_column: str,
    workload_column: str,
    group_column: str | None,
    engine: Engine | None = None,
    weights: WorkloadWeights | None = None,
    min_shared: float = MIN_SHARED_M,
) -> Units:
    """Read INPUT: a polygon file, a graph JSON, or ``db:[AREA_CODE]`` (Gridmap's base units).

    ``min_shared``: metres of shared boundary that make two polygons neighbours (a graph JSON
    says who its neighbours are itself)."""
    if source.startswith("db:"):
        if engine is None:
            raise Invalid("db: 输入需要数据库 (db: input needs a database)")
        with engine.connect() as conn:
            frame = database_units(
                conn, [source.removeprefix("db:")], weights or WorkloadWeights(), every_layer=True
            )
        return read_frame_units(
            frame,
            id_column=id_column,
            workload_column=workload_column,
            group_column=group_column,
            min_shared=min_shared,
        )
    path = Path(source)
    if not path.exists():
        raise InvalidFile(f"{path}：文件不存在 ({path}: no such file)")
    if path.suffix.lower() == ".json":
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidFile(f"{path}：不是有效的 JSON ({path}: not valid JSON ({exc}))") from exc
        if isinstance(doc, dict) and doc.get("type") != "FeatureCollection":
            return read_graph_units(
                path,
                doc,
                id_column=id_column,
                workload_column=workload_column,
                group_column=group_column,
            )
    try:
        frame = pyogrio.read_dataframe(path)
    except Exception as exc:  # pyogrio's DataSourceError and friends
        raise InvalidFile(
            f"{path}：无法按面数据文件读取 ({path}: cannot be read as a polygon file ({exc}))"
        ) from exc
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.isna().all():
        raise InvalidFile(
            f"{path}：没有几何；请提供面数据或图 JSON ("
            f"{path}: has no geometry; give polygons or a graph JSON)"
        )
    return read_frame_units(
        frame,
        id_column=id_column,
        workload_column=workload_column,
        group_column=group_column,
        min_shared=min_shared,
    )


def area_filter(code_expr: str) -> str:
    """SQL: the community code ``code_expr`` lies under one of the ``:area`` codes (prefixes)."""
    return (
        f"EXISTS (SELECT 1 FROM unnest(CAST(:area AS text[])) AS a(code) "
        f"WHERE starts_with({code_expr}, a.code))"
    )


def database_units(
    conn: Connection, area: Sequence[str], weights: WorkloadWeights, *, every_layer: bool = False
) -> gpd.GeoDataFrame:
    """Gridmap's base units whose community code starts with one of ``area`` ('' for all).

    One row per unit, ordered by code: ``unit_id``, ``code``, ``community_code``,
    ``community_name``, the workload attributes, the weighted ``workload``, today's unified grid
    (``unified_grid``, ``unified_name``, ``locked``) and ``geom``; with ``every_layer`` also the
    grid code of every layer as ``plan_<layer>``. Both the ``db:`` input of ``gridmap optimize``
    and a scenario run read their units here.
    """
    units_sql = f"""
        SELECT u.id AS unit_id, u.code, c.code AS community_code, c.name AS community_name,
               {", ".join("u." + a for a in ATTRIBUTES)},
               {workload_sql(weights, "u")} AS workload,
               g.code AS unified_grid, g.name AS unified_name, coalesce(g.locked, false) AS locked,
               u.geom
        FROM base_unit u JOIN community c ON c.id = u.community_id
        LEFT JOIN grid_unit gu ON gu.unit_id = u.id
             AND gu.layer_id = (SELECT id FROM grid_layer WHERE code = 'unified')
        LEFT JOIN grid g ON g.id = gu.grid_id
        WHERE {area_filter("c.code")}
        ORDER BY u.code
    """
    params = {"area": list(area)}
    frame = gpd.read_postgis(text(units_sql), conn, geom_col="geom", params=params)
    if frame.empty:
        raise Invalid(
            f"区域代码 {', '.join(area) or '（任意）'} 下没有基础单元 "
            "("
            f"no base units under area code {', '.join(area) or '(any)'})"
        )
    if not every_layer:
        return frame
    plans_sql = f"""
        SELECT u.code, l.code AS layer, g.code AS grid
        FROM grid_unit gu JOIN base_unit u ON u.id = gu.unit_id
        JOIN community c ON c.id = u.community_id
        JOIN grid g ON g.id = gu.grid_id JOIN grid_layer l ON l.id = gu.layer_id
        WHERE {area_filter("c.code")}
    """
    plans = pd.read_sql(text(plans_sql), conn, params=params)
    if not plans.empty:
        wide = plans.pivot(index="code", columns="layer", values="grid").add_prefix("plan_")
        frame = frame.merge(wide, left_on="code", right_index=True, how="left")
    return frame


def _grids_frame(units: Units, plan: Plan, band: tuple[float, float] | None) -> gpd.GeoDataFrame:
    frame = units.frame
    assert frame is not None
    graph = units.graph
    work = gpd.GeoDataFrame(
        {"grid_id": plan.grid_ids, "workload": graph.workload, "units": 1},
        geometry=frame.geometry.values,
        crs=frame.crs,
    )
    if graph.group_names.size and graph.group_names[0] != "":
        work["group"] = graph.group_names[graph.groups]
    grids = work.dissolve(
        by="grid_id",
        aggfunc={
            "workload": "sum",
            "units": "sum",
            **({"group": "first"} if "group" in work else {}),
        },
    ).reset_index()
    from gis.optimizer.metrics import polsby_popper

    pp = polsby_popper(graph, plan.labels)
    first_of = {
        gid: int(label)
        for gid, label in zip(plan.grid_ids.tolist(), plan.labels.tolist(), strict=True)
    }
    grids["polsby_popper"] = [round(float(pp[first_of[g]]), 4) for g in grids["grid_id"]]
    if band is not None:
        grids["band"] = band_status(grids["workload"].to_numpy(), *band)
    return grids


def _atomic_target(out: Path) -> Path:
    tmpdir = Path(tempfile.mkdtemp(prefix=".gridmap-", dir=out.parent))
    return tmpdir / out.name


def write_plan(out: Path, units: Units, plan: Plan, band: tuple[float, float] | None) -> list[Path]:
    """Write the units with ``grid_id`` (and, for polygons, the dissolved grids); return paths."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staged = _atomic_target(out)
    written: list[Path] = []
    try:
        if units.frame is not None:
            frame = units.frame.copy()
            frame["grid_id"] = plan.grid_ids
            grids = _grids_frame(units, plan, band)
            suffix = out.suffix.lower()
            if suffix == ".gpkg":
                pyogrio.write_dataframe(frame, staged, layer="units", driver="GPKG")
                pyogrio.write_dataframe(grids, staged, layer="grids", driver="GPKG")
                pairs = [(staged, out)]
            else:
                grids_name = f"{out.stem}_grids{out.suffix}"
                pyogrio.write_dataframe(frame, staged)
                pyogrio.write_dataframe(grids, staged.with_name(grids_name))
                pairs = [(p, out.parent / p.name) for p in staged.parent.iterdir()]
        else:
            assert units.nx_graph is not None
            graph = units.nx_graph.copy()
            for node, grid_id in zip(graph.nodes, plan.grid_ids.tolist(), strict=True):
                graph.nodes[node]["grid_id"] = grid_id
            doc = (
                json_graph.adjacency_data(graph)
                if units.graph_format == "adjacency"
                else json_graph.node_link_data(graph, edges="links")
            )
            staged.write_text(json.dumps(doc, ensure_ascii=False, default=str), encoding="utf-8")
            pairs = [(staged, out)]
        for src, dst in pairs:
            os.replace(src, dst)
            written.append(dst)
    finally:
        shutil.rmtree(staged.parent, ignore_errors=True)
    return written
