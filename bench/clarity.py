"""Boundary clarity in the optimizer: grid lines along roads and rivers, at what cost in balance.

For an area of the loaded sample city, the optimizer plans grids from scratch at several clarity
strengths (gis/optimizer/clarity.py), and METIS (pymetis, k-way with contiguity) partitions each
community into the same number of grids with the same edge weights (the clarity-weighted cut
costs). Each plan's grid boundary is split by what it runs along (``unit_edge``), and its
workload balance measured the same way.

    python bench/clarity.py [--database-url URL] [--area 361002] [--band 300:500]
        [--strengths 0,0.5,1,2]

pymetis lives in the bench venv (``make bench-peers``); without it the METIS rows are skipped.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from gis.infra.db import make_engine, resolve_url
from gis.infra.settings import load_settings
from gis.optimizer import optimize
from gis.optimizer.clarity import edge_kinds, with_clarity
from gis.optimizer.graph import UnitGraph, split
from gis.optimizer.io import database_units, read_frame_units
from gis.optimizer.metrics import measure
from gis.optimizer.plan import community_pieces

VISIBLE = ("river", "primary", "secondary", "branch", "lane")


def edge_kind_array(graph: UnitGraph, kinds: pd.DataFrame) -> NDArray[np.object_]:
    """What each edge of ``graph.edges()`` runs along (None where not judged)."""
    i, j, _ = graph.edges()
    a, b = graph.ids[i], graph.ids[j]
    edges = pd.DataFrame({"a": np.minimum(a, b), "b": np.maximum(a, b)})
    judged = kinds.assign(
        a=np.minimum(kinds["a"], kinds["b"]), b=np.maximum(kinds["a"], kinds["b"])
    )
    found = edges.merge(judged, on=["a", "b"], how="left")["kind"]
    return found.astype(object).where(found.notna(), None).to_numpy()


def boundary(graph: UnitGraph, labels: NDArray[np.int64], kind: NDArray[np.object_]) -> dict:
    """Grid boundary length (km) and the shares along roads/river and along nothing."""
    i, j, length = graph.edges()
    cut = labels[i] != labels[j]
    judged = cut & (kind != None)  # noqa: E711 (numpy elementwise)
    total = length[judged].sum()
    visible = length[judged & np.isin(kind, VISIBLE)].sum()
    main = length[judged & np.isin(kind, ("river", "primary", "secondary"))].sum()
    return {
        "km": length[cut].sum() / 1000,
        "visible": visible / total if total else float("nan"),
        "main_or_river": main / total if total else float("nan"),
    }


def metis_plan(graph: UnitGraph, counts: list[int], seed: int) -> NDArray[np.int64]:
    """pymetis k-way per community piece, with the graph's cut costs as edge weights."""
    import pymetis

    labels = np.zeros(graph.n, dtype=np.int64)
    members = community_pieces(graph)
    offset = 0
    for m, sub, k in zip(members, split(graph, members), counts, strict=True):
        if k <= 1 or sub.n <= 1:
            labels[m] = offset
            offset += 1
            continue
        adjacency = pymetis.CSRAdjacency(sub.indptr.tolist(), sub.indices.tolist())
        vweights = np.maximum(np.round(sub.workload), 0).astype(int).tolist()
        eweights = np.maximum(np.round(sub.cut_cost), 1).astype(int).tolist()
        try:
            _, parts = pymetis.part_graph(
                k, adjacency, vweights=vweights, eweights=eweights,
                options=pymetis.Options(contig=1, seed=seed),
            )  # fmt: skip
        except Exception:  # contig refused on some inputs: without it
            _, parts = pymetis.part_graph(
                k, adjacency, vweights=vweights, eweights=eweights,
                options=pymetis.Options(seed=seed),
            )  # fmt: skip
        labels[m] = offset + np.asarray(parts, dtype=np.int64)
        offset += k
    return labels


def grids_per_piece(graph: UnitGraph, labels: NDArray[np.int64]) -> list[int]:
    return [len(np.unique(labels[m])) for m in community_pieces(graph)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--area", default="361002")
    parser.add_argument("--band", default="300:500")
    parser.add_argument("--strengths", default="0,0.5,1,2")
    args = parser.parse_args()
    settings = load_settings(database_url=args.database_url)
    engine = make_engine(resolve_url(settings))
    low, high = (float(x) for x in args.band.split(":"))
    with engine.connect() as conn:
        frame = database_units(conn, [args.area], settings.weights)
        kinds = edge_kinds(conn, [args.area])
    graph = read_frame_units(
        frame, id_column="code", workload_column="workload", group_column="community_code"
    ).graph
    kind = edge_kind_array(graph, kinds)
    print(f"area {args.area}: {graph.n:,} units, {len(kinds):,} judged edges, band {args.band}")
    header = f"{'method':<22} {'clarity':>7} {'grids':>6} {'CV':>7} {'in band':>8} "
    header += f"{'boundary km':>11} {'on roads/river':>14} {'main/river':>10} {'s':>6}"
    print(header)
    try:
        import pymetis  # noqa: F401

        metis = True
    except ImportError:
        metis = False
        print("(pymetis is not installed here: METIS rows skipped; see the module doc)")
    for strength in (float(s) for s in args.strengths.split(",")):
        weighted = with_clarity(graph, kinds, strength)
        started = time.perf_counter()
        plan = optimize(weighted, band=(low, high), seed=0, workers=1)
        seconds = time.perf_counter() - started
        rows = [("gridmap", plan.labels, seconds)]
        if metis:
            started = time.perf_counter()
            labels = metis_plan(weighted, grids_per_piece(graph, plan.labels), seed=0)
            rows.append(("pymetis, same weights", labels, time.perf_counter() - started))
        for name, labels, secs in rows:
            report = measure(graph, labels, band=(low, high))
            b = boundary(graph, labels, kind)
            print(
                f"{name:<22} {strength:>7.2f} {report.count:>6,} {report.workload_cv:>7.3f} "
                f"{report.share_in_band:>8.1%} {b['km']:>11.1f} {b['visible']:>14.1%} "
                f"{b['main_or_river']:>10.1%} {secs:>6.1f}"
            )


if __name__ == "__main__":
    main()
