"""Households, buildings, party members, incidents and leader assignments, at province totals.

Ratios are the sample city's (data/README.md): one party member per 13 households, 0.06
incidents per household a year, ~17.6 households per building, a leader for every unified grid
and for about a quarter of the buildings. Points are drawn inside each unit's "safe disc" (0.4 ×
the distance to the nearest other seed), which lies inside the unit's Voronoi cell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from provincegen.common import (
    BUILDING_LEADER_SHARE,
    GRID_SIZE,
    HOUSEHOLDS,
    HOUSEHOLDS_PER_BUILDING,
    HOUSEHOLDS_PER_MEMBER,
    INCIDENTS_PER_HOUSEHOLD,
    rank_within,
    rng,
)
from provincegen.places import Places

CATEGORIES = np.array(
    ["环境卫生", "占道经营", "邻里纠纷", "违规停车", "噪音扰民", "垃圾清运", "安全隐患", "政策咨询"]
)
DEPARTMENTS = np.array(["城管局", "社区居委会", "应急管理局", "公安分局", "住建局", "民政局"])
REPORTERS = np.array(["grid_worker", "resident", "hotline"])
SURNAMES = np.array(list("王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓"))
GIVEN = np.array(list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文辉鹏红玲"))


def households(places: Places, scale: float, seed: int) -> pd.DataFrame:
    """Households, population, care needs and yearly incidents of every unit."""
    gen = rng(seed, 3)
    n = len(places.xy)
    weight = gen.lognormal(0.0, 0.5, n) * np.where(places.town, 3.0, 1.0)
    hh = np.maximum(np.round(weight / weight.sum() * HOUSEHOLDS * scale), 1).astype(np.int64)
    persons = np.where(places.town, 2.7, 3.1)
    pop = np.round(hh * (persons + gen.normal(0.0, 0.1, n))).astype(np.int64)
    return pd.DataFrame(
        {
            "households": hh,
            "population": np.maximum(pop, hh),
            "buildings": np.maximum(np.round(hh / HOUSEHOLDS_PER_BUILDING), 1).astype(np.int64),
            "incidents_per_year": gen.poisson(hh * INCIDENTS_PER_HOUSEHOLD),
            "care_people": gen.binomial(np.maximum(pop, hh), 0.03),
        }
    )


def points_in_units(
    places: Places, unit: np.ndarray, gen: np.random.Generator, spread: float = 1.0
) -> np.ndarray:
    """A random point inside the safe disc of each given unit."""
    angle = gen.uniform(0.0, 2 * np.pi, len(unit))
    radius = places.safe[unit] * spread * np.sqrt(gen.random(len(unit)))
    xy = places.xy[unit] + np.column_stack([np.cos(angle), np.sin(angle)]) * radius[:, None]
    return np.round(xy, 7)


def buildings(places: Places, unit_code: np.ndarray, attrs: pd.DataFrame, seed: int) -> dict:
    """Buildings: small squares inside their unit; households shared out with remainders."""
    gen = rng(seed, 4)
    count = attrs["buildings"].to_numpy()
    unit = np.repeat(np.arange(len(count)), count)
    number = rank_within(unit, np.arange(len(unit)))
    hh = attrs["households"].to_numpy()[unit]
    share = hh // count[unit] + (number < hh % count[unit])
    pop_ratio = (attrs["population"] / attrs["households"]).to_numpy()[unit]
    xy = points_in_units(places, unit, gen, spread=0.7)
    half = np.minimum(places.safe[unit] * 0.2, 0.0002)
    geom = shapely.set_precision(
        shapely.box(xy[:, 0] - half, xy[:, 1] - half, xy[:, 0] + half, xy[:, 1] + half), GRID_SIZE
    )
    codes = np.char.add(
        np.char.add(unit_code[unit], "B"), np.char.zfill((number + 1).astype(str), 3)
    )
    floors = np.where(
        places.town[unit], gen.integers(6, 19, len(unit)), gen.integers(1, 4, len(unit))
    )
    return {
        "code": codes,
        "name": np.char.add(codes, "号楼"),
        "unit_code": unit_code[unit],
        "households": share,
        "population": np.round(share * pop_ratio).astype(np.int64),
        "floors": floors,
        "entrance_units": np.clip(share // 12 + 1, 1, 4),
        "geometry": geom,
        "unit": unit,
    }


def member_table(
    places: Places, attrs: pd.DataFrame, leaders: np.ndarray, seed: int
) -> tuple[dict, np.ndarray]:
    """Party members: one per 13 households of each community, and at least one per unified
    grid (``leaders`` per community), since a member leads one grid at most."""
    gen = rng(seed, 5)
    n_comm = len(places.comm_street)
    comm_hh = np.bincount(places.unit_comm, attrs["households"].to_numpy(), minlength=n_comm)
    per_comm = np.maximum(np.round(comm_hh / HOUSEHOLDS_PER_MEMBER), np.maximum(leaders, 1))
    per_comm = per_comm.astype(np.int64)
    comm = np.repeat(np.arange(n_comm), per_comm)
    order = np.argsort(places.unit_comm, kind="stable")  # units grouped by community
    start = np.searchsorted(places.unit_comm[order], np.arange(n_comm))
    size = np.bincount(places.unit_comm, minlength=n_comm)
    unit = order[start[comm] + gen.integers(0, size[comm])]
    n = len(comm)
    names = np.char.add(
        np.char.add(gen.choice(SURNAMES, n), gen.choice(GIVEN, n)), gen.choice(GIVEN, n)
    )
    phones = np.char.add("13", np.char.zfill(gen.integers(0, 10**9, n).astype(str), 9))
    return {
        "code": np.char.add("M", np.char.zfill((np.arange(n) + 1).astype(str), 7)),
        "name": names,
        "phone": phones,
        "organisation_code": np.char.add("P", np.char.zfill((comm + 1).astype(str), 6)),
        "community": comm,
        "geometry": shapely.points(points_in_units(places, unit, gen)),
    }, comm


def incidents(places: Places, attrs: pd.DataFrame, seed: int) -> dict:
    """A year (2025) of incidents: each unit's ``incidents_per_year`` of them, inside it."""
    gen = rng(seed, 6)
    unit = np.repeat(np.arange(len(attrs)), attrs["incidents_per_year"].to_numpy())
    n = len(unit)
    seconds = np.sort(gen.integers(0, 365 * 86400, n))
    stamp = np.datetime64("2025-01-01T00:00:00") + seconds.astype("timedelta64[s]")
    category = gen.choice(CATEGORIES, n)
    state = np.where(gen.random(n) < 0.92, "evaluated", "reported")
    return {
        "code": np.char.add("E", np.char.zfill((np.arange(n) + 1).astype(str), 8)),
        "category": category,
        "description": np.char.add("居民反映：", category),
        "reported_at": np.char.add(np.datetime_as_string(stamp, unit="s"), "+08:00"),
        "reporter_kind": gen.choice(REPORTERS, n, p=[0.55, 0.25, 0.2]),
        "department": gen.choice(DEPARTMENTS, n),
        "state": state,
        "geometry": shapely.points(points_in_units(places, unit, gen)),
    }


