"""Step 5b: the incidents of 2025, located in units and routed to departments."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from .admin import Admin
from .buildings import Buildings
from .common import GRID_SIZE, INCIDENT_FACTOR, INCIDENTS_PER_HOUSEHOLD, to_degrees, xy_of
from .units import Units

#: category -> (department, base weight, per-type factors old/estate/fringe/village, templates)
CATEGORIES: dict[str, tuple[str, float, tuple[float, float, float, float], tuple[str, ...]]] = {
    "环境卫生": (
        "城管局",
        12,
        (1.2, 0.8, 1.0, 1.3),
        ("{p}：周边垃圾堆积，影响环境卫生", "{p}：楼道杂物堆放，需清理"),
    ),
    "占道经营": (
        "城管局",
        8,
        (1.8, 0.6, 1.0, 0.3),
        ("{p}：门口有流动摊贩占道经营", "{p}：附近商户出店经营占用人行道"),
    ),
    "违章搭建": (
        "城管局",
        5,
        (1.2, 0.7, 1.3, 1.5),
        ("{p}：楼顶疑似违章搭建", "{p}：一楼住户私自搭建雨棚"),
    ),
    "邻里纠纷": (
        "社区居委会",
        7,
        (1.2, 0.9, 1.0, 1.4),
        ("{p}：两户居民因漏水发生纠纷", "{p}：邻里因公共区域使用发生争执"),
    ),
    "噪音扰民": (
        "生态环境局",
        6,
        (1.2, 1.0, 1.0, 0.6),
        ("{p}：附近夜间施工噪音扰民", "{p}：附近广场舞音响声音过大"),
    ),
    "路灯损坏": (
        "城管局",
        4,
        (1.0, 1.0, 1.2, 1.0),
        ("{p}：楼旁路灯不亮，夜间出行不便", "{p}：附近多盏路灯损坏"),
    ),
    "井盖缺失": (
        "城管局",
        2,
        (1.3, 0.8, 1.0, 0.8),
        ("{p}：附近井盖缺失，存在安全隐患", "{p}：路口井盖破损松动"),
    ),
    "消防隐患": (
        "应急管理局",
        4,
        (1.5, 1.0, 1.0, 0.8),
        ("{p}：消防通道被车辆堵塞", "{p}：楼道灭火器过期未更换"),
    ),
    "垃圾清运": (
        "城管局",
        6,
        (1.2, 0.9, 1.0, 1.1),
        ("{p}：垃圾桶满溢未及时清运", "{p}：建筑垃圾长期未清运"),
    ),
    "下水道堵塞": (
        "住建局",
        5,
        (1.7, 0.7, 1.0, 0.6),
        ("{p}：下水道堵塞，污水外溢", "{p}：化粪池满溢需疏通"),
    ),
    "物业纠纷": (
        "住建局",
        5,
        (0.5, 1.8, 0.8, 0.1),
        ("{p}：业主反映物业服务不到位", "{p}：业主与物业因收费产生纠纷"),
    ),
    "养犬扰民": (
        "公安分局",
        3,
        (1.0, 1.3, 1.0, 0.8),
        ("{p}：有居民饲养犬只未拴绳", "{p}：犬只夜间吠叫扰民"),
    ),
    "高空抛物": (
        "公安分局",
        2,
        (0.7, 1.8, 0.6, 0.1),
        ("{p}：发生高空抛物，请求处理", "{p}：楼上住户向下抛扔垃圾"),
    ),
    "违规停车": (
        "公安分局",
        6,
        (1.4, 1.2, 1.0, 0.4),
        ("{p}：门口车辆乱停乱放", "{p}：小区出入口被违停车辆堵塞"),
    ),
    "电动车充电": (
        "应急管理局",
        4,
        (1.5, 1.2, 1.0, 0.5),
        ("{p}：居民在楼道内给电动车充电", "{p}：有住户飞线充电"),
    ),
    "安全隐患": (
        "应急管理局",
        4,
        (1.3, 0.9, 1.1, 1.0),
        ("{p}：外墙瓷砖脱落存在安全隐患", "{p}：附近广告牌松动"),
    ),
    "矛盾纠纷": (
        "社区居委会",
        4,
        (1.0, 1.0, 1.0, 1.3),
        ("{p}：居民因土地边界发生矛盾", "{p}：家庭矛盾需调解"),
    ),
    "政策咨询": (
        "社区居委会",
        4,
        (1.0, 1.0, 1.0, 1.0),
        ("{p}：居民咨询医保缴费政策", "{p}：居民咨询养老补贴申领"),
    ),
    "家庭困难": (
        "民政局",
        3,
        (1.3, 0.6, 1.0, 1.6),
        ("{p}：一户家庭生活困难申请救助", "{p}：独居老人生活困难需帮扶"),
    ),
    "其他": (
        "社区居委会",
        3,
        (1.0, 1.0, 1.0, 1.0),
        ("{p}：居民反映其他问题", "{p}：群众来电反映情况"),
    ),
}
STATES_OPEN = ("reported", "dispatched", "signed", "handled", "fed_back")


@dataclass
class Incidents:
    """A year of reported incidents (points in degrees) and the unit each falls in."""

    table: pd.DataFrame
    geom: np.ndarray
    unit: np.ndarray


def incident_times(n: int, rng: np.random.Generator) -> np.ndarray:
    """Timestamps over 2025: more in summer, fewer at weekends, mostly in working hours."""
    day = np.arange(365)
    season = 1.0 + 0.2 * np.sin(2 * np.pi * (day - 100) / 365)
    weekday = (day + 2) % 7  # 2025-01-01 is a Wednesday (Monday == 0)
    day_w = season * np.where(weekday >= 5, 0.7, 1.0)
    hour_w = np.array(
        [1, 0.5, 0.3, 0.3, 0.3, 0.6, 2, 5, 9, 11, 11, 9, 6, 6, 9, 10, 10, 9, 7, 6, 5, 4, 3, 2],
        dtype=float,
    )
    days = rng.choice(365, size=n, p=day_w / day_w.sum())
    hours = rng.choice(24, size=n, p=hour_w / hour_w.sum())
    seconds = days * 86400 + hours * 3600 + rng.integers(0, 3600, n)
    return np.sort(seconds)


def _at_buildings(
    admin: Admin, b: Buildings, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which incidents happen at a building, which building, and where (within 30 m)."""
    utype_b = admin.unit_type[b.unit]
    bw = b.households**0.9 * INCIDENT_FACTOR[utype_b]
    at_building = rng.uniform(size=n) < 0.85
    n_b = int(at_building.sum())
    bidx = rng.choice(len(b.unit), size=n_b, p=bw / bw.sum())
    centre = xy_of(shapely.centroid(b.geom_m[bidx]))
    r = 30.0 * np.sqrt(rng.uniform(size=n_b))
    phi = rng.uniform(0, 2 * np.pi, n_b)
    return at_building, bidx, centre + np.column_stack([r * np.cos(phi), r * np.sin(phi)])


