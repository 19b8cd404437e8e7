"""Step 3: communities and streets grown on the unit graph, and their names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .common import ESTATE, FRINGE, HH_DENSITY, OLD, VILLAGE, group_rank
from .graph import Graph, partition
from .units import CoreFrame, Units


def words(text: str) -> tuple[str, ...]:
    """Split a space-separated word list (keeps long Chinese lists compact in the source)."""
    return tuple(text.split())


URBAN_PREFIXES = words(
    "文昌 青云 荆公 玉茗 汝水 抚河 梦湖 名人 才子 赣东 大公 羊城 钟岭 "
    "凤岗 金柅 临汝 拟岘 正觉 六水 桥东 西湖 香楠 龙津 荆湖 学府 迎宾 "
    "华溪 白沙 桂花 迎春 朝阳 向阳 红旗 建设 人民 解放 五一 长虹 明珠 "
    "锦绣 滨江 紫荆 怡园 翠竹 丹桂 瑞金 大华 兴鲁 汤公 王府 状元 书院 "
    "文峰 南城 北门 东门 西门 灵芝 上池 赣抚 洪门 金溪 云山 罗湖 崇仁 "
    "宜黄 龙泉 凤凰 青山 金桥 春晖"
)
URBAN_SUFFIXES = tuple("里峰路苑园门桥湖坊街洲坪亭岭阁台")
VILLAGE_FIRST = tuple("上下大小东西南北前后新老长石黄高塘枫杨桥竹")
VILLAGE_SECOND = tuple("塘坑岭坪源湾洲埠坊港头田山桥岗圩")
SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏付方白邹孟熊秦邱江尹薛段雷侯龙史黎贺顾毛饶艾揭危"
    "乐章龚邵万严戴"
)
#: Rough frequency weights: the common surnames (and Jiangxi's 吴, 黄, 徐, 饶) come up more.
SURNAME_WEIGHTS = np.array(
    [8 if i < 10 else 4 if i < 30 else 2 for i in range(len(SURNAMES))], dtype=float
)
for _name in "吴黄徐饶揭危艾":
    SURNAME_WEIGHTS[SURNAMES.index(_name)] += 3
GIVEN_CHARS = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红玲文辉志斌浩宇晨欣怡佳慧俊峰鹏飞"
    "丹萍兰凤云春梅海波林军亮宏军晶婷雪琴燕子涵梓轩子豪雨欣诗思源嘉琪一凡博文雅婷金龙福生根"
    "水发荣贵珍秋菊德胜永清"
)
ESTATE_PREFIXES = words(
    "锦绣 御景 翡翠 碧桂 金域 香榭 书香 滨江 凤凰 玉茗 汝水 梦湖 名门 "
    "中央 学府 盛世 东方 天骄 阳光 幸福 和谐 世纪 时代 金色 银河 华侨 "
    "锦江 恒达 嘉禾 瑞景 润城 江南 水岸 湖畔 都市 新城 城南 城北 紫金 "
    "尚城 钰龙 华润 宏源 赣东 荆公 临川 才子 文昌 青云 兴鲁 丽景 康城 "
    "君悦 铂悦"
)
ESTATE_SUFFIXES = words(
    "花园 华府 名城 家园 公馆 雅苑 豪庭 府 湾 城 佳苑 春天 一品 壹号 新村 小区 公寓 苑"
)
OLD_SUFFIXES = ("小区", "新村", "宿舍", "大院", "公寓", "里")
PHASES = ("", "一期", "二期", "三期", "四期")


def unique_names(pool: Sequence[str], n: int, rng: np.random.Generator) -> list[str]:
    """n distinct names drawn without replacement from a pool."""
    if n > len(pool):
        raise ValueError(f"name pool too small: {len(pool)} < {n}")
    return [pool[i] for i in rng.choice(len(pool), size=n, replace=False)]


def reading_order(xy: np.ndarray, row_height: float) -> np.ndarray:
    """Order points like text: north to south in rows, west to east in a row (stable codes)."""
    row = np.floor(-xy[:, 1] / row_height)
    return np.lexsort((xy[:, 0], row))


@dataclass
class Admin:
    """Administrative hierarchy: streets and communities, with codes and names."""

    unit_comm: np.ndarray  # community index per unit
    comm_street: np.ndarray  # street index per community
    comm_kind: np.ndarray  # 'urban' | 'village'
    comm_code: np.ndarray
    comm_name: np.ndarray
    street_code: np.ndarray
    street_name: np.ndarray
    street_core: np.ndarray
    unit_code: np.ndarray
    unit_type: np.ndarray  # building design type per unit


def weighted_centroids(xy: np.ndarray, w: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """Weighted mean position of each label group."""
    tot = np.bincount(labels, weights=w, minlength=n)
    return np.column_stack(
        [np.bincount(labels, weights=w * xy[:, d], minlength=n) / tot for d in range(2)]
    )


def _grow_communities(
    units: Units,
    graph: Graph,
    frames: Sequence[CoreFrame],
    weight: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's community and each community's core: balanced regions of every core."""
    unit_comm = np.full(len(units.geom), -1)
    comm_core: list[int] = []
    for i, frame in enumerate(frames):
        nodes = np.flatnonzero(units.core == i)
        lab = partition(graph, nodes, frame.spec.n_communities, weight, units.xy, rng)
        unit_comm[nodes] = lab + len(comm_core)
        comm_core += [i] * frame.spec.n_communities
    return unit_comm, np.array(comm_core)


