"""One scenario run: read the area's units, optimize, write the proposed layer.

The run is split into short transactions (``tx``: a factory of connections in a transaction), so
that progress is visible to others while it runs and a cancel request is seen between
communities. The proposal is written in one last transaction, or not at all.

Locked grids (``grid.locked`` on the unified layer, set by planners in the editor) are kept whole
and unchanged: their units are taken out of the problem and the grids are copied into the
proposal with their code, name and lock. A target count counts them.

Codes: a proposed grid whose units are exactly those of a grid of today's unified layer keeps
that grid's code (and name); every other grid gets the next free number of its community, above
every number the unified layer uses there, so that no code comes to mean another place.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, text

from gis.errors import GridmapError, Infeasible, Invalid
from gis.grids import refresh_grids
from gis.infra.settings import MIN_SHARED_M, WorkloadWeights
from gis.optimizer.clarity import edge_kinds, with_clarity
from gis.optimizer.io import database_units, read_frame_units
from gis.optimizer.plan import optimize
from gis.scenarios.store import scenario_layer_code

log = logging.getLogger(__name__)

Tx = Callable[[], AbstractContextManager[Connection]]
#: Told (communities done, total) after each progress write; tests use it to cancel mid-run.
Hook = Callable[[int, int], None]


class Cancelled(Exception):
    """Raised from the progress callback when the job was asked to stop."""


def engine_tx(engine: Engine) -> Tx:
    return engine.begin


def savepoint_tx(conn: Connection) -> Tx:
    """Transactions as savepoints of one connection (a test's rolled-back transaction)."""

    @contextmanager
    def tx() -> Iterator[Connection]:
        with conn.begin_nested():
            yield conn

    return tx


def _weights(params: dict[str, Any]) -> WorkloadWeights:
    return WorkloadWeights(**params["weights"])


def _claim_progress(tx: Tx, job_id: int, hook: Hook | None) -> Callable[[int, int], None]:
    def progress(done: int, total: int) -> None:
        with tx() as conn:
            cancel = conn.execute(
                text(
                    "UPDATE scenario_job SET progress_done = :d, progress_total = :t "
                    "WHERE id = :j RETURNING cancel_requested"
                ),
                {"d": done, "t": total, "j": job_id},
            ).scalar_one()
        if hook is not None:
            hook(done, total)
        if cancel:
            raise Cancelled

    return progress


def plan_scenario(
    frame: gpd.GeoDataFrame,
    params: dict[str, Any],
    progress: Callable[[int, int], None],
    kinds: pd.DataFrame | None = None,
    scheduler: str | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Optimize the free units; return (unit_id, community, key, locked) and the report.

    ``key`` is the optimizer's grid id, or ``L:<code>`` for a kept locked grid. ``kinds``: what
    the units' edges run along (:func:`gis.optimizer.clarity.edge_kinds`), weighed by the
    scenario's ``clarity``. ``scheduler``: a Dask cluster to solve the pieces on (the same plan
    as in this process; ``GRIDMAP_OPTIMIZER_SCHEDULER``).
    """
    keep = bool(params.get("keep_locked", True))
    locked = frame["locked"].to_numpy(dtype=bool) if keep else np.zeros(len(frame), dtype=bool)
    free = frame[~locked]
    kept_codes = sorted(set(frame.loc[locked, "unified_grid"]))
    target = params.get("target_count")
    if target is not None:
        target = int(target) - len(kept_codes)
        if target < 1 and len(free):
            raise Infeasible(
                f"目标网格数 {params['target_count']} 没有给未锁定单元留下"
                f"网格：保留了 {len(kept_codes)} 个锁定网格 ("
                f"target count {params['target_count']} leaves no grid for the unlocked units: "
                f"{len(kept_codes)} locked grid(s) are kept)"
            )
    band = tuple(params["band"]) if params.get("band") else None
    report: dict[str, Any] = {}
    out = pd.DataFrame(
        {
            "unit_id": frame["unit_id"].to_numpy(),
            "community_code": frame["community_code"].to_numpy(),
            "locked": locked,
            "key": np.where(locked, "L:" + frame["unified_grid"].fillna("").astype(str), ""),
        }
    )
    if len(free):
        units = read_frame_units(
            free.reset_index(drop=True),
            id_column="code",
            workload_column="workload",
            group_column="community_code",
            min_shared=float(params.get("min_shared_m", MIN_SHARED_M)),
        )
        start = free["unified_grid"].fillna("").tolist() if params.get("from_unified") else None
        graph = units.graph
        if kinds is not None:
            graph = with_clarity(graph, kinds, float(params.get("clarity", 0.0)))
        plan = optimize(
            graph,
            target=target,
            band=band,
            seed=int(params.get("seed", 0)),
            from_plan=start,
            workers=1,
            scheduler=scheduler,
            progress=progress,
        )
        out.loc[~locked, "key"] = plan.grid_ids
        report = plan.report.as_dict()
    else:
        progress(0, 0)
    report["locked_kept"] = kept_codes
    return out, report


def assign_codes(frame: gpd.GeoDataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """One row per proposed grid: key, code, name, community, locked, and whether the code was
    kept from today's unified layer (see the module docstring)."""
    work = plan.assign(
        unified_grid=frame["unified_grid"].to_numpy(),
        unified_name=frame["unified_name"].to_numpy(),
        community_name=frame["community_name"].to_numpy(),
    )
    # How many units each unified grid has in the area (locked or not).
    unified_size = work.groupby("unified_grid").size()
    grids = work.groupby("key", sort=True).agg(
        units=("unit_id", "size"),
        olds=("unified_grid", "nunique"),
        missing=("unified_grid", lambda s: int(s.isna().sum())),
        old=("unified_grid", "first"),
        old_name=("unified_name", "first"),
        community_code=("community_code", "first"),
        community_name=("community_name", "first"),
        locked=("locked", "first"),
    )
    same = (
        (grids["olds"] == 1)
        & (grids["missing"] == 0)
        & (grids["units"] == grids["old"].map(unified_size).fillna(-1))
    )
    grids["code"] = np.where(same, grids["old"], None)
    grids["name"] = np.where(same, grids["old_name"], None)
    grids["code_kept"] = same
    used: dict[str, set[int]] = {}
    for code in frame["unified_grid"].dropna().unique().tolist():
        suffix = code[12:]
        if len(code) == 15 and suffix.isdigit():
            used.setdefault(code[:12], set()).add(int(suffix))
    for key in grids.index[~same].tolist():
        community = grids.at[key, "community_code"]
        taken = used.setdefault(community, set())
        number = max(taken, default=0) + 1
        if number > 999:  # the community used up its numbers: fill the lowest gap
            number = min(set(range(1, 1000)) - taken, default=0)
            if not number:
                raise Invalid(
                    f"社区 {community} 已没有可用的网格序号（001–999） ("
                    f"community {community} has no free grid number left (001–999))"
                )
        taken.add(number)
        grids.at[key, "code"] = f"{community}{number:03d}"
        grids.at[key, "name"] = f"{grids.at[key, 'community_name']}第{number}网格"
    return grids.reset_index()


def write_layer(
    conn: Connection,
    scenario: dict[str, Any],
    plan: pd.DataFrame,
    grids: pd.DataFrame,
    weights: WorkloadWeights,
) -> int:
    """Insert the proposed layer, its grids and memberships; geometry and totals in PostGIS."""
    layer_id = conn.execute(
        text(
            "INSERT INTO grid_layer (code, name, kind, version) "
            "VALUES (:code, :name, 'scenario', 1) RETURNING id"
        ),
        {"code": scenario_layer_code(scenario["id"]), "name": f"方案 {scenario['name']}"[:128]},
    ).scalar_one()
    conn.execute(
        text(
            """INSERT INTO grid (layer_id, code, name, community_id, locked)
               SELECT :layer, x.code, x.name, c.id, x.locked
               FROM unnest(CAST(:codes AS text[]), CAST(:names AS text[]),
                           CAST(:communities AS text[]), CAST(:locked AS boolean[]))
                    AS x(code, name, community, locked)
               JOIN community c ON c.code = x.community"""
        ),
        {
            "layer": layer_id,
            "codes": grids["code"].tolist(),
            "names": grids["name"].tolist(),
            "communities": grids["community_code"].tolist(),
            "locked": [bool(x) for x in grids["locked"]],
        },
    )
    code_of = dict(zip(grids["key"], grids["code"], strict=True))
    conn.execute(
        text(
            """INSERT INTO grid_unit (layer_id, unit_id, grid_id)
               SELECT :layer, x.unit_id, g.id
               FROM unnest(CAST(:units AS integer[]), CAST(:codes AS text[])) AS x(unit_id, code)
               JOIN grid g ON g.layer_id = :layer AND g.code = x.code"""
        ),
        {
            "layer": layer_id,
            "units": [int(u) for u in plan["unit_id"]],
            "codes": [code_of[k] for k in plan["key"]],
        },
    )
    refresh_grids(conn, weights, layer_ids=[layer_id])
    return int(layer_id)


def _finish(tx: Tx, job_id: int, scenario_id: int, state: str, error: str | None) -> None:
    with tx() as conn:
        conn.execute(
            text(
                "UPDATE scenario_job SET state = :state, error = :error, finished_at = now() "
                "WHERE id = :j"
            ),
            {"state": state, "error": error, "j": job_id},
        )
        conn.execute(
            text("UPDATE scenario SET state = :state WHERE id = :s"),
            {"state": state, "s": scenario_id},
        )


def run_job(tx: Tx, job_id: int, *, hook: Hook | None = None, scheduler: str | None = None) -> str:
    """Run a claimed job (state 'running') to its end; returns the final state.

    done: the proposal is written; cancelled: nothing is kept; failed: the reason is stored
    (a user error's message, or "internal error: …" for a bug, logged with its traceback).
    """
    from gis.scenarios.compare import Definition, layer_metrics

    with tx() as conn:
        row = conn.execute(
            text(
                "SELECT s.id, s.name, s.area_codes, s.params FROM scenario_job j "
                "JOIN scenario s ON s.id = j.scenario_id WHERE j.id = :j"
            ),
            {"j": job_id},
        ).one()
    scenario = {"id": row.id, "name": row.name, "area": list(row.area_codes)}
    params: dict[str, Any] = row.params
    weights = _weights(params)
    started = time.perf_counter()
    try:
        with tx() as conn:
            frame = database_units(conn, scenario["area"], weights)
            kinds = edge_kinds(conn, scenario["area"]) if params.get("clarity") else None
            version = conn.execute(
                text("SELECT version FROM grid_layer WHERE code = 'unified'")
            ).scalar()
            conn.execute(
                text("UPDATE scenario SET base_version = :v, state = 'running' WHERE id = :s"),
                {"v": version, "s": scenario["id"]},
            )
        progress = _claim_progress(tx, job_id, hook)
        plan, report = plan_scenario(frame, params, progress, kinds, scheduler)
        grids = assign_codes(frame, plan)
        report["codes_kept"] = int(grids["code_kept"].sum())
        report["codes_new"] = int((~grids["code_kept"]).sum())
        with tx() as conn:
            cancel = conn.execute(
                text("SELECT cancel_requested FROM scenario_job WHERE id = :j FOR UPDATE"),
                {"j": job_id},
            ).scalar_one()
            if cancel:
                raise Cancelled
            layer_id = write_layer(conn, scenario, plan, grids, weights)
            code = scenario_layer_code(scenario["id"])
            low, high = params["band_for_metrics"]
            own = Definition(weights.model_dump(), (low, high), "scenario")
            report["metrics"] = layer_metrics(conn, {code: own}, scenario["area"])[0]
            report["run_seconds"] = round(time.perf_counter() - started, 3)
            conn.execute(
                text(
                    "UPDATE scenario SET layer_id = :l, report = CAST(:r AS jsonb), "
                    "state = 'done' WHERE id = :s"
                ),
                {"l": layer_id, "r": report_json(report), "s": scenario["id"]},
            )
            conn.execute(
                text(
                    "UPDATE scenario_job SET state = 'done', finished_at = now(), "
                    "progress_done = greatest(progress_done, progress_total) WHERE id = :j"
                ),
                {"j": job_id},
            )
        log.info("scenario %s done: %s grids", scenario["id"], len(grids))
        return "done"
    except Cancelled:
        _finish(tx, job_id, scenario["id"], "cancelled", "已由用户取消 (cancelled by a user)")
        return "cancelled"
    except GridmapError as exc:
        _finish(tx, job_id, scenario["id"], "failed", exc.message)
        return "failed"
    except Exception as exc:  # a bug: keep the worker alive and say what failed
        log.exception("scenario job %s failed", job_id)
        _finish(tx, job_id, scenario["id"], "failed", f"internal error: {type(exc).__name__}")
        return "failed"


def _clean(value: Any) -> Any:
    """JSON-able: numpy scalars as numbers, NaN as null (jsonb has no NaN)."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def report_json(value: Any) -> str:
    return json.dumps(_clean(value), ensure_ascii=False, default=str, allow_nan=False)