def _on_streets(
    units: Units, admin: Admin, b: Buildings, n_s: int, rng: np.random.Generator
) -> np.ndarray:
    """Street incidents: 4 m inside a unit's edge, busier units more often."""
    unit_hh = np.bincount(b.unit, weights=b.households, minlength=len(units.geom))
    uw = np.sqrt(unit_hh + 20.0) * INCIDENT_FACTOR[admin.unit_type]
    uidx = rng.choice(len(units.geom), size=n_s, p=uw / uw.sum())
    on_edge = shapely.line_interpolate_point(
        shapely.get_exterior_ring(units.geom_m[uidx]), rng.uniform(size=n_s), normalized=True
    )
    edge_xy = xy_of(on_edge)
    inward = units.xy[uidx] - edge_xy
    inward /= np.maximum(np.hypot(*inward.T), 1e-9)[:, None]
    pts_s = edge_xy + inward * 4.0
    ok = shapely.contains_xy(units.geom_m[uidx], pts_s[:, 0], pts_s[:, 1])
    pts_s[~ok] = units.xy[uidx[~ok]]
    return pts_s


def _settle(
    units: Units, b: Buildings, xy: np.ndarray, at_building: np.ndarray, bidx: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points on the output grid, the unit of each, and which drifted off the city edge (those
    go back to their building's centroid)."""
    geom = shapely.set_precision(to_degrees(shapely.points(xy)), GRID_SIZE)
    unit = locate_points(geom, units.geom)
    outside = unit < 0
    if (outside & ~at_building).any():
        raise RuntimeError("a street incident fell outside its unit")
    if outside.any():  # drifted off the city edge: put it back at its building
        back = np.flatnonzero(at_building)
        pos = np.searchsorted(back, np.flatnonzero(outside))
        src_building = bidx[pos]
        fallback = to_degrees(shapely.centroid(b.geom_m[src_building]))
        geom[outside] = shapely.set_precision(fallback, GRID_SIZE)
        unit[outside] = b.unit[src_building]
    return geom, unit, outside


def _describe(
    admin: Admin,
    unit: np.ndarray,
    at_building: np.ndarray,
    outside: np.ndarray,
    bidx: np.ndarray,
    bnames: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Category (by the kind of unit) and description (naming the place) of every incident."""
    n = len(unit)
    utype = admin.unit_type[unit]
    cats = list(CATEGORIES)
    base = np.array([CATEGORIES[c][1] for c in cats])
    factor = np.array([CATEGORIES[c][2] for c in cats])  # (n_cat, 4)
    cat = np.empty(n, dtype=np.int64)
    for t in range(4):
        sel = utype == t
        p = base * factor[:, t]
        cat[sel] = rng.choice(len(cats), size=int(sel.sum()), p=p / p.sum())
    place = np.empty(n, dtype=object)
    place[at_building] = bnames[bidx]
    place[~at_building] = np.char.add(
        admin.comm_name[admin.unit_comm[unit[~at_building]]], "辖区路段"
    )
    pos_b = np.flatnonzero(at_building)
    place[pos_b[outside[pos_b]]] = bnames[bidx[outside[pos_b]]]
    template = rng.integers(0, 2, n)
    description = np.array(
        [
            CATEGORIES[cats[c]][3][t].format(p=p)
            for c, t, p in zip(cat, template, place, strict=True)
        ]
    )
    return cat, description


def build_incidents(
    units: Units, admin: Admin, b: Buildings, bnames: np.ndarray, rng: np.random.Generator
) -> Incidents:
    """≈0.06 incidents per household; 85 % at a building (within 30 m), 15 % on the street."""
    n = int(round(b.households.sum() * INCIDENTS_PER_HOUSEHOLD))
    at_building, bidx, pts_b = _at_buildings(admin, b, n, rng)
    pts_s = _on_streets(units, admin, b, n - len(bidx), rng)
    xy = np.empty((n, 2))
    xy[at_building], xy[~at_building] = pts_b, pts_s
    geom, unit, outside = _settle(units, b, xy, at_building, bidx)
    # Attributes depend on the place, so draw them after positions are settled.
    cat, description = _describe(admin, unit, at_building, outside, bidx, bnames, rng)
    seconds = incident_times(n, rng)
    perm = rng.permutation(n)  # times are sorted; assign them to incidents at random
    cat, description, geom, unit = cat[perm], description[perm], geom[perm], unit[perm]
    stamp = np.datetime64("2025-01-01T00:00:00") + seconds.astype("timedelta64[s]")
    reported_at = np.char.add(np.datetime_as_string(stamp, unit="s"), "+08:00")
    state = incident_states(seconds, rng)
    reporter = rng.choice(
        np.array(["grid_worker", "resident", "hotline"]), size=n, p=[0.55, 0.25, 0.20]
    )
    cats = list(CATEGORIES)
    table = pd.DataFrame(
        {
            "code": [f"E{i + 1:07d}" for i in range(n)],
            "category": np.array(cats)[cat],
            "description": description,
            "reported_at": reported_at,
            "reporter_kind": reporter,
            "department": np.array([CATEGORIES[c][0] for c in cats])[cat],
            "state": state,
        }
    )
    return Incidents(table, geom, unit)


def incident_states(seconds: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """92 % closed ('evaluated'); the open 8 % are mostly recent, fresher ones less advanced."""
    n = len(seconds)
    age_days = (365 * 86400 - seconds) / 86400
    weight = np.exp(-age_days / 30.0) + 0.01
    n_open = int(round(0.08 * n))
    open_idx = rng.choice(n, size=n_open, replace=False, p=weight / weight.sum())
    state = np.full(n, "evaluated", dtype=object)
    by_age = open_idx[np.argsort(age_days[open_idx])]
    cuts = np.round(np.cumsum([0.15, 0.20, 0.20, 0.25]) * n_open).astype(int)
    for part, name in zip(np.split(by_age, cuts), STATES_OPEN, strict=True):
        state[part] = name
    return state.astype(str)


def locate_points(points: np.ndarray, polys: np.ndarray) -> np.ndarray:
    """Index of the polygon containing each point (-1 if none); boundary points take the
    lowest index, so the answer is deterministic."""
    tree = shapely.STRtree(polys)
    pi, gi = tree.query(points, predicate="intersects")
    out = np.full(len(points), -1)
    order = np.lexsort((gi, pi))
    pi, gi = pi[order], gi[order]
    first = np.r_[True, pi[1:] != pi[:-1]]
    out[pi[first]] = gi[first]
    return out
