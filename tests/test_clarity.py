"""Boundary clarity in the optimizer: with it, grids part along the road; without it, along the
shortest line (gis/optimizer/clarity.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Connection, text

from gis.optimizer import optimize
from gis.optimizer.clarity import with_clarity
from gis.optimizer.graph import from_edges
from gis.optimizer.solver import partition_piece
from gis.scenarios.run import savepoint_tx
from gis.scenarios.worker import run_queued
from gis.unit_edges import judge_unit_edges
from tests.tiny_city import COMMUNITY_A, DISTRICT, STEP, X0, Y0, unit_code

# Four blocks of one community, two rows of two, each 1.1 wide and 1 high: the line between the
# columns is 2.0 long, the line between the rows 2.2 — and a main road runs between the rows.
#   U3 | U4
#   --road--
#   U1 | U2
IDS = np.array(["U1", "U2", "U3", "U4"], dtype=object)
EDGES = [(0, 1, 1.0), (2, 3, 1.0), (0, 2, 1.1), (1, 3, 1.1)]
KINDS = pd.DataFrame(
    {"a": ["U1", "U3", "U1", "U2"], "b": ["U2", "U4", "U3", "U4"],
     "kind": ["none", "none", "primary", "primary"]}
)  # fmt: skip


def _graph():
    i, j, length = (np.array(x) for x in zip(*EDGES, strict=True))
    return from_edges(
        ids=IDS, workload=np.ones(4), groups=np.zeros(4, dtype=np.int64),
        group_names=np.array(["c"], dtype=object), edge_i=i, edge_j=j, shared=length,
        centroids=np.array([[0.55, 0.5], [1.65, 0.5], [0.55, 1.5], [1.65, 1.5]]),
    )  # fmt: skip


def _grids(labels) -> set[frozenset[str]]:
    return {frozenset(IDS[labels == g]) for g in np.unique(labels)}


def test_without_clarity_grids_part_along_the_shorter_line() -> None:
    plan = optimize(_graph(), target=2, seed=0, workers=1)
    assert _grids(plan.labels) == {frozenset({"U1", "U3"}), frozenset({"U2", "U4"})}


def test_with_clarity_grids_part_along_the_road() -> None:
    graph = with_clarity(_graph(), KINDS, 1.0)
    # Cutting along nothing costs 1 + 4 × 1 times its length; along the main road, its length.
    i, j, _ = graph.edges()
    cuts = dict(zip(zip(IDS[i], IDS[j], strict=True), graph.edge_cuts(), strict=True))
    assert cuts[("U1", "U2")] == pytest.approx(5.0) and cuts[("U1", "U3")] == pytest.approx(1.1)
    # The same search from the same seed: it now keeps the dear edges inside the grids.
    assert _grids(partition_piece(_graph(), 2, seed=0)) == {
        frozenset({"U1", "U3"}),
        frozenset({"U2", "U4"}),
    }
    assert _grids(partition_piece(graph, 2, seed=0)) == {
        frozenset({"U1", "U2"}),
        frozenset({"U3", "U4"}),
    }
    # A plan's measures (compactness) read the true lengths, which the weights leave alone.
    assert graph.shared.tolist() == _graph().shared.tolist()


def test_a_scenario_with_clarity_parts_the_tiny_city_along_its_road(
    client_as, conn: Connection
) -> None:
    """The tiny city's community A (U1 U2 U4 U5 U7 U8, three rows of two blocks, one building
    each): every split into 3 + 3 cuts 3 blocks' sides, but with a main road between the columns
    the grids part along it."""
    road = f"LINESTRING({X0 + STEP} {Y0}, {X0 + STEP} {Y0 + 3 * STEP})"
    conn.execute(
        text(
            "INSERT INTO linear_feature (code, name, kind, district_id, geom) SELECT 'T-R9', "
            "'测试路', 'primary', id, ST_Multi(ST_GeomFromText(:wkt, 4326)) FROM district "
            "WHERE code = :d"
        ),
        {"wkt": road, "d": DISTRICT},
    )
    judge_unit_edges(conn, [DISTRICT])
    client = client_as("t-county")
    created = client.post(
        "/scenarios",
        json={"name": "沿路", "area": [COMMUNITY_A], "target_count": 2, "from_unified": False,
              "clarity": 1, "weights": {"households": 0, "buildings": 1}},
    )  # fmt: skip
    assert created.status_code == 202, created.text
    run_queued(savepoint_tx(conn))
    layer = f"scenario-{created.json()['id']}"
    grids = conn.execute(
        text(
            "SELECT array_agg(u.code ORDER BY u.code) FROM grid g "
            "JOIN grid_layer l ON l.id = g.layer_id JOIN grid_unit gu ON gu.grid_id = g.id "
            "JOIN base_unit u ON u.id = gu.unit_id WHERE l.code = :l GROUP BY g.id"
        ),
        {"l": layer},
    ).scalars()
    assert {tuple(g) for g in grids} == {
        tuple(unit_code(n) for n in (1, 4, 7)),
        tuple(unit_code(n) for n in (2, 5, 8)),
    }
