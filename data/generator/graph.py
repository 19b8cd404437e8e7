"""Step 3's tools: rook adjacency of the units, seeds, balanced region growing, connectivity."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import shapely


@dataclass
class Graph:
    """Undirected graph in CSR form (neighbours of i are idx[ptr[i]:ptr[i+1]])."""

    n: int
    ptr: np.ndarray
    idx: np.ndarray
    edges: np.ndarray  # (m, 2) with i < j

    @classmethod
    def from_edges(cls, n: int, edges: np.ndarray) -> Graph:
        both = np.concatenate([edges, edges[:, ::-1]])
        both = both[np.lexsort((both[:, 1], both[:, 0]))]
        ptr = np.r_[0, np.cumsum(np.bincount(both[:, 0], minlength=n))]
        return cls(n, ptr, both[:, 1].copy(), edges)

    def neighbours(self, i: int) -> np.ndarray:
        return self.idx[self.ptr[i] : self.ptr[i + 1]]

    def quotient(self, labels: np.ndarray, n_labels: int) -> Graph:
        """Graph of groups: two groups touch when any of their members touch."""
        a, b = labels[self.edges[:, 0]], labels[self.edges[:, 1]]
        keep = a != b
        pairs = np.unique(np.sort(np.column_stack([a[keep], b[keep]]), axis=1), axis=0)
        return Graph.from_edges(n_labels, pairs)


def rook_adjacency(polys: np.ndarray) -> Graph:
    """Neighbours that share an edge of positive length (a corner touch does not count)."""
    tree = shapely.STRtree(polys)
    i, j = tree.query(polys, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    shared = shapely.length(shapely.intersection(polys[i], polys[j]))
    edges = np.column_stack([i, j])[shared > 0]
    return Graph.from_edges(len(polys), edges)


def component_count(graph: Graph, labels: np.ndarray) -> np.ndarray:
    """Number of connected pieces of every label (1 == contiguous), by label propagation.

    Vectorised: each round every node takes the smallest id among same-label neighbours.
    """
    comp = np.arange(graph.n)
    e = graph.edges[labels[graph.edges[:, 0]] == labels[graph.edges[:, 1]]]
    while True:
        new = comp.copy()
        np.minimum.at(new, e[:, 0], comp[e[:, 1]])
        np.minimum.at(new, e[:, 1], comp[e[:, 0]])
        new = new[new]  # pointer jumping speeds up long chains
        if np.array_equal(new, comp):
            break
        comp = new
    pairs = np.unique(np.column_stack([labels, comp]), axis=0)
    return np.bincount(pairs[:, 0], minlength=int(labels.max()) + 1)


def kmeans_seeds(xy: np.ndarray, w: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k distinct node indices spread by weighted k-means (k-means++ start, 8 Lloyd rounds).

    More weight attracts more centres, so heavy areas get smaller regions.
    """
    n = len(xy)
    if k >= n:
        return np.arange(n)
    p = w / w.sum()
    centres = [xy[rng.choice(n, p=p)]]
    d2 = ((xy - centres[0]) ** 2).sum(1)
    for _ in range(k - 1):
        q = w * d2
        c = xy[rng.choice(n, p=q / q.sum())] if q.sum() > 0 else xy[rng.choice(n)]
        centres.append(c)
        d2 = np.minimum(d2, ((xy - c) ** 2).sum(1))
    cent = np.array(centres)
    for _ in range(8):
        dist = ((xy[:, None, :] - cent[None, :, :]) ** 2).sum(2)
        lab = dist.argmin(1)
        tot = np.bincount(lab, weights=w, minlength=k)
        for dim in range(2):
            s = np.bincount(lab, weights=w * xy[:, dim], minlength=k)
            cent[:, dim] = np.where(tot > 0, s / np.maximum(tot, 1e-12), cent[:, dim])
    dist = ((xy[:, None, :] - cent[None, :, :]) ** 2).sum(2)
    taken = np.zeros(n, dtype=bool)
    seeds = np.empty(k, dtype=np.int64)
    for c in np.argsort(dist.min(0)):
        row = np.where(taken, np.inf, dist[:, c])
        seeds[c] = int(np.argmin(row))
        taken[seeds[c]] = True
    return seeds


