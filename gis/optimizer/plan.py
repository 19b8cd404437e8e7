"""The merge optimizer's entry point: a unit graph in, a plan (unit → grid) and its report out.

Communities — more exactly, the connected pieces of each community — are independent
subproblems: the count of grids is shared out among them (:mod:`gis.optimizer.apportion`), each is
partitioned on its own (:mod:`gis.optimizer.solver`), locally, in a process pool, or on a Dask
cluster. Every random choice comes from ``seed`` through one ``SeedSequence`` per piece, so the
plan does not depend on how pieces are scheduled: same input and seed, same plan.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gis.errors import Invalid
from gis.optimizer.apportion import apportion, band_range
from gis.optimizer.graph import UnitGraph, components, split
from gis.optimizer.metrics import Report, grid_pieces, measure
from gis.optimizer.reshape import mend, reshape
from gis.optimizer.solver import SolverParams, partition_piece
from gis.workload import IN, band_status

log = logging.getLogger(__name__)

#: Below this many units a process pool costs more than it saves.
PARALLEL_MIN_UNITS = 3000


@dataclass(frozen=True)
class Plan:
    """A finished plan: grid label and grid id per unit, with the report."""

    labels: NDArray[np.int64]
    grid_ids: NDArray[np.object_]
    report: Report


@dataclass(frozen=True)
class _Task:
    piece: int
    graph: UnitGraph
    k: int
    seed: int
    initial: NDArray[np.int64] | None
    band: tuple[float, float] | None
    params: SolverParams
    #: count for a fresh partition, tried when a repair cannot bring every grid into the band
    fallback_k: int | None = None
    #: the counts at which every grid could be in the band (a repair may change its count within)
    counts: tuple[int, int] = (1, 1)


def _off_band(graph: UnitGraph, labels: NDArray[np.int64], band: tuple[float, float]) -> int:
    loads = np.bincount(labels, weights=graph.workload)
    return int((band_status(loads, *band) != IN).sum())


def _solve(task: _Task) -> tuple[int, NDArray[np.int64]]:
    if task.initial is None or task.band is None or task.fallback_k is None:
        labels = partition_piece(
            task.graph, task.k, task.seed, params=task.params, initial=task.initial, band=task.band
        )
        return task.piece, labels
    return task.piece, _repair(task, task.initial, task.band, task.fallback_k)


def _repair(
    task: _Task, initial: NDArray[np.int64], band: tuple[float, float], fallback_k: int
) -> NDArray[np.int64]:
    """A piece's repair, cheapest first: the old plan if it is in the band; units passed along
    chains of grids, with grids merged or split where the count must or may change
    (:func:`mend`); the anchored search; the same with a tenth of the move cost; a fresh cut.
    Each later step is kept only if it leaves fewer grids off the band."""
    graph = task.graph
    labels = initial
    off = _off_band(graph, labels, band)
    if off:
        labels = mend(graph, initial, band, task.counts, task.seed)
        off = _off_band(graph, labels, band)
    for move_cost in (task.params.move_cost, task.params.move_cost / 10):
        if not off:
            break
        params = replace(task.params, move_cost=move_cost)
        again = partition_piece(graph, task.k, task.seed, params=params, initial=initial, band=band)
        off_again = _off_band(graph, again, band)
        if off_again < off:
            labels, off = again, off_again
    if off:
        fresh = partition_piece(graph, fallback_k, task.seed, params=task.params)
        if _off_band(graph, fresh, band) < off:
            labels = fresh
    return labels


def _solve_batch(tasks: Sequence[_Task]) -> list[tuple[int, NDArray[np.int64]]]:
    return [_solve(t) for t in tasks]


def _batches(tasks: list[_Task], parts: int) -> list[list[_Task]]:
    """Split tasks into ``parts`` batches of similar size (largest first, to the lightest batch)."""
    batches: list[list[_Task]] = [[] for _ in range(parts)]
    sizes = [0] * parts
    for task in sorted(tasks, key=lambda t: (-t.graph.n, t.piece)):
        b = sizes.index(min(sizes))
        batches[b].append(task)
        sizes[b] += task.graph.n * max(task.k, 1)
    return [b for b in batches if b]


#: Told the pieces just solved; may raise to stop the run (a cancelled scenario does).
PiecesDone = Callable[[list[int]], None]


#: How long to try a Dask scheduler before saying it cannot be reached.
CONNECT_SECONDS = 10.0


def _run(
    tasks: list[_Task], workers: int, scheduler: str | None, done: PiecesDone
) -> dict[int, NDArray[np.int64]]:
    results: list[tuple[int, NDArray[np.int64]]] = []
    if scheduler:
        from dask.distributed import Client  # optional: only for county- or province-size runs
        from dask.distributed import as_completed as dask_completed

        try:
            client = Client(scheduler, timeout=CONNECT_SECONDS)
        except OSError as exc:
            raise Invalid(
                f"无法连接 Dask 调度器 {scheduler}（{CONNECT_SECONDS:.0f} 秒内） ("
                f"cannot reach the Dask scheduler {scheduler} within {CONNECT_SECONDS:.0f} s: "
                f"{exc})",
                scheduler=scheduler,
            ) from exc
        with client:
            parts = max(1, sum(client.nthreads().values()) * 4)
            futures = client.map(_solve_batch, _batches(tasks, parts), pure=False)
            try:
                for future in dask_completed(futures):
                    batch = future.result()
                    results.extend(batch)
                    done([piece for piece, _ in batch])
            finally:
                client.cancel(futures)
    elif workers > 1 and sum(t.graph.n for t in tasks) >= PARALLEL_MIN_UNITS:
        pool = ProcessPoolExecutor(max_workers=workers)
        try:
            pending = [pool.submit(_solve_batch, b) for b in _batches(tasks, workers * 4)]
            for future in as_completed(pending):
                batch = future.result()
                results.extend(batch)
                done([piece for piece, _ in batch])
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    else:
        for task in tasks:
            results.append(_solve(task))
            done([task.piece])
    return dict(results)


def _community_progress(
    graph: UnitGraph, members: list[NDArray[np.int64]], progress: Callable[[int, int], None]
) -> PiecesDone:
    """Turn "pieces solved" into "communities done / total" (a community may have several
    pieces: it is done when the last one is)."""
    community_of = [int(graph.groups[m[0]]) for m in members]
    left = Counter(community_of)
    total = len(left)
    finished = 0
    progress(0, total)

    def done(pieces: list[int]) -> None:
        nonlocal finished
        for piece in pieces:
            left[community_of[piece]] -= 1
            finished += left[community_of[piece]] == 0
        progress(finished, total)

    return done


def _check_workload(graph: UnitGraph) -> None:
    w = graph.workload
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise Invalid(
            f"工作量须为非负数；单元 {graph.ids[first]!r} 的值为 "
            f"{w[first]} ("
            f"workload must be a non-negative number; unit {graph.ids[first]!r} has {w[first]})"
        )
    ids, counts = np.unique(graph.ids.astype(str), return_counts=True)
    if (counts > 1).any():
        raise Invalid(
            f"单元编号 {ids[counts > 1][0]!r} 重复：编号须唯一 ("
            f"duplicate unit id {ids[counts > 1][0]!r}: ids must be unique)"
        )


def _piece_label(graph: UnitGraph, members: NDArray[np.int64]) -> str:
    group = str(graph.group_names[graph.groups[members[0]]])
    return f"community {group}" if group else "the whole area"


def optimize(
    graph: UnitGraph,
    *,
    target: int | None = None,
    band: tuple[float, float] | None = None,
    seed: int = 0,
    from_plan: Sequence[object] | None = None,
    params: SolverParams | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Plan:
    """Merge units into grids: exactly ``target`` grids, or grids inside ``band``, or both.

    Hard constraints hold for every result (checked and reported): every unit in one grid, every
    grid connected and inside one community, exactly ``target`` grids when given.
    ``from_plan`` (a grid label per unit) makes it a repair that moves as few units as it can.
    ``progress(communities_done, communities_total)`` is called as communities finish; an
    exception it raises stops the run and comes out of this call (that is how a scenario is
    cancelled mid-run).
    """
    started = time.perf_counter()
    params = params or SolverParams()
    _check_workload(graph)
    members = community_pieces(graph)
    pieces = len(members)
    weights = np.array([graph.workload[m].sum() for m in members])
    sizes = np.array([len(m) for m in members], dtype=np.int64)
    labels_txt = [_piece_label(graph, m) for m in members]

    subgraphs = split(graph, members)
    previous, plan_counts, initial_of = _starting_plan(graph, members, subgraphs, from_plan)
    chosen, fresh_counts, notes = _grid_counts(
        weights,
        sizes,
        labels_txt,
        plan_counts,
        target=target,
        band=band,
        repair=from_plan is not None,
    )
    root = np.random.SeedSequence(seed)
    child_seeds = root.spawn(pieces)
    tasks = []
    for p in range(pieces):
        k = int(chosen[p])
        initial = initial_of[p]
        if initial is not None and len(np.unique(initial)) != k:
            # a repair that needs another count merges or splits whole grids first, so the
            # search starts from the old plan instead of from scratch
            initial = reshape(
                subgraphs[p], initial, k, int(child_seeds[p].generate_state(1)[0]), band
            )
        tasks.append(
            _Task(
                piece=p,
                graph=subgraphs[p],
                k=k,
                seed=int(child_seeds[p].generate_state(1)[0]),
                initial=initial,
                band=band,
                params=params,
                fallback_k=int(fresh_counts[p]),
                counts=band_range(float(weights[p]), int(sizes[p]), band) if band else (k, k),
            )
        )
    done = _community_progress(graph, members, progress) if progress else (lambda _: None)
    solved = _run(tasks, workers if workers is not None else (os.cpu_count() or 1), scheduler, done)

    labels, grid_ids = _number(graph, members, solved)
    report = measure(graph, labels, target=target, band=band, previous=previous)
    report.seed = seed
    report.seconds = round(time.perf_counter() - started, 3)
    report.communities_off_band = [notes[p] for p in sorted(notes)]
    group_sizes = np.bincount(graph.groups, minlength=len(graph.group_names))
    report.islands = [
        str(graph.ids[m[0]]) for m in members if len(m) == 1 and group_sizes[graph.groups[m[0]]] > 1
    ]
    limit = band[1] if band is not None else 1.25 * report.workload_mean
    report.heavy_units = [str(x) for x in graph.ids[graph.workload > limit]]
    log.info("optimized %d units into %d grids in %.1f s", graph.n, report.count, report.seconds)
    return Plan(labels=labels, grid_ids=grid_ids, report=report)


def community_pieces(graph: UnitGraph) -> list[NDArray[np.int64]]:
    """The units of each connected piece of each community, in a stable order: by community
    name, then by first unit."""
    piece_of = components(graph)
    pieces = int(piece_of.max() + 1) if graph.n else 0
    by_piece = np.argsort(piece_of, kind="stable")
    members = np.split(by_piece, np.searchsorted(piece_of[by_piece], np.arange(1, pieces)))
    order = sorted(
        range(pieces),
        key=lambda p: (str(graph.group_names[graph.groups[members[p][0]]]), members[p][0]),
    )
    return [members[p] for p in order]


def _starting_plan(
    graph: UnitGraph,
    members: list[NDArray[np.int64]],
    subgraphs: list[UnitGraph],
    from_plan: Sequence[object] | None,
) -> tuple[NDArray[np.int64] | None, list[int | None], list[NDArray[np.int64] | None]]:
    """The plan repaired (a grid label per unit); per piece its grid count where every grid of it
    is connected, and a start for the solver: the old grids, a broken one cut into its pieces."""
    pieces = len(members)
    previous: NDArray[np.int64] | None = None
    plan_counts: list[int | None] = [None] * pieces
    initial_of: list[NDArray[np.int64] | None] = [None] * pieces
    if from_plan is not None:
        if len(from_plan) != graph.n:
            raise Invalid(
                "初始方案须为每个单元指定网格 (the starting plan must give a grid for every unit)"
            )
        _, previous = np.unique(np.asarray([str(x) for x in from_plan]), return_inverse=True)
        previous = previous.astype(np.int64)
        for p, (m, sub) in enumerate(zip(members, subgraphs, strict=True)):
            local = previous[m]
            _, local = np.unique(local, return_inverse=True)
            local = local.astype(np.int64)
            pieces_of = grid_pieces(sub, local)
            if len(np.unique(pieces_of)) == local.max() + 1:  # every grid connected
                plan_counts[p] = int(local.max() + 1)
                initial_of[p] = local
            else:  # each piece of a broken grid starts as a grid of its own
                cut = np.unique(pieces_of, return_inverse=True)[1].astype(np.int64)
                initial_of[p] = cut
                plan_counts[p] = int(cut.max() + 1)
    return previous, plan_counts, initial_of


def _grid_counts(
    weights: NDArray[Any],
    sizes: NDArray[np.int64],
    labels_txt: list[str],
    plan_counts: list[int | None],
    *,
    target: int | None,
    band: tuple[float, float] | None,
    repair: bool,
) -> tuple[NDArray[np.int64], NDArray[np.int64], dict[int, str]]:
    """Grids per piece (:func:`apportion`), the fresh counts, and the notes on pieces off the
    band. A repair inside a band keeps a piece's old count wherever it is still feasible."""
    if repair and target is None and band is not None:
        counts = apportion(weights, sizes, target=None, band=band, labels=labels_txt)
        notes = counts.notes
        fresh_counts = counts.counts
        chosen = counts.counts.copy()
        # keep the old count wherever it already lies in the band's feasible range
        for p in range(len(weights)):
            lo, hi = band_range(float(weights[p]), int(sizes[p]), band)
            kept = plan_counts[p]
            if kept is not None and lo <= hi:
                # nearest the old count: every grid merged or split away moves units
                chosen[p] = min(max(kept, lo), hi)
    else:
        counts = apportion(weights, sizes, target=target, band=band, labels=labels_txt)
        notes = counts.notes
        chosen = fresh_counts = counts.counts
    return chosen, fresh_counts, notes


def _number(
    graph: UnitGraph, members: list[NDArray[np.int64]], solved: dict[int, NDArray[np.int64]]
) -> tuple[NDArray[np.int64], NDArray[Any]]:
    """Labels over the whole graph and grid ids numbered per community (``<community>NNN``)."""
    labels = np.empty(graph.n, dtype=np.int64)
    grid_ids = np.empty(graph.n, dtype=object)
    offset = 0
    per_group: dict[str, int] = {}
    for p, m in enumerate(members):
        local = solved[p]
        labels[m] = local + offset
        group = str(graph.group_names[graph.groups[m[0]]])
        base = per_group.get(group, 0)
        sep = "" if group.isdigit() else "-"
        prefix = f"{group}{sep}" if group else "G"
        width = 3 if group else 5
        grid_ids[m] = [f"{prefix}{base + g + 1:0{width}d}" for g in local.tolist()]
        per_group[group] = base + int(local.max() + 1)
        offset += int(local.max() + 1)
    return labels, grid_ids
