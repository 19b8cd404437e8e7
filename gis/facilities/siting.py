"""Siting (选址): where would 1–5 new facilities of a kind bring the most uncovered people needing
care (关爱对象, the base units' count of elderly living alone and others) within a walk?

A maximal covering location problem (MCLP), solved by spopt (PySAL) with PuLP's CBC rather than
a solver of our own. Its inputs come from PostGIS: the demand is every unit of the caller's
scope with people needing care that no facility of the kind reaches yet; the candidate sites are
the network nodes those units step onto (the heaviest :data:`MAX_CANDIDATES`); the coverage
matrix is one ``pgr_drivingDistance`` call from all candidates at once. The greedy choice (take
the site that covers most, again and again) runs on the same matrix, so the bench can compare.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission
from gis.errors import Invalid
from gis.facilities.kinds import FacilityKind
from gis.facilities.reach import (
    EDGES,
    near_units,
    stage_reach,
    stage_sources,
    stage_units,
    unit_seconds_sql,
)

log = logging.getLogger(__name__)

#: Candidate sites at most (the nodes of the heaviest uncovered units): the matrix stays small.
MAX_CANDIDATES = 400
#: Seconds standing for "not within reach" in the cost matrix.
FAR = 1e9


@dataclass(frozen=True)
class Site:
    """A proposed site: a network node, where it is, and the people it newly brings in reach."""

    node: int
    lon: float
    lat: float
    care_people: int


@dataclass
class SitingResult:
    """The MCLP's sites and the greedy ones, with what each covers and how long each took."""

    kind: str
    minutes: int
    sites: int
    uncovered_care_people: int
    candidates: int
    mclp: list[Site] = field(default_factory=list)
    mclp_covered: int = 0
    mclp_seconds: float = 0.0
    greedy: list[Site] = field(default_factory=list)
    greedy_covered: int = 0
    greedy_seconds: float = 0.0
    matrix_seconds: float = 0.0


def _matrix(conn: Connection, limit_s: float) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """(demand weights, cost matrix demand × candidate in seconds, candidate node ids)."""
    demand = conn.exec_driver_sql(
        "SELECT id, node, access_s, care_people FROM s_site_demand ORDER BY id"
    ).all()
    candidates = [
        int(r[0])
        for r in conn.exec_driver_sql(
            "SELECT node FROM s_site_demand GROUP BY node "
            f"ORDER BY sum(care_people) DESC, node LIMIT {MAX_CANDIDATES}"
        )
    ]
    weights = np.array([int(r[3]) for r in demand], dtype=float)
    cost = np.full((len(demand), len(candidates)), FAR)
    if not candidates:
        return weights, cost, candidates
    rows = conn.execute(
        text(
            """SELECT d.from_v, s.id, d.agg_cost + s.access_s
               FROM pgr_drivingDistance(:edges, CAST(:starts AS bigint[]), :limit,
                                        directed => false, equicost => false) AS d
               JOIN s_site_demand s ON s.node = d.node
               WHERE d.agg_cost + s.access_s <= :limit"""
        ),
        {"edges": f"{EDGES} {near_units(conn, limit_s)}", "starts": candidates, "limit": limit_s},
    ).all()
    row_of = {int(r[0]): i for i, r in enumerate(demand)}
    col_of = {node: j for j, node in enumerate(candidates)}
    for start, unit, seconds in rows:
        cost[row_of[int(unit)], col_of[int(start)]] = float(seconds)
    return weights, cost, candidates


def _greedy(covers: np.ndarray, weights: np.ndarray, sites: int) -> list[int]:
    """Columns chosen one at a time, each covering the most weight still uncovered."""
    left = weights.copy()
    chosen: list[int] = []
    for _ in range(min(sites, covers.shape[1])):
        gains = left @ covers
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        chosen.append(best)
        left[covers[:, best]] = 0
    return chosen


def _mclp(cost: np.ndarray, weights: np.ndarray, limit_s: float, sites: int) -> list[int]:
    import pulp
    from spopt.locate import MCLP

    # Units no candidate reaches cannot change the answer: the model is built without them
    # (spopt builds it cell by cell in Python, so its size is most of the time).
    reached = (cost <= limit_s).any(axis=1)
    cost, weights = cost[reached], weights[reached]
    model = MCLP.from_cost_matrix(cost, weights, service_radius=limit_s, p_facilities=sites)
    model = model.solve(pulp.PULP_CBC_CMD(msg=False))
    return [j for j, var in enumerate(model.fac_vars) if (var.value() or 0) > 0.5]


def _sites(
    conn: Connection, columns: list[int], nodes: list[int], covers: np.ndarray, w: np.ndarray
) -> tuple[list[Site], int]:
    chosen = [nodes[j] for j in columns]
    where = {
        int(r[0]): (float(r[1]), float(r[2]))
        for r in conn.execute(
            text("SELECT id, ST_X(geom), ST_Y(geom) FROM walk_node WHERE id = ANY(:ids)"),
            {"ids": chosen},
        )
    }
    left = w.copy()
    out: list[Site] = []
    for j, node in zip(columns, chosen, strict=True):
        gain = int(left[covers[:, j]].sum())
        left[covers[:, j]] = 0
        out.append(Site(node, *where[node], gain))
    return out, int(w.sum() - left.sum())


def site_facilities(
    conn: Connection,
    kind: FacilityKind,
    *,
    access: Access,
    sites: int = 3,
    minutes: int = 15,
) -> SitingResult:
    """Where ``sites`` new facilities of ``kind`` would bring the most uncovered people needing
    care within ``minutes`` on foot, by MCLP and by the greedy choice, over the caller's scope."""
    access.require(Permission.RUN_SCENARIOS)
    if not 1 <= sites <= 5:
        raise Invalid(f"新增设施数应为 1–5 个 (sites must be 1–5, got {sites})")
    limit_s = minutes * 60.0
    stage_units(conn, access.scope.unit_sql("u"))
    stage_sources(conn, [kind], limit_s)
    stage_reach(conn, limit_s)
    conn.exec_driver_sql("DROP TABLE IF EXISTS s_site_demand")
    conn.exec_driver_sql(
        f"""CREATE TEMP TABLE s_site_demand ON COMMIT DROP AS
            SELECT u.id, u.node, u.access_s, u.care_people FROM s_cov_units u
            WHERE u.node IS NOT NULL AND u.care_people > 0
              AND u.id NOT IN (SELECT unit_id FROM ({unit_seconds_sql(limit_s)}) AS c)"""
    )
    started = time.perf_counter()
    weights, cost, nodes = _matrix(conn, limit_s)
    result = SitingResult(kind, minutes, sites, int(weights.sum()), len(nodes))
    result.matrix_seconds = time.perf_counter() - started
    if not nodes:
        return result
    covers = cost <= limit_s
    started = time.perf_counter()
    result.mclp, result.mclp_covered = _sites(
        conn, _mclp(cost, weights, limit_s, sites), nodes, covers, weights
    )
    result.mclp_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result.greedy, result.greedy_covered = _sites(
        conn, _greedy(covers, weights, sites), nodes, covers, weights
    )
    result.greedy_seconds = time.perf_counter() - started
    log.info("siting %s: mclp %d, greedy %d", kind, result.mclp_covered, result.greedy_covered)
    return result