def grow_regions(
    graph: Graph, nodes: np.ndarray, seeds: np.ndarray, weight: np.ndarray, xy: np.ndarray
) -> np.ndarray:
    """Balanced multi-source region growing; returns a region id (0..k-1) per node of `nodes`.

    The lightest region always grows next, taking its unassigned neighbour closest to its seed;
    regions only ever absorb adjacent nodes, so every region is contiguous. The node subgraph
    must be connected so that every node is reached.
    """
    allowed = np.zeros(graph.n, dtype=bool)
    allowed[nodes] = True
    label = np.full(graph.n, -1)
    load = weight[seeds].astype(float).copy()
    frontier: list[list[tuple[float, int]]] = [[] for _ in seeds]
    queue = [(load[r], r) for r in range(len(seeds))]
    heapq.heapify(queue)

    def expand(r: int, node: int) -> None:
        label[node] = r
        for nb in graph.neighbours(node):
            if allowed[nb] and label[nb] < 0:
                d = float(np.hypot(*(xy[nb] - xy[seeds[r]])))
                heapq.heappush(frontier[r], (d, int(nb)))

    for r, s in enumerate(seeds):
        label[s] = r
    for r, s in enumerate(seeds):
        expand(r, int(s))
    while queue:
        current, r = heapq.heappop(queue)
        if current != load[r]:
            continue
        heap = frontier[r]
        while heap and label[heap[0][1]] >= 0:
            heapq.heappop(heap)
        if not heap:
            continue  # boxed in; the others go on
        _, node = heapq.heappop(heap)
        expand(r, node)
        load[r] += weight[node]
        heapq.heappush(queue, (load[r], r))
    out = label[nodes]
    if (out < 0).any():
        raise RuntimeError("region growing could not reach every node (disconnected graph)")
    return out


def partition(
    graph: Graph,
    nodes: np.ndarray,
    k: int,
    weight: np.ndarray,
    xy: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Cut a connected node set into k contiguous regions of similar weight."""
    if k <= 1:
        return np.zeros(len(nodes), dtype=np.int64)
    local = kmeans_seeds(xy[nodes], weight[nodes] + 1e-9, k, rng)
    return grow_regions(graph, nodes, nodes[local], weight, xy)


def rebalance(
    graph: Graph, labels: np.ndarray, weight: np.ndarray, block: np.ndarray, passes: int = 4
) -> np.ndarray:
    """Move border nodes from heavier to lighter neighbouring regions, keeping contiguity.

    A move of node u (weight w) from region s to region d is made only when
    load[s] - load[d] > w, which strictly lowers the sum of squared loads, so the loop
    converges. Moves never cross `block` lines (e.g. communities) and never split or empty the
    donor region. `labels` covers all graph nodes; -1 marks nodes outside the partition.
    """
    lab = labels.copy()
    inside = lab >= 0
    n_reg = int(lab.max()) + 1
    load = np.bincount(lab[inside], weights=weight[inside], minlength=n_reg)
    size = np.bincount(lab[inside], minlength=n_reg)
    e0, e1 = graph.edges[:, 0], graph.edges[:, 1]

    def stays_connected(region: int, node: int) -> bool:
        rest = [int(v) for v in graph.neighbours(node) if lab[v] == region]
        if not rest:
            return False
        seen = {rest[0]}
        stack = [rest[0]]
        while stack:
            for v in graph.neighbours(stack.pop()):
                if lab[v] == region and v != node and int(v) not in seen:
                    seen.add(int(v))
                    stack.append(int(v))
        return len(seen) == size[region] - 1

    for _ in range(passes):
        a, b = lab[e0], lab[e1]
        ok = (a >= 0) & (b >= 0) & (a != b) & (block[e0] == block[e1])
        node = np.concatenate([e0[ok], e1[ok]])
        src = np.concatenate([a[ok], b[ok]])
        dst = np.concatenate([b[ok], a[ok]])
        gain = load[src] - load[dst] - weight[node]
        keep = (gain > 0) & (weight[node] > 0)
        order = np.argsort(-gain[keep], kind="stable")
        moved = 0
        for u, s, d in zip(node[keep][order], src[keep][order], dst[keep][order], strict=True):
            if lab[u] != s or size[s] <= 1 or load[s] - load[d] <= weight[u]:
                continue
            if not (lab[graph.neighbours(u)] == d).any():  # its link to d may have moved away
                continue
            if not stays_connected(int(s), int(u)):
                continue
            lab[u] = d
            load[s] -= weight[u]
            load[d] += weight[u]
            size[s] -= 1
            size[d] += 1
            moved += 1
        if moved == 0:
            break
    return lab
