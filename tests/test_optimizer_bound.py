"""The lower bound on the workload CV that every optimizer report states (issue 20): no plan
can beat it, checked against every partition of small inputs."""

from __future__ import annotations

import math
from itertools import product

import numpy as np
import pytest

from gis.optimizer import optimize
from gis.optimizer.graph import UnitGraph, encode_groups, from_edges
from gis.optimizer.metrics import cv_lower_bound


def _paths(weights: list[float], groups: list[str]) -> UnitGraph:
    """Units in a row, linked to the next one of the same group."""
    n = len(weights)
    names, codes = encode_groups(np.array(groups, dtype=object), n)
    i = np.array([k for k in range(n - 1) if groups[k] == groups[k + 1]], dtype=np.int64)
    return from_edges(
        ids=np.array([f"u{k}" for k in range(n)], dtype=object),
        workload=np.array(weights, dtype=float),
        groups=codes,
        group_names=names,
        edge_i=i,
        edge_j=i + 1,
        shared=np.ones(len(i)),
    )


def _best_cv(weights: list[float], groups: list[str], count: int) -> float:
    """The least CV of any assignment of units to ``count`` non-empty grids, each inside one
    group (contiguity not even required: a superset of the plans the optimizer may make)."""
    w = np.array(weights)
    best = math.inf
    for labels in product(range(count), repeat=len(weights)):
        used = set(labels)
        if len(used) != count:
            continue
        owner: dict[int, str] = {}
        if any(owner.setdefault(g, groups[u]) != groups[u] for u, g in enumerate(labels)):
            continue
        loads = np.bincount(labels, weights=w, minlength=count)
        best = min(best, float(loads.std() / loads.mean()))
    return best


@pytest.mark.parametrize("seed", range(8))
def test_no_partition_beats_the_bound(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 8))
    weights = rng.lognormal(3, 0.8, n).round(1).tolist()
    groups = sorted(rng.choice(["a", "b"], n).tolist())
    count = int(rng.integers(len(set(groups)), min(n, 4) + 1))
    bound = cv_lower_bound(_paths(weights, groups), count)
    assert bound is not None
    assert bound <= _best_cv(weights, groups, count) + 1e-9


def test_the_bound_is_met_where_equal_grids_exist() -> None:
    graph = _paths([15, 10, 20, 5, 25, 10, 15], ["a"] * 4 + ["b"] * 3)
    plan = optimize(graph, target=4, seed=0)  # a: 15+10 | 20+5, b: 25 | 10+15
    assert plan.report.workload_cv == 0
    assert plan.report.workload_cv_bound == 0


def test_the_bound_sees_a_community_too_heavy_for_its_share() -> None:
    # Community b is 10 units of 1 (W=10) beside a's one unit of 30: with 2 grids, a gets one
    # grid of 30 and b one of 10 whatever the plan; the bound is that plan's CV exactly.
    graph = _paths([30] + [1] * 10, ["a"] + ["b"] * 10)
    report = optimize(graph, target=2, seed=0).report
    assert report.workload_cv_bound == pytest.approx(0.5, abs=1e-4)  # loads 30, 10; mean 20
    assert report.workload_cv == pytest.approx(0.5, abs=1e-4)
    assert report.above_bound == pytest.approx(0, abs=1e-3)


def test_the_bound_sees_a_unit_heavier_than_the_mean_grid() -> None:
    # One community: a unit of 30 beside ten of 1. Cutting units would give two grids of 20;
    # units cannot be cut, so every 2-grid plan has a grid of ≥ 30: loads 30 and 10 at best.
    graph = _paths([30] + [1] * 10, ["a"] * 11)
    report = optimize(graph, target=2, seed=0).report
    assert report.workload_cv_bound == pytest.approx(0.5, abs=1e-4)
    assert report.workload_cv == pytest.approx(0.5, abs=1e-4)


@pytest.mark.parametrize("seed", range(6))
def test_no_partition_beats_the_bound_with_heavy_units(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(5, 8))
    weights = rng.lognormal(2, 1.5, n).round(1).tolist()  # a heavy tail: units above the mean
    weights[int(rng.integers(n))] *= 6
    groups = ["a"] * n
    count = int(rng.integers(2, min(n, 4) + 1))
    bound = cv_lower_bound(_paths(weights, groups), count)
    assert bound is not None
    assert bound <= _best_cv(weights, groups, count) + 1e-9
