"""Grid layers: one departmental layer (综治) and the unified layer, both nested in communities.

Each community's units are split into nearest-seed groups around randomly chosen units of that
community. The unified layer gets ~176,000 grids at scale 1 (UNIFIED_GRIDS / UNITS of every
community's units); its household balance is left as a real merge leaves it — uneven — which
is what the optimizer is for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from provincegen.common import (
    UNIFIED_GRIDS,
    UNITS,
    UNITS_PER_ZONGZHI_GRID,
    nearest_in_group,
    rank_within,
    rng,
)
from provincegen.places import Places


@dataclass(frozen=True)
class Layer:
    """One grid layer: its grids (code, community index) and every unit's grid."""

    code: str
    name: str
    kind: str
    department: str
    grid_code: np.ndarray
    grid_comm: np.ndarray
    grid_of_unit: np.ndarray


def nested_layer(
    places: Places, comm_code: np.ndarray, units_per_grid: float, stage: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grids inside communities: (grid code, grid community, grid of each unit)."""
    size = np.bincount(places.unit_comm, minlength=len(comm_code))
    per_comm = np.clip(np.round(size / units_per_grid), 1, np.minimum(size, 999)).astype(np.int64)
    rank = rank_within(places.unit_comm, rng(seed, stage).random(len(places.xy)))
    grid_seed = np.flatnonzero(rank < per_comm[places.unit_comm])
    grid_seed = grid_seed[np.lexsort((rank[grid_seed], places.unit_comm[grid_seed]))]
    grid_comm = places.unit_comm[grid_seed]
    of_unit = nearest_in_group(places.xy, places.unit_comm, places.xy[grid_seed], grid_comm)
    number = rank_within(grid_comm, np.arange(len(grid_comm)))
    codes = np.char.add(comm_code[grid_comm], np.char.zfill((number + 1).astype(str), 3))
    return codes, grid_comm, of_unit


def build_layers(places: Places, comm_code: np.ndarray, seed: int) -> list[Layer]:
    """The 综治 layer and the unified layer, in that order."""
    zong = nested_layer(places, comm_code, UNITS_PER_ZONGZHI_GRID, 10, seed)
    unified = nested_layer(places, comm_code, UNITS / UNIFIED_GRIDS, 11, seed)
    return [
        Layer("zongzhi", "综治网格", "department", "综治办", *zong),
        Layer("unified", "统一网格", "unified", "", *unified),
    ]