def _grow_streets(
    frames: Sequence[CoreFrame],
    comm_graph: Graph,
    comm_core: np.ndarray,
    comm_w: np.ndarray,
    comm_xy: np.ndarray,
    is_village: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Each community's street, each street's core and name: balanced regions of communities."""
    comm_street = np.full(len(comm_core), -1)
    street_core: list[int] = []
    street_name: list[str] = []
    for i, frame in enumerate(frames):
        nodes = np.flatnonzero(comm_core == i)
        k = len(frame.spec.street_names)
        lab = partition(comm_graph, nodes, k, comm_w, comm_xy, rng)
        # Streets with the fewest villages get the 街道 names, in order of closeness to centre.
        vshare = np.bincount(lab, weights=is_village[nodes], minlength=k) / np.bincount(lab)
        sxy = weighted_centroids(comm_xy[nodes], comm_w[nodes], lab, k)
        dist = np.hypot(*(sxy - frame.centre_m).T)
        urban = np.lexsort((dist, vshare))[: frame.spec.n_urban_streets]
        urban = urban[np.argsort(dist[urban])]
        rural = np.setdiff1d(np.arange(k), urban)
        rural = rural[np.argsort(dist[rural])]
        name_order = np.concatenate([urban, rural])  # street at position p gets names[p]
        new_index = np.empty(k, dtype=np.int64)
        new_index[name_order] = np.arange(k)
        comm_street[nodes] = new_index[lab] + len(street_core)
        street_core += [i] * k
        street_name += list(frame.spec.street_names)
    return comm_street, np.array(street_core), street_name


def _codes(
    frames: Sequence[CoreFrame],
    units: Units,
    unit_comm: np.ndarray,
    comm_street: np.ndarray,
    comm_xy: np.ndarray,
    street_core: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Street, community and unit codes, numbered in reading order inside their parent."""
    street_code = np.array(
        [
            f"{frames[c].spec.district_code}{j + 1:03d}"
            for c in range(len(frames))
            for j in range(int((street_core == c).sum()))
        ]
    )
    comm_code = np.empty(len(comm_street), dtype=object)
    for s in range(len(street_core)):
        members = np.flatnonzero(comm_street == s)
        order = members[reading_order(comm_xy[members], 600.0)]
        for j, c in enumerate(order):
            comm_code[c] = f"{street_code[s]}{j + 1:03d}"
    unit_code = np.empty(len(unit_comm), dtype=object)
    order, rank = group_rank(unit_comm, reading_key(units.xy, 150.0))
    unit_code[order] = [
        f"{comm_code[c]}U{r + 1:03d}" for c, r in zip(unit_comm[order], rank, strict=True)
    ]
    if rank.max() >= 999:
        raise RuntimeError("a community has more than 999 units")
    return street_code, comm_code.astype(str), unit_code.astype(str)


def build_admin(
    units: Units, graph: Graph, frames: Sequence[CoreFrame], rng: np.random.Generator
) -> Admin:
    """Grow communities then streets per core, decide village/urban, name and code them."""
    target = units.area * HH_DENSITY[units.zone]
    weight = target + 0.35 * target.sum() / units.area.sum() * units.area
    n = len(units.geom)
    unit_comm, comm_core = _grow_communities(units, graph, frames, weight, rng)
    n_comm = len(comm_core)
    village_share = np.bincount(unit_comm, weights=(units.zone == VILLAGE), minlength=n_comm)
    village_share /= np.bincount(unit_comm, minlength=n_comm)
    is_village = village_share >= 0.5
    comm_kind = np.where(is_village, "village", "urban")

    unit_type = np.where(is_village[unit_comm], VILLAGE, np.minimum(units.zone, FRINGE))
    # Redevelopment: some old-town blocks became high-rise estates, some estates are older.
    flip = rng.uniform(size=n)
    unit_type = np.where((unit_type == OLD) & (flip < 0.12), ESTATE, unit_type)
    unit_type = np.where((unit_type == ESTATE) & (flip > 0.85), OLD, unit_type)

    comm_xy = weighted_centroids(units.xy, weight, unit_comm, n_comm)
    comm_w = np.bincount(unit_comm, weights=weight, minlength=n_comm)
    comm_graph = graph.quotient(unit_comm, n_comm)
    comm_street, street_core, street_name = _grow_streets(
        frames, comm_graph, comm_core, comm_w, comm_xy, is_village, rng
    )
    street_code, comm_code, unit_code = _codes(
        frames, units, unit_comm, comm_street, comm_xy, street_core
    )
    comm_name = community_names(is_village, rng)
    return Admin(
        unit_comm,
        comm_street,
        comm_kind,
        comm_code,
        comm_name,
        street_code,
        np.array(street_name),
        street_core,
        unit_code,
        unit_type,
    )


def reading_key(xy: np.ndarray, row_height: float) -> np.ndarray:
    """A scalar sort key equivalent to reading order (rows north to south, then west-east)."""
    row = np.floor(-xy[:, 1] / row_height)
    return row * 1e7 + (xy[:, 0] - xy[:, 0].min())


def community_names(is_village: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """'文昌里社区' style names for urban communities and '长岭村' / '张家村' for villages."""
    urban_pool = [p + s + "社区" for p in URBAN_PREFIXES for s in URBAN_SUFFIXES]
    village_pool = [a + b + "村" for a in VILLAGE_FIRST for b in VILLAGE_SECOND]
    village_pool += [s + "家村" for s in SURNAMES]
    names = np.empty(len(is_village), dtype=object)
    names[~is_village] = unique_names(urban_pool, int((~is_village).sum()), rng)
    names[is_village] = unique_names(village_pool, int(is_village.sum()), rng)
    return names.astype(str)
