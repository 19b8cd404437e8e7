"""Step 5b: streets and the river, derived from the base units' own edges.

Why derive them instead of drawing them: the base units must stay exactly as they are (every
test pins their codes, grids and figures), yet grid boundaries only mean something when they run
along something people can see. So the units are *read* as blocks bounded by streets: every
shared edge between two units becomes a road, a river bank or nothing visible (a wall, the
back of a row of buildings), by what the edge separates:

- two streets/townships (街道/镇) → 主干道 (main road),
- two communities of one street → 次干道 (secondary road),
- two units of one community → 支路 (branch road) or 巷道 (lane) for a seeded share of edges,
  more lanes in the old town; the rest → nothing visible.

The 抚河 runs through 临川 from the south-east to the north-west (it flows north to 鄱阳湖, past
the old town's east side): it is the shortest chain of unit edges between two points near its
real course where it enters and leaves the urban core. Edges on it are the river's, not a road's.

Roads are the maximal chains (line merge) of same-class edges between the same pair of streets
(主干道), of communities (次干道) or inside one community (支路, 巷道), with pattern-made names.
Everything is vectorised; the only loop walks the river's shortest path back node by node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from .admin import Admin
from .common import CORES, GRID_SIZE, OLD, log, to_metres
from .graph import Graph
from .units import Units

if TYPE_CHECKING:
    from .check import Readback, Report

#: Edge classes, in the order a shared boundary is judged by (river first).
RIVER, PRIMARY, SECONDARY, BRANCH, LANE, NOTHING = range(6)
CLASS_NAMES = np.array(["河流", "主干道", "次干道", "支路", "巷道", ""])
#: Share of a community's inner edges that are a branch road / a lane (old town, elsewhere).
BRANCH_SHARE = 0.30
LANE_SHARE = (0.25, 0.10)
#: Where the 抚河 enters (south-east) and leaves (north-west) the 临川 core, lon/lat.
FUHE_COURSE = ((116.392, 27.918), (116.318, 28.030))
FUHE_NAME = "抚河"

ROAD_WORDS = (  # noqa: SIM905 (one word list a reader can scan)
    "赣东 临川 汝水 文昌 玉茗 才都 荆公 青云 钟岭 六水 梦湖 名人 迎宾 学府 伍塘 大公 "
    "羊城 赣抚 金巢 抚北 上顿 温泉 高坪 腾桥 龙津 钟楼 香楠 金溪 崇仁 宜黄 南丰 拟岘 "
    "正觉 伍家 华溪 兴鲁 仙盖 灵芝 沙洲 桃园 丰收 前进 建设 胜利 光明 和平 站前 江滨"
).split()
ORDINALS = ("", "一", "二", "三", "四", "五", "东", "西", "南", "北", "中")
#: Name suffix by class (rows: river, main, secondary, branch, lane) and a coin toss.
SUFFIXES = np.array([["", ""], ["大道", "路"], ["路", "街"], ["街", "路"], ["巷", "巷"]])


@dataclass
class Linear:
    """Roads and the river as output frames (EPSG:4326, lines on the 1e-7 degree grid)."""

    roads: gpd.GeoDataFrame
    rivers: gpd.GeoDataFrame


def shared_edges(units: Units, graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    """The line each adjacent pair shares (merged), and its pair index; one row per line part."""
    i, j = graph.edges[:, 0], graph.edges[:, 1]
    common = shapely.intersection(units.geom[i], units.geom[j])
    parts, pair = shapely.get_parts(common, return_index=True)
    keep = shapely.get_type_id(parts) == 1  # LineString; corner points fall out
    lines = shapely.multilinestrings(parts[keep], indices=pair[keep])
    pair_of_line = np.unique(pair[keep])
    merged, owner = shapely.get_parts(shapely.line_merge(lines), return_index=True)
    return merged, pair_of_line[owner]


def classify(
    units: Units, admin: Admin, graph: Graph, pair: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Road class of each edge line by what its two units belong to (river not yet)."""
    a, b = graph.edges[pair, 0], graph.edges[pair, 1]
    comm_a, comm_b = admin.unit_comm[a], admin.unit_comm[b]
    street_a, street_b = admin.comm_street[comm_a], admin.comm_street[comm_b]
    old = (units.zone[a] == OLD) | (units.zone[b] == OLD)
    u = rng.random(len(pair))
    lane = np.where(old, LANE_SHARE[0], LANE_SHARE[1])
    inner = np.select([u < BRANCH_SHARE, u < BRANCH_SHARE + lane], [BRANCH, LANE], NOTHING)
    return np.select([street_a != street_b, comm_a != comm_b], [PRIMARY, SECONDARY], inner)


def river_path(lines: np.ndarray, core: np.ndarray) -> np.ndarray:
    """Indices of the edge lines on the shortest chain between the 抚河's two course points."""
    on_core = np.flatnonzero(core == 0)  # 临川
    ends = np.column_stack(
        [shapely.get_point(lines[on_core], 0), shapely.get_point(lines[on_core], -1)]
    )
    xy = np.round(shapely.get_coordinates(ends.ravel()) / GRID_SIZE).astype(np.int64)
    keys, node = np.unique(xy, axis=0, return_inverse=True)
    node = node.reshape(-1, 2)
    length = shapely.length(to_metres(lines[on_core]))
    n = len(keys)
    both = coo_matrix(
        (np.r_[length, length], (np.r_[node[:, 0], node[:, 1]], np.r_[node[:, 1], node[:, 0]])),
        shape=(n, n),
    ).tocsr()
    course = np.round(np.array(FUHE_COURSE) / GRID_SIZE)
    nearest = [int(np.argmin(((keys - p) ** 2).sum(1))) for p in course]
    _, pred = dijkstra(both, indices=nearest[0], return_predecessors=True)
    link = {(int(p), int(q)): k for k, (p, q) in enumerate(node)}
    path, v = [], nearest[1]
    while v != nearest[0]:  # the path's own nodes, not the features: a graph search
        u = int(pred[v])
        path.append(link.get((u, v), link.get((v, u))))
        v = u
    return on_core[np.array(path[::-1], dtype=np.int64)]


