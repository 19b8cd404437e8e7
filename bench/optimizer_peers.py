"""Gridmap's merge optimizer against open-source partitioners, scored by one metric code.

The sample city (data/fuzhou_sample.gpkg, 5,562 base units → 1,292 grids, workload =
households, communities respected) is cut by Gridmap (``gis.optimizer.optimize``) and by the
peers: pymetis (METIS k-way), GerryChain's recursive tree partition, spopt's region-k-means, AZP,
SKATER and max-p, and pygeoda's max-p. Every method sees the same rook graph (shared boundary of
positive length) and every result is scored by ``gis.optimizer.metrics.measure``.

A peer that cannot keep communities by itself is run once per connected piece of one community,
with the piece's grid count taken from Gridmap's own apportionment (``apportion``), so all
k-based methods make the same number of grids in the same pieces: the fair comparison. Max-p
methods pick their own count from a workload floor (300 households, the field band's low end).
Each method runs in a child process with a time budget; one over budget is reported as "did not
finish in N s", not waited for.

A second table runs the quick methods on public polygon graphs that ship inside the libpysal
wheel (Georgia counties, population 1990; North Carolina counties, births 1974): nothing is
downloaded. Peers live in their own venv (.venv-bench), so the project's venv and CI are not
touched:

    make bench-peers
    .venv-bench/bin/python bench/optimizer_peers.py [--budget 90] [--public-budget 30] [--only azp]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.metadata
import multiprocessing as mp
import os
import platform
import random
import signal
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
from numpy.typing import NDArray

from gis.optimizer import optimize
from gis.optimizer.apportion import apportion
from gis.optimizer.graph import UnitGraph, components, from_frame, split
from gis.optimizer.metrics import Report, measure

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "fuzhou_sample.gpkg"
SAMPLE_TARGET = 1292
#: max-p workload floor on the sample city: the low end of the field band (300–500 households)
SAMPLE_FLOOR = 300.0
#: GerryChain's balance tolerance, then the looser ones tried when a piece cannot be cut (a unit
#: heavier than (1 + ε) × the piece's mean grid can only be placed with a looser ε)
GERRYCHAIN_EPSILONS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
#: Public graphs shipped in the libpysal wheel: (file, workload column, CRS of the file, title).
#: The shapefiles carry no .prj; Georgia's is UTM 17N metres, North Carolina's lon/lat.
PUBLIC = (
    (
        "G_utm.shp",
        "TotPop90",
        "EPSG:26917",
        "Georgia counties (libpysal 'georgia'), population 1990",
    ),
    ("sids2.shp", "BIR74", "EPSG:4267", "North Carolina counties (libpysal 'sids2'), births 1974"),
)
PEERS = ("pymetis", "gerrychain", "spopt", "libpysal", "pygeoda")

Labels = NDArray[np.int64]
#: solve(piece graph, k, seed) → a label per unit (-1 = left unassigned) and an optional note
#: a multiprocessing Value("i"): pieces done so far, read by the parent when a run is stopped
Progress = Any
PieceSolver = Callable[[UnitGraph, int, int], tuple[NDArray[np.int64], str | None]]


# --------------------------------------------------------------------------- the problem


@dataclass(frozen=True)
class Problem:
    name: str
    graph: UnitGraph
    target: int
    floor: float  # max-p workload threshold
    members: list[NDArray[np.int64]]  # units of every piece, in Gridmap's piece order
    counts: NDArray[np.int64]  # grids per piece, from Gridmap's apportionment


def make_problem(name: str, graph: UnitGraph, target: int, floor: float) -> Problem:
    """Pieces in the order ``optimize`` uses, and the count each gets from ``apportion``."""
    piece_of = components(graph)
    pieces = int(piece_of.max() + 1)
    members = [np.flatnonzero(piece_of == p) for p in range(pieces)]
    members.sort(key=lambda m: (str(graph.group_names[graph.groups[m[0]]]), int(m[0])))
    weights = np.array([graph.workload[m].sum() for m in members])
    sizes = np.array([len(m) for m in members], dtype=np.int64)
    names = [str(graph.group_names[graph.groups[m[0]]]) or "all" for m in members]
    counts = apportion(weights, sizes, target=target, band=None, labels=names).counts
    return Problem(name, graph, target, floor, members, counts)


def sample_problem() -> Problem:
    frame = pyogrio.read_dataframe(SAMPLE, layer="base_units")
    graph = from_frame(
        frame,
        id_column="code",
        workload=frame["households"].to_numpy(dtype=float),
        group_column="community_code",
    )
    return make_problem("sample city", graph, SAMPLE_TARGET, SAMPLE_FLOOR)


def public_problem(file: str, column: str, crs: str, title: str) -> Problem:
    from libpysal import examples

    path = examples.get_path(file)  # a file inside the installed wheel: no download
    frame = pyogrio.read_dataframe(path)
    if frame.crs is None:
        frame = frame.set_crs(crs)
    frame["unit_id"] = np.arange(len(frame))
    graph = from_frame(
        frame, id_column="unit_id", workload=frame[column].to_numpy(dtype=float), group_column=None
    )
    target = round(graph.n / 4)
    floor = 0.75 * float(graph.workload.sum()) / target
    return make_problem(title, graph, target, floor)


# --------------------------------------------------------------------------- piece solvers


def piece_adjacency(sub: UnitGraph) -> dict[int, list[int]]:
    return {i: sub.neighbours(i).tolist() for i in range(sub.n)}


def coords(sub: UnitGraph) -> NDArray[np.float64]:
    """Unit centroids in metres, centred: the attributes the regionalizers cluster on."""
    return sub.centroids - sub.centroids.mean(axis=0)


def metis_kway(unit_edges: bool) -> PieceSolver:
    """METIS k-way with the contiguity option; edge weights = shared metres, or all 1."""

    def solve(sub: UnitGraph, k: int, seed: int) -> tuple[Labels, str | None]:
        import pymetis

        adjacency = pymetis.CSRAdjacency(sub.indptr.tolist(), sub.indices.tolist())
        vweights = np.maximum(np.round(sub.workload), 0).astype(int).tolist()
        eweights = None if unit_edges else np.maximum(np.round(sub.shared), 1).astype(int).tolist()
        common = {"vweights": vweights, "eweights": eweights, "recursive": False}
        try:
            _, parts = pymetis.part_graph(
                k, adjacency, options=pymetis.Options(contig=1, seed=seed), **common
            )
            note = None
        except Exception:  # METIS refuses contig on some inputs: the same call without it
            _, parts = pymetis.part_graph(
                k, adjacency, options=pymetis.Options(seed=seed), **common
            )
            note = "contig option refused: ran without it"
        return np.asarray(parts, dtype=np.int64), note

    return solve


def gerrychain_graph(sub: UnitGraph) -> Any:  # a gerrychain.Graph
    from gerrychain import Graph

    graph = Graph()
    graph.add_nodes_from((i, {"workload": float(sub.workload[i])}) for i in range(sub.n))
    i, j, length = sub.edges()
    graph.add_edges_from(
        (a, b, {"shared": s})
        for a, b, s in zip(i.tolist(), j.tolist(), length.tolist(), strict=True)
    )
    return graph


def solve_gerrychain(sub: UnitGraph, k: int, seed: int) -> tuple[Labels, str | None]:
    from gerrychain.tree import recursive_tree_part

    graph = gerrychain_graph(sub)
    target = float(sub.workload.sum()) / k
    errors: Counter[str] = Counter()
    for epsilon in GERRYCHAIN_EPSILONS:
        random.seed(seed)  # GerryChain 0.3 draws from the global `random` module
        try:
            flips = recursive_tree_part(graph, list(range(k)), target, "workload", epsilon)
        except Exception as exc:  # BalanceError, PopulationBalanceError, RuntimeError (no cut)
            errors[type(exc).__name__] += 1
            continue
        labels = np.array([flips[i] for i in range(sub.n)], dtype=np.int64)
        return labels, None if epsilon == GERRYCHAIN_EPSILONS[0] else f"needed epsilon {epsilon}"
    raise PieceFailed(
        f"no plan at any epsilon up to {GERRYCHAIN_EPSILONS[-1]} "
        f"({', '.join(f'{e} ×{n}' for e, n in errors.items())})"
    )


def libpysal_weights(sub: UnitGraph) -> Any:  # a libpysal.weights.W
    from libpysal.weights import W

    return W(piece_adjacency(sub), silence_warnings=True)


def solve_region_kmeans(sub: UnitGraph, k: int, seed: int) -> tuple[Labels, str | None]:
    from spopt.region import RegionKMeansHeuristic

    model = RegionKMeansHeuristic(coords(sub), k, libpysal_weights(sub), seed=seed)
    model.solve()
    return np.asarray(model.labels_, dtype=np.int64), None


def coord_frame(sub: UnitGraph) -> Any:  # a pandas.DataFrame
    import pandas as pd

    xy = coords(sub)
    return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "workload": sub.workload})


def solve_azp(sub: UnitGraph, k: int, seed: int) -> tuple[Labels, str | None]:
    from spopt.region import AZP

    model = AZP(
        coord_frame(sub), libpysal_weights(sub), ["x", "y"], n_clusters=k, random_state=seed
    )
    model.solve()
    return np.asarray(model.labels_, dtype=np.int64), None


def solve_skater(sub: UnitGraph, k: int, seed: int) -> tuple[Labels, str | None]:  # noqa: ARG001
    from spopt.region import Skater

    model = Skater(coord_frame(sub), libpysal_weights(sub), ["x", "y"], n_clusters=k)
    model.solve()
    return np.asarray(model.labels_, dtype=np.int64), None


def spopt_maxp(floor: float) -> PieceSolver:
    def solve(sub: UnitGraph, k: int, seed: int) -> tuple[Labels, str | None]:  # noqa: ARG001
        from spopt.region import MaxPHeuristic

        if sub.workload.sum() < floor:  # no region can reach the floor: all unassigned
            return np.full(sub.n, -1, dtype=np.int64), None
        np.random.seed(seed)  # spopt's max-p draws from numpy's global generator
        random.seed(seed)
        model = MaxPHeuristic(
            coord_frame(sub), libpysal_weights(sub), ["x", "y"], "workload", floor, top_n=2
        )
        model.solve()
        labels = np.asarray(model.labels_, dtype=np.int64)
        return np.where(labels > 0, labels, -1), None  # spopt numbers regions from 1

    return solve


# --------------------------------------------------------------------------- running methods


@dataclass
class Outcome:
    method: str
    report: Report | None = None
    labels: Labels | None = None
    seconds: float | None = None
    status: str = ""  # "" = finished; else why there is no result
    notes: list[str] = field(default_factory=list)


class PieceFailed(Exception):
    """A peer found no plan for a piece (its message says why)."""


def fill_unassigned(sub: UnitGraph, local: Labels) -> tuple[Labels, int]:
    """Units a max-p left out (label < 0): each connected clump of them becomes its own grid."""
    out = local.copy()
    loose = np.flatnonzero(out < 0)
    if len(loose) == 0:
        return out, 0
    nxt = int(out.max() + 1) if (out >= 0).any() else 0
    for start in loose.tolist():
        if out[start] >= 0:
            continue
        out[start] = nxt
        stack = [start]
        while stack:
            u = stack.pop()
            for v in sub.neighbours(u).tolist():
                if out[v] < 0:
                    out[v] = nxt
                    stack.append(v)
        nxt += 1
    return out, len(loose)


def per_piece(
    problem: Problem, solve: PieceSolver, seed: int, uses_k: bool, done: Progress
) -> tuple[Labels, list[str]]:
    """Run ``solve`` on every piece and glue the results into one labelling of the graph."""
    graph = problem.graph
    labels = np.empty(graph.n, dtype=np.int64)
    notes: Counter[str] = Counter()
    loose_units = short = failed = 0
    offset = 0
    sizes = np.array([len(m) for m in problem.members])
    hard = int(((problem.counts > 1) & (problem.counts < sizes)).sum()) if uses_k else -1
    subgraphs = split(graph, problem.members)  # one pass, as optimize does it
    for members, k, sub in zip(problem.members, problem.counts.tolist(), subgraphs, strict=True):
        if uses_k and k == 1:
            local, note = np.zeros(sub.n, dtype=np.int64), None
        elif uses_k and k >= sub.n:
            local, note = np.arange(sub.n, dtype=np.int64), None
        else:
            try:
                local, note = solve(sub, k, seed)
            except PieceFailed as exc:  # the piece stays one grid; a method failing all stops
                failed += 1
                if failed == hard:
                    raise PieceFailed(f"every piece that needs a cut failed: {exc}") from None
                local, note = np.zeros(sub.n, dtype=np.int64), f"{exc}: left as one grid"
        if note:
            notes[note] += 1
        local, loose = fill_unassigned(sub, local)
        loose_units += loose
        _, local = np.unique(local, return_inverse=True)  # empty parts dropped
        if uses_k and local.max() + 1 < k:
            short += k - int(local.max() + 1)
            notes["returned fewer non-empty grids than asked"] += 1
        labels[members] = local + offset
        offset += int(local.max() + 1)
        done.value += 1
    lines = [f"{note}: {n} piece(s)" for note, n in sorted(notes.items())]
    if short:
        lines.append(f"{short} grid(s) short of the target in all")
    if loose_units:
        lines.append(f"{loose_units} unit(s) left unassigned, kept as grids of their own")
    return labels, lines


def run_gridmap(problem: Problem, seed: int, workers: int | None) -> tuple[Labels, list[str]]:
    plan = optimize(problem.graph, target=problem.target, seed=seed, workers=workers)
    return plan.labels, []


def run_pygeoda_maxp(problem: Problem, seed: int) -> tuple[Labels, list[str]]:
    """One call on the whole graph, with rook neighbours inside each piece only (a GAL file)."""
    import pygeoda

    graph = problem.graph
    piece_of = np.empty(graph.n, dtype=np.int64)
    for p, members in enumerate(problem.members):
        piece_of[members] = p
    i, j, _ = graph.edges()
    keep = piece_of[i] == piece_of[j]
    neighbours: list[list[int]] = [[] for _ in range(graph.n)]
    for a, b in zip(i[keep].tolist(), j[keep].tolist(), strict=True):
        neighbours[a].append(b)
        neighbours[b].append(a)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "pieces.gal")
        with open(path, "w") as gal:
            gal.write(f"0 {graph.n} units unit\n")
            for a, nbs in enumerate(neighbours):
                gal.write(f"{a + 1} {len(nbs)}\n{' '.join(str(b + 1) for b in nbs)}\n")
        weights = pygeoda.read_gal(path, [str(a + 1) for a in range(graph.n)])
    xy = graph.centroids - graph.centroids.mean(axis=0)
    result = pygeoda.maxp_greedy(
        weights,
        [xy[:, 0].tolist(), xy[:, 1].tolist()],
        graph.workload.tolist(),
        problem.floor,
        random_seed=seed,
        cpu_threads=os.cpu_count() or 1,
    )
    clusters = np.asarray(result["Clusters"], dtype=np.int64)  # 1..p, 0 = unassigned
    labels = np.empty(graph.n, dtype=np.int64)
    loose_units, offset = 0, 0
    for members, sub in zip(problem.members, split(graph, problem.members), strict=True):
        local, loose = fill_unassigned(sub, np.where(clusters[members] > 0, clusters[members], -1))
        loose_units += loose
        _, local = np.unique(local, return_inverse=True)
        labels[members] = local + offset
        offset += int(local.max() + 1)
    notes = []
    if loose_units:
        notes.append(f"{loose_units} unit(s) left unassigned, kept as grids of their own")
    return labels, notes


Runner = Callable[[Problem, int, Progress], tuple[Labels, list[str]]]


@dataclass(frozen=True)
class Method:
    name: str
    needs: tuple[str, ...]  # peers that must import
    run: Runner


def per_piece_method(name: str, needs: tuple[str, ...], solve: PieceSolver) -> Method:
    return Method(name, needs, lambda pr, seed, done: per_piece(pr, solve, seed, True, done))


def methods() -> list[Method]:
    return [
        Method("Gridmap optimize (2 workers)", (), lambda pr, s, _d: run_gridmap(pr, s, None)),
        Method("Gridmap optimize (workers=1)", (), lambda pr, s, _d: run_gridmap(pr, s, 1)),
        per_piece_method("pymetis k-way contig, edge w = metres", ("pymetis",), metis_kway(False)),
        per_piece_method("pymetis k-way contig, edge w = 1", ("pymetis",), metis_kway(True)),
        per_piece_method(
            f"GerryChain recursive_tree_part eps {GERRYCHAIN_EPSILONS[0]}",
            ("gerrychain",),
            solve_gerrychain,
        ),
        per_piece_method("spopt RegionKMeansHeuristic", ("spopt", "libpysal"), solve_region_kmeans),
        per_piece_method("spopt AZP", ("spopt", "libpysal"), solve_azp),
        per_piece_method("spopt Skater", ("spopt", "libpysal"), solve_skater),
        Method(
            "spopt MaxPHeuristic (floor)",
            ("spopt", "libpysal"),
            lambda pr, s, d: per_piece(pr, spopt_maxp(pr.floor), s, False, d),
        ),
        Method(
            "pygeoda maxp_greedy (floor)", ("pygeoda",), lambda pr, s, _d: run_pygeoda_maxp(pr, s)
        ),
    ]


def _child(method: Method, problem: Problem, seed: int, done: Progress, conn: Any) -> None:
    os.setpgrp()  # its own process group, so that a stop reaches a pool it may have started
    warnings.simplefilter("ignore")
    # What it prints (METIS prints from C) goes to a file and becomes a note.
    with tempfile.TemporaryFile() as err:
        os.dup2(err.fileno(), 1)
        os.dup2(err.fileno(), 2)
        try:
            start = time.perf_counter()
            labels, notes = method.run(problem, seed, done)
            seconds = time.perf_counter() - start
            err.seek(0)
            printed = [line.strip() for line in err.read().decode(errors="replace").splitlines()]
            printed = [line for line in printed if line]
            if printed:
                common = Counter(printed).most_common(1)[0][0]
                notes.append(f"printed {len(printed)} line(s), most often {common!r}")
            conn.send(("ok", labels, seconds, notes))
        except Exception:
            conn.send(("error", traceback.format_exc(limit=3)))
        finally:
            conn.close()


def run_method(method: Method, problem: Problem, seed: int, budget: float) -> Outcome:
    """Run in a child process; past ``budget`` seconds the child is stopped, not waited for."""
    context = mp.get_context("fork")
    done = context.Value("i", 0)
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(method, problem, seed, done, send))
    child.start()
    send.close()
    outcome = Outcome(method.name)
    try:
        if not receive.poll(budget):
            outcome.status = f"did not finish in {budget:g} s"
            if done.value:
                outcome.status += f" ({done.value}/{len(problem.members)} pieces done)"
            return outcome
        message = receive.recv()
    except EOFError:
        outcome.status = f"crashed (exit code {child.exitcode})"
        return outcome
    finally:
        if outcome.status:  # over budget or crashed: stop the child and whatever it started
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
        child.join(10)
        if child.is_alive():
            child.kill()
            child.join()
    if message[0] == "error":
        outcome.status = "failed: " + message[1].strip().splitlines()[-1]
        return outcome
    _, labels, seconds, notes = message
    outcome.report = measure(problem.graph, labels, target=problem.target)
    outcome.labels = labels
    outcome.seconds = seconds
    outcome.notes = notes
    return outcome


# --------------------------------------------------------------------------- output

HEADER = (
    f"{'method':40} {'grids':>6} {'CV':>7} {'min':>9} {'max':>10} {'±25%':>6} "
    f"{'conn.':>6} {'cross':>5} {'PP mean':>7} {'time s':>8}"
)


def row(outcome: Outcome) -> str:
    r = outcome.report
    if r is None:
        return f"{outcome.method:40} {outcome.status}"
    pp = f"{r.polsby_popper_mean:.3f}" if r.polsby_popper_mean is not None else "-"
    return (
        f"{outcome.method:40} {r.count:>6} {r.workload_cv:>7.3f} {r.workload_min:>9,.0f} "
        f"{r.workload_max:>10,.0f} {r.share_within_25pct_of_mean:>6.1%} "
        f"{r.connected_share:>6.1%} {r.crossings:>5} {pp:>7} {outcome.seconds:>8.2f}"
    )


def print_table(problem: Problem, outcomes: list[Outcome], skipped: list[str]) -> None:
    g = problem.graph
    mean = g.workload.sum() / problem.target
    print(
        f"\n## {problem.name}: {g.n:,} units, {len(g.indices) // 2:,} rook edges, "
        f"{len(problem.members)} piece(s) → target {problem.target:,} grids "
        f"(mean workload {mean:,.0f}; heaviest unit {g.workload.max():,.0f}, "
        f"{int((g.workload > 1.25 * mean).sum())} unit(s) above 1.25 × mean; "
        f"max-p floor {problem.floor:,.0f})"
    )
    print(HEADER)
    print("-" * len(HEADER))
    for outcome in outcomes:
        print(row(outcome))
    for name in skipped:
        print(f"{name:40} not run: {MISSING.get(name, '')}")
    notes = [(o.method, n) for o in outcomes for n in o.notes]
    if notes:
        print("notes:")
        for method, note in notes:
            print(f"  {method}: {note}")


LEGEND = """\
columns: grids made; CV, min, max of grid workload; ±25% = share of grids within 25 % of their
mean; conn. = share of grids connected (rook); cross = grids spanning two communities;
PP mean = mean Polsby–Popper (4πA/P²); time s = the method's own wall time, converting each
piece to the peer's input included. All scored by gis.optimizer.metrics.measure. CV and ±25%
are taken about each plan's own mean, so a plan with fewer grids than the target is not
comparable on them alone."""


def print_apportionment(problem: Problem, outcomes: list[Outcome]) -> None:
    """The counts every k-based peer was given, and a check that Gridmap used the same."""
    counts = problem.counts
    print(
        f"k-based peers get Gridmap's apportionment: {len(problem.members)} pieces, "
        f"{int(counts.sum()):,} grids in all, k from {counts.min()} to {counts.max()} "
        f"(median {np.median(counts):g}); {int((counts == 1).sum())} piece(s) with k = 1 are "
        "one grid for every k-based method"
    )
    for outcome in outcomes:
        if outcome.method.startswith("Gridmap") and outcome.labels is not None:
            made = np.array([len(np.unique(outcome.labels[m])) for m in problem.members])
            same = "the same count" if (made == counts).all() else "NOT the same count"
            print(f"{outcome.method}: {same} in every piece")


MISSING: dict[str, str] = {}


def check_peers() -> dict[str, str]:
    """Import every peer once (children inherit it); version, or why it is missing."""
    versions = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import geopandas

        # GerryChain 0.3.x reads an option that geopandas 1.x removed; give it the old default.
        with contextlib.suppress(Exception):
            geopandas.options._config.setdefault("use_pygeos", False)
        for peer in PEERS:
            try:
                importlib.import_module(peer)
                if peer == "gerrychain":
                    importlib.import_module("gerrychain.tree")
                if peer == "spopt":
                    importlib.import_module("spopt.region")
                versions[peer] = importlib.metadata.version(peer)
            except Exception as exc:  # not installed, or broken on this interpreter
                versions[peer] = f"unavailable ({type(exc).__name__}: {exc})"
    return versions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=90, help="seconds per method, sample")
    parser.add_argument(
        "--public-budget", type=float, default=30, help="seconds per method, public graphs"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="", help="comma-separated substrings of method names")
    parser.add_argument("--no-public", action="store_true", help="skip the public graphs")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]
    started = time.perf_counter()

    versions = check_peers()
    print(
        f"Python {platform.python_version()} on {os.cpu_count()} cores; numpy "
        f"{np.__version__}; gridmap {importlib.metadata.version('gridmap')}"
    )
    print("peers: " + "; ".join(f"{p} {v}" for p, v in versions.items()))
    print(
        "load average at the start "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
        + " (other work on the machine slows every method alike)"
    )
    print(LEGEND)
    chosen = [
        m
        for m in methods()
        if not args.only or any(s.strip().lower() in m.name.lower() for s in args.only.split(","))
    ]
    runnable, skipped = [], []
    for m in chosen:
        missing = [p for p in m.needs if versions[p].startswith("unavailable")]
        if missing:
            MISSING[m.name] = "; ".join(f"{p} {versions[p]}" for p in missing)
            skipped.append(m.name)
        else:
            runnable.append(m)

    problem = sample_problem()
    outcomes = []
    for m in runnable:
        print(f"[{time.perf_counter() - started:6.1f} s] sample city: {m.name}", file=sys.stderr)
        outcomes.append(run_method(m, problem, args.seed, args.budget))
    print_table(problem, outcomes, skipped)
    print_apportionment(problem, outcomes)

    if not args.no_public:
        for spec in PUBLIC:
            public = public_problem(*spec)
            results = []
            for m in runnable:
                print(
                    f"[{time.perf_counter() - started:6.1f} s] {spec[0]}: {m.name}", file=sys.stderr
                )
                results.append(run_method(m, public, args.seed, args.public_budget))
            print_table(public, results, skipped)
    print(
        f"\ntotal run time {time.perf_counter() - started:.0f} s; load average at the end "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )


if __name__ == "__main__":
    main()
