"""Ejection chains: bring a grid into the band by passing one unit per step along a path of grids.

A heavy grid whose neighbours are all in the band cannot shed a unit to any of them without
pushing that neighbour out — so the anchored local search (:mod:`gis.optimizer.solver`), which
only makes moves that lower its objective, stops there, and the repair used to fall back to
cutting the whole piece afresh (moving a dozen or more units). Usually a few moves suffice: the
heavy grid gives one boundary unit to a neighbour, which gives one of its own on to the next grid,
until a grid with room takes the last one. A light grid pulls the same way. Each step moves one
unit, so the shortest chain that brings the grid into the band (without taking any other grid
out of it) is the repair that moves fewest units; chains are searched shortest first (iterative
deepening), every grid they touch stays connected, and no grid is visited twice in one chain.

The units moved are the cost minimised, in the spirit of a min-cost flow over grid adjacency
(workload passing from heavy grids to light ones along paths), but solved greedily per grid:
pieces are small (tens of units, a dozen grids) and the units lumpy, so exact flows buy little.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from gis.optimizer.graph import UnitGraph
from gis.optimizer.solver import Search, adjacency_lists

#: Longest chain tried (moves): on the sample city 3 moves fewer units than 4 or 5
#: (bench/repair.py); longer chains pass on lumps that a merge or split fixes more cheaply
MAX_DEPTH = 3
#: Candidate units per (grid, neighbouring grid) step, best attached first
BRANCH = 3

Move = tuple[int, int]  # (unit, grid it goes to)


class _Chains:
    """The search of one piece: the plan as it is, the band, the best chain found so far."""

    def __init__(self, state: Search, band: tuple[float, float]) -> None:
        self.state = state
        self.low, self.high = band
        self.best: tuple[tuple[float, ...], list[Move]] | None = None
        self.before: dict[int, float] = {}

    def excess(self, g: int) -> float:
        x = self.state.load[g]
        return self.low - x if x < self.low else (x - self.high if x > self.high else 0.0)

    def units_towards(self, giver: int, taker: int, moved: set[int]) -> list[int]:
        """Units of ``giver`` touching ``taker``, most shared boundary first (compact grids)."""
        state = self.state
        touching: dict[int, float] = {}
        for u in state.members[giver]:
            if u in moved:
                continue
            length = sum(s for v, s in state.nbrs[u] if state.labels[v] == taker)
            if length > 0:
                touching[u] = length
        return sorted(touching, key=lambda u: (-touching[u], u))[:BRANCH]

    def neighbour_grids(self, g: int) -> list[int]:
        state = self.state
        found = {state.labels[v] for u in state.members[g] for v, _ in state.nbrs[u]}
        found.discard(g)
        return sorted(found)

    def consider(self, chain: list[Move], start: int, touched: list[int]) -> None:
        """Keep ``chain`` if it takes no grid out of the band and lowers the total excess."""
        change = 0.0
        fixed = 0
        for g in touched:
            after = self.excess(g)
            if after > 0 and self.before[g] == 0:
                return
            change += after - self.before[g]
            fixed += after == 0 and self.before[g] > 0
        if change >= -1e-9:
            return
        score = (float(self.excess(start) > 0), len(chain) / max(fixed, 1), change)
        if self.best is None or score < self.best[0]:
            self.best = (score, list(chain))

    def step(
        self,
        giver: int,
        taker: int,
        unit: int,
        chain: list[Move],
        touched: list[int],
        moved: set[int],
    ) -> bool:
        """Move ``unit`` from ``giver`` to ``taker`` if ``giver`` stays connected; True if made."""
        if len(self.state.members[giver]) <= 1 or not self.state.connected_without(giver, unit):
            return False
        self.state.apply(unit, taker)
        chain.append((unit, taker))
        moved.add(unit)
        touched.append(taker)
        return True

    def undo(self, giver: int, chain: list[Move], touched: list[int], moved: set[int]) -> None:
        unit, _ = chain.pop()
        self.state.apply(unit, giver)
        moved.discard(unit)
        touched.pop()

    def push(self, start: int, c: int, depth: int, chain: list[Move], touched: list[int],
             moved: set[int]) -> None:  # fmt: skip
        """Grid ``c`` holds surplus: pass one unit on to a neighbour, and on from there."""
        for n in self.neighbour_grids(c):
            if n in touched:
                continue
            self.before.setdefault(n, self.excess(n))
            for u in self.units_towards(c, n, moved):
                if not self.step(c, n, u, chain, touched, moved):
                    continue
                if self.excess(c) <= self.before[c] or c == start:
                    if self.excess(n) <= self.before[n]:
                        self.consider(chain, start, touched)
                    elif depth > 1:
                        self.push(start, n, depth - 1, chain, touched, moved)
                self.undo(c, chain, touched, moved)

    def pull(self, start: int, c: int, depth: int, chain: list[Move], touched: list[int],
             moved: set[int]) -> None:  # fmt: skip
        """Grid ``c`` lacks load: take one unit from a neighbour, which takes one in turn."""
        for n in self.neighbour_grids(c):
            if n in touched:
                continue
            self.before.setdefault(n, self.excess(n))
            for u in self.units_towards(n, c, moved):
                if not self.step(n, c, u, chain, touched, moved):
                    continue
                touched[-1] = n  # the grid that gave, for the checks below
                if self.excess(c) <= self.before[c] or c == start:
                    if self.excess(n) <= self.before[n]:
                        self.consider(chain, start, touched)
                    elif depth > 1:
                        self.pull(start, n, depth - 1, chain, touched, moved)
                touched[-1] = c
                self.undo(n, chain, touched, moved)

    def shortest(self, g: int, max_depth: int) -> list[Move] | None:
        """The fewest moves that bring grid ``g`` into the band; else the shortest chain that at
        least lowers the total excess; None when no chain of ``max_depth`` moves helps."""
        self.best = None
        heavy = self.state.load[g] > self.high
        for depth in range(1, max_depth + 1):
            self.before = {g: self.excess(g)}
            moved: set[int] = set()
            if heavy:
                self.push(g, g, depth, [], [g], moved)
            else:
                self.pull(g, g, depth, [], [g], moved)
            if self.best is not None and self.best[0][0] == 0.0:
                break
        return None if self.best is None else self.best[1]


def eject(
    graph: UnitGraph,
    labels: NDArray[np.int64],
    band: tuple[float, float],
    max_depth: int = MAX_DEPTH,
) -> NDArray[np.int64]:
    """The plan with as many grids brought into ``band`` by ejection chains as can be, worst grid
    first. Every chain strictly lowers the total excess, so this ends; it is deterministic."""
    state = Search(adjacency_lists(graph), labels.tolist(), int(labels.max()) + 1,
                   graph.workload.tolist())  # fmt: skip
    chains = _Chains(state, band)
    stuck: set[int] = set()
    while True:
        off = [g for g in range(len(state.load)) if chains.excess(g) > 0 and g not in stuck]
        if not off:
            break
        g = min(off, key=lambda x: (-chains.excess(x), x))
        chain = chains.shortest(g, max_depth)
        if chain is None:
            stuck.add(g)
            continue
        for u, b in chain:
            state.apply(u, b)
        stuck.clear()
    return np.asarray(state.labels, dtype=np.int64)