def road_names(cls: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """'文昌大道', '玉茗二路', '荆公巷' style names from word, ordinal and class suffix."""
    word = np.array(ROAD_WORDS)[rng.integers(0, len(ROAD_WORDS), len(cls))]
    ordinal = np.array(ORDINALS)[rng.integers(0, len(ORDINALS), len(cls))]
    ordinal = np.where(cls == PRIMARY, "", ordinal)
    pick = rng.integers(0, 2, len(cls))
    return np.char.add(np.char.add(word, ordinal), SUFFIXES[cls, pick])


def build_linear(units: Units, admin: Admin, graph: Graph, rng: np.random.Generator) -> Linear:
    """Roads and the river of the city (see the module docstring)."""
    lines, pair = shared_edges(units, graph)
    cls = classify(units, admin, graph, pair, rng)
    cls[river_path(lines, units.core[graph.edges[pair, 0]])] = RIVER
    a, b = graph.edges[pair, 0], graph.edges[pair, 1]
    comm_a, comm_b = admin.unit_comm[a], admin.unit_comm[b]
    street_a, street_b = admin.comm_street[comm_a], admin.comm_street[comm_b]
    group = np.select(
        [cls == PRIMARY, cls == SECONDARY],
        [
            np.minimum(street_a, street_b) * 100_000 + np.maximum(street_a, street_b),
            np.minimum(comm_a, comm_b) * 100_000 + np.maximum(comm_a, comm_b),
        ],
        comm_a,
    )
    road = (cls >= PRIMARY) & (cls <= LANE)
    frame = gpd.GeoDataFrame(
        {"cls": cls[road], "group": group[road], "core": units.core[a[road]]},
        geometry=lines[road],
    )
    dissolved = frame.dissolve(by=["cls", "group", "core"], sort=True).reset_index()
    chains, owner = shapely.get_parts(
        shapely.line_merge(dissolved.geometry.to_numpy()), return_index=True
    )
    road_cls = dissolved["cls"].to_numpy()[owner]
    road_core = dissolved["core"].to_numpy()[owner]
    district = np.array([c.district_code for c in CORES])[road_core]
    order = np.lexsort((shapely.get_coordinates(shapely.get_point(chains, 0))[:, 0], road_cls))
    chains, road_cls, district = chains[order], road_cls[order], district[order]
    codes = np.char.add(
        np.char.add(district, "R"), np.char.zfill(np.arange(1, len(chains) + 1).astype(str), 5)
    )
    roads = gpd.GeoDataFrame(
        {
            "code": codes,
            "name": road_names(road_cls, rng),
            "class": CLASS_NAMES[road_cls],
            "district_code": district,
        },
        geometry=shapely.set_precision(chains, GRID_SIZE),
        crs="EPSG:4326",
    )
    river_line = shapely.line_merge(shapely.union_all(lines[cls == RIVER]))
    rivers = gpd.GeoDataFrame(
        {
            "code": [f"{CORES[0].district_code}W0001"],
            "name": [FUHE_NAME],
            "class": [CLASS_NAMES[RIVER]],
            "district_code": [CORES[0].district_code],
        },
        geometry=shapely.set_precision(np.array([river_line]), GRID_SIZE),
        crs="EPSG:4326",
    )
    log(
        "edge km by class: "
        + ", ".join(f"{k or '无'} {v:.0f}" for k, v in class_lengths(lines, cls).items())
    )
    return Linear(roads, rivers)


def class_lengths(lines: np.ndarray, cls: np.ndarray) -> pd.Series:
    """Kilometres of unit edge per class (for the log and the checks)."""
    km = shapely.length(to_metres(lines)) / 1000
    return pd.Series(np.bincount(cls, weights=km, minlength=len(CLASS_NAMES)), index=CLASS_NAMES)


def check_linear(rep: Report, read: Readback) -> None:
    """Roads and the river follow unit edges, the river is one line, the classes are known."""
    roads, rivers = read.data["roads"], read.data["rivers"]

    def keys(geoms: np.ndarray) -> np.ndarray:
        xy = np.round(shapely.get_coordinates(geoms) / GRID_SIZE).astype(np.int64)
        return xy[:, 0] * 10_000_000_000 + xy[:, 1]

    # Every vertex of a road or the river is a vertex of the units' rings: they run on edges.
    lines = np.concatenate([roads.geometry.to_numpy(), rivers.geometry.to_numpy()])
    on_edges = np.isin(keys(lines), keys(read.geom))
    rep.check(
        bool(on_edges.all()), f"roads and the river follow unit edges ({on_edges.mean():.2%})"
    )
    rep.check(
        bool(np.isin(roads["class"], CLASS_NAMES[PRIMARY : LANE + 1]).all()),
        f"roads: {len(roads):,}, classes "
        + ", ".join(f"{k} {v}" for k, v in roads["class"].value_counts().items()),
    )
    rep.check(
        len(rivers) == 1 and shapely.get_type_id(rivers.geometry.iloc[0]) == 1,
        f"the river is one line ({rivers['name'].iloc[0]}, "
        f"{shapely.length(to_metres(rivers.geometry.to_numpy()))[0] / 1000:.1f} km)",
    )
