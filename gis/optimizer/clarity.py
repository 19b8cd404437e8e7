"""Boundary clarity (界定清晰) in the optimizer: cutting along a road or the river is cheap,
cutting through a block along nothing visible is dear.

The search already pays for the length of boundary it cuts (compactness). With a clarity
``strength`` s, an edge along kind k costs ``length × (1 + s × EXTRA[k])`` instead: an edge along
nothing visible costs 1 + 4s times its length, one along a main road or the river its length.
The grids' growth and the local search then prefer to part units where a road runs; balance
keeps its weight, so the price is paid in compactness first. Edges nobody judged (no road
known there, ``unit_edge.kind`` NULL) keep their length.

What each edge runs along comes from ``unit_edge`` (:mod:`gis.unit_edges`).
``bench/clarity.py`` measures the share of grid boundary on roads and rivers, and the balance,
with and without it, against METIS given the same edge weights.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from gis.optimizer.graph import UnitGraph
from gis.optimizer.io import area_filter

#: Extra cost per metre of cutting along each kind (times the strength), over its length.
EXTRA: dict[str, float] = {
    "river": 0.0,
    "primary": 0.0,
    "secondary": 0.25,
    "branch": 1.0,
    "lane": 2.0,
    "none": 4.0,
}

#: What the units of an area's edges run along, by unit code (either unit in the area).
_KINDS = """
SELECT a.code AS a, b.code AS b, e.kind
FROM unit_edge e JOIN base_unit a ON a.id = e.unit_a JOIN base_unit b ON b.id = e.unit_b
JOIN community c ON c.id = a.community_id
WHERE e.kind IS NOT NULL AND {area}
"""


def edge_kinds(conn: Connection, area: list[str]) -> pd.DataFrame:
    """Columns ``a``, ``b`` (unit codes) and ``kind`` of the judged edges of ``area``."""
    return pd.read_sql(
        text(_KINDS.format(area=area_filter("c.code"))), conn, params={"area": list(area)}
    )


def with_clarity(graph: UnitGraph, kinds: pd.DataFrame, strength: float) -> UnitGraph:
    """The same graph whose cuts cost more where nothing visible runs (see the module doc).

    ``kinds``: unit id pairs (``a``, ``b``, either order) with what their edge runs along, as
    :func:`edge_kinds` reads them; ``strength`` 0 returns the graph unchanged.
    """
    if strength <= 0 or kinds.empty:
        return graph
    position = pd.Series(np.arange(graph.n), index=pd.Index(graph.ids, dtype=object))
    a = position.reindex(kinds["a"].to_numpy()).to_numpy()
    b = position.reindex(kinds["b"].to_numpy()).to_numpy()
    known = ~(np.isnan(a) | np.isnan(b))
    extra = kinds["kind"].map(EXTRA).fillna(0.0).to_numpy()[known]
    a, b = a[known].astype(np.int64), b[known].astype(np.int64)
    # One key per directed CSR entry: row * n + column, sorted as the CSR is.
    rows = np.repeat(np.arange(graph.n), np.diff(graph.indptr))
    entries = rows * graph.n + graph.indices
    factor = np.ones(len(entries))
    for left, right in ((a, b), (b, a)):
        keys = left * graph.n + right
        at = np.searchsorted(entries, keys)
        hit = at < len(entries)
        hit[hit] = entries[at[hit]] == keys[hit]
        factor[at[hit]] = 1.0 + strength * extra[hit]
    return dataclasses.replace(graph, cut=graph.shared * factor)