def assignments(
    member_comm: np.ndarray,
    member_code: np.ndarray,
    targets: list[tuple[str, str, np.ndarray, np.ndarray]],
    seed: int,
) -> pd.DataFrame:
    """Leaders: a member of the same community for each target (role, kind, codes, community).

    Grid leaders are distinct members (the k-th grid of a community gets its k-th member);
    building leaders are drawn at random (a member may look after several buildings)."""
    gen = rng(seed, 7)
    n_comm = int(member_comm.max()) + 1
    start = np.searchsorted(member_comm, np.arange(n_comm))  # members are sorted by community
    size = np.bincount(member_comm, minlength=n_comm)
    frames = []
    for role, kind, codes, comm in targets:
        if role == "grid_leader":
            pick = start[comm] + rank_within(comm, np.arange(len(comm))) % size[comm]
        else:
            pick = start[comm] + gen.integers(0, size[comm])
        frames.append(
            pd.DataFrame(
                {
                    "member_code": member_code[pick],
                    "role": role,
                    "target_kind": kind,
                    "target_code": codes,
                    "starts_on": np.datetime_as_string(
                        np.datetime64("2024-01-01") + gen.integers(0, 366, len(codes)), unit="D"
                    ),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def building_leader_mask(n: int, seed: int) -> np.ndarray:
    """Which buildings get a leader (the sample city's share)."""
    return rng(seed, 8).random(n) < BUILDING_LEADER_SHARE
