"""Step 5d: initial grid and building leader assignments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from .admin import Admin
from .buildings import Buildings
from .common import VILLAGE, group_rank, xy_of
from .layers import Layer
from .party import Party


def random_dates(n: int, rng: np.random.Generator, start: str, end: str) -> np.ndarray:
    """Uniform dates in [start, end] as 'YYYY-MM-DD'."""
    a, b = np.datetime64(start), np.datetime64(end)
    days = rng.integers(0, int((b - a).astype(int)) + 1, n)
    return np.datetime_as_string(a + days.astype("timedelta64[D]"), unit="D")


def first_of_groups(groups: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every distinct group, the row with the smallest key: (groups, row indices)."""
    order, rank = group_rank(groups, key)
    rows = order[rank == 0]
    return groups[rows], rows


def pick_grid_leaders(
    party: Party, member_grid: np.ndarray, grid_comm: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """One member per grid: someone living in it, preferably of the community's own party
    organisation; a grid nobody lives in takes a member of its community."""
    n_grid = len(grid_comm)
    own_org = party.member_org == party.comm_org[party.member_comm]
    key = rng.uniform(size=len(own_org)) - own_org
    grids, rows = first_of_groups(member_grid, key)
    leader = np.full(n_grid, -1)
    same_comm = party.member_comm[rows] == grid_comm[grids]
    leader[grids[same_comm]] = rows[same_comm]
    used = np.zeros(len(own_org), dtype=bool)
    used[leader[leader >= 0]] = True
    for g in np.flatnonzero(leader < 0):  # rare: nobody lives there
        cand = np.flatnonzero((party.member_comm == grid_comm[g]) & ~used)
        leader[g] = cand[rng.integers(len(cand))]
        used[leader[g]] = True
    return leader


def pick_building_leaders(
    party: Party,
    b: Buildings,
    admin: Admin,
    taken: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Leaders for 80 % of urban buildings with >= 20 households: a resident of the building
    if one is free, else the nearest free member of the same community.

    Returns the buildings that got a leader and the leaders' member indices.
    """
    used = taken.copy()
    urban = admin.unit_type[b.unit] != VILLAGE
    eligible = np.flatnonzero(urban & (b.households >= 20))
    chosen = np.sort(rng.choice(eligible, size=int(round(0.8 * len(eligible))), replace=False))
    wanted = np.zeros(len(b.unit), dtype=bool)
    wanted[chosen] = True
    leader = np.full(len(b.unit), -1)
    free = np.flatnonzero(~used & wanted[party.member_building])
    homes, rows = first_of_groups(party.member_building[free], rng.uniform(size=len(free)))
    leader[homes] = free[rows]
    used[free[rows]] = True

    b_xy = xy_of(shapely.centroid(b.geom_m))
    missing = chosen[leader[chosen] < 0]
    b_comm = admin.unit_comm[b.unit]
    for c in np.unique(b_comm[missing]):  # one small distance search per community
        cand = np.flatnonzero((party.member_comm == c) & ~used)
        for bi in missing[b_comm[missing] == c]:
            if len(cand) == 0:
                break
            j = int(np.argmin(np.hypot(*(party.member_xy[cand] - b_xy[bi]).T)))
            leader[bi] = cand[j]
            cand = np.delete(cand, j)
    has = chosen[leader[chosen] >= 0]
    return has, leader[has]


def build_assignments(
    party: Party,
    b: Buildings,
    bcodes: np.ndarray,
    admin: Admin,
    unified: Layer,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Grid leaders (one per unified grid) and building leaders; nobody holds two roles."""
    member_grid = unified.grid_of_unit[b.unit[party.member_building]]
    comm_index = pd.Series(np.arange(len(admin.comm_code)), index=admin.comm_code)
    grid_comm = comm_index[unified.grid_comm].to_numpy()
    grid_leader = pick_grid_leaders(party, member_grid, grid_comm, rng)
    taken = np.zeros(len(party.member_code), dtype=bool)
    taken[grid_leader] = True
    buildings, b_leader = pick_building_leaders(party, b, admin, taken, rng)
    n_g, n_b = len(grid_leader), len(buildings)
    return pd.DataFrame(
        {
            "member_code": np.concatenate(
                [party.member_code[grid_leader], party.member_code[b_leader]]
            ),
            "role": ["grid_leader"] * n_g + ["building_leader"] * n_b,
            "target_kind": ["grid"] * n_g + ["building"] * n_b,
            "target_code": np.concatenate([unified.grid_code, bcodes[buildings]]),
            "starts_on": np.concatenate(
                [
                    random_dates(n_g, rng, "2024-01-01", "2025-06-30"),
                    random_dates(n_b, rng, "2024-01-01", "2025-12-31"),
                ]
            ),
        }
    )
