"""Province totals (江西省, 2020 census and the grid reform reports) and array helpers."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

DEFAULT_SEED = 36
UNITS = 750_000  # base units at scale 1 (the optimizer's province bench used 760,000)
STREETS = 1_560  # streets and townships (街道/乡镇)
COMMUNITIES = 20_000  # villages and communities (村/社区)
UNIFIED_GRIDS = 176_000  # today's unified grids of Jiangxi
HOUSEHOLDS = 15_800_000  # 45.2 M people / 2.86 persons per household
HOUSEHOLDS_PER_MEMBER = 13  # the sample city's ratio (18,000 members : 240,000 households)
INCIDENTS_PER_HOUSEHOLD = 0.06  # the sample city's ratio
HOUSEHOLDS_PER_BUILDING = 17.6  # the sample city: 28,421 buildings for 500,000 households
BUILDING_LEADER_SHARE = 0.26  # the sample city: 7,389 building leaders for 28,421 buildings
UNITS_PER_ZONGZHI_GRID = 4  # the departmental 综治 layer: finer than the unified one
URBAN_DENSITY = 6.0  # units per km2 in a city district (区) relative to a county (县)
OFFSET = 1000.0  # degrees between groups in a KD-tree, so that a query never leaves its group
GRID_SIZE = 1e-7  # output precision in degrees (about 1 cm), as in the sample city


def rng(seed: int, stage: int) -> np.random.Generator:
    """One independent random stream per pipeline stage (as the sample city does)."""
    return np.random.default_rng([seed, stage])


def rank_within(group: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Position of each element inside its group when the group is ordered by ``key``."""
    order = np.lexsort((key, group))
    sorted_group = group[order]
    starts = np.searchsorted(sorted_group, sorted_group, side="left")
    rank = np.empty(len(group), dtype=np.int64)
    rank[order] = np.arange(len(group)) - starts
    return rank


def nearest_in_group(
    xy: np.ndarray, group: np.ndarray, seed_xy: np.ndarray, seed_group: np.ndarray
) -> np.ndarray:
    """Index of the nearest seed of the same group for every point (groups shifted apart)."""
    tree = cKDTree(np.column_stack([seed_xy[:, 0] + OFFSET * seed_group, seed_xy[:, 1]]))
    _, idx = tree.query(np.column_stack([xy[:, 0] + OFFSET * group, xy[:, 1]]))
    return np.asarray(idx, dtype=np.int64)


def allocate(total: int, weights: np.ndarray, minimum: int = 1) -> np.ndarray:
    """Integers proportional to ``weights``, each at least ``minimum``, summing to about total."""
    share = weights / weights.sum() * total
    out = np.maximum(np.floor(share).astype(np.int64), minimum)
    short = total - int(out.sum())
    if short > 0:  # largest remainders first, deterministic
        out[np.argsort(-(share - np.floor(share)), kind="stable")[:short]] += 1
    return out


def codes(prefix: np.ndarray, number: np.ndarray, width: int) -> np.ndarray:
    """``prefix`` + zero-padded ``number`` (1-based), as a string array."""
    return np.char.add(prefix.astype(str), np.char.zfill((number + 1).astype(str), width))
