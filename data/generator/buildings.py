"""Step 4: buildings, households and population placed in every unit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from .admin import (
    ESTATE_PREFIXES,
    ESTATE_SUFFIXES,
    OLD_SUFFIXES,
    PHASES,
    URBAN_PREFIXES,
    Admin,
    reading_key,
    unique_names,
)
from .common import (
    AREA_CAP,
    ESTATE,
    FRINGE,
    HH_DENSITY,
    OLD,
    PERSONS_PER_HH,
    TOTAL_HOUSEHOLDS,
    VILLAGE,
    group_rank,
)
from .units import Units


@dataclass
class Design:
    """Per-unit building design: what an estate of that unit looks like."""

    floors: np.ndarray
    entrances: np.ndarray
    per_landing: np.ndarray  # flats per floor per entrance
    length: np.ndarray
    width: np.ndarray
    step_x: np.ndarray  # grid spacing along the building
    step_y: np.ndarray  # grid spacing across (sunlight spacing)
    angle: np.ndarray

    def mean_households(self) -> np.ndarray:
        """Expected households per building of the design (90 % occupancy)."""
        return np.clip(self.floors * self.entrances * self.per_landing * 0.9, 2.5, 200)


def design_units(unit_type: np.ndarray, rng: np.random.Generator) -> Design:
    """Draw one building design per unit according to its type.

    Old town: 5-7 floor walk-up slabs, 1-4 entrances, 2 flats per landing, tight rows.
    New estates: 65 % high-rise towers or slabs (11-33 floors), 35 % 6-11 floor blocks.
    Fringe: 4-6 floor blocks. Villages: 1-3 floor houses on a loose 22 m grid.
    """
    n = len(unit_type)
    floors = rng.choice([5, 6, 7], size=n, p=[0.15, 0.45, 0.4])
    entr = rng.choice([1, 2, 3, 4], size=n, p=[0.05, 0.3, 0.45, 0.2])
    landing = np.full(n, 2)
    length = 12.0 * entr + 2.0
    width = np.full(n, 11.5)
    step_x, step_y = length + 5.0, width + 12.0

    est = unit_type == ESTATE
    high = est & (rng.uniform(size=n) < 0.65)
    tower = high & (rng.uniform(size=n) < 0.4)
    slab = high & ~tower
    mid = est & ~high
    floors = np.where(high, rng.choice([11, 18, 24, 26, 28, 30, 33], size=n), floors)
    floors = np.where(mid, rng.choice([6, 7, 9, 11], size=n), floors)
    entr = np.where(tower, 1, np.where(slab, rng.choice([2, 3], size=n), entr))
    entr = np.where(mid, rng.choice([2, 3], size=n), entr)
    landing = np.where(tower, 4, landing)
    length = np.where(tower, 26.0, np.where(est, 14.0 * entr + 6.0, length))
    width = np.where(tower, 22.0, np.where(est, 16.0, width))
    step_x = np.where(est, length + 14.0, step_x)
    step_y = np.where(est, width + np.minimum(40.0, 1.2 * floors + 8.0), step_y)

    fr = unit_type == FRINGE
    floors = np.where(fr, rng.choice([4, 5, 6], size=n, p=[0.3, 0.4, 0.3]), floors)
    entr = np.where(fr, rng.choice([1, 2, 3], size=n, p=[0.2, 0.5, 0.3]), entr)
    length = np.where(fr, 12.0 * entr + 2.0, length)
    width = np.where(fr, 11.0, width)
    step_x = np.where(fr, length + 8.0, step_x)
    step_y = np.where(fr, width + 14.0, step_y)

    vi = unit_type == VILLAGE
    floors = np.where(vi, 2, floors)
    entr = np.where(vi, 1, entr)
    landing = np.where(vi, 1, landing)
    length = np.where(vi, 14.0, length)
    width = np.where(vi, 11.0, width)
    step_x = np.where(vi, 22.0, step_x)
    step_y = np.where(vi, 22.0, step_y)
    angle = rng.normal(0.0, 0.25, n) + rng.choice([0.0, np.pi / 2], size=n, p=[0.85, 0.15])
    return Design(floors, entr, landing, length, width, step_x, step_y, angle)


def rotated_rectangles(
    cx: np.ndarray, cy: np.ndarray, length: np.ndarray, width: np.ndarray, angle: np.ndarray
) -> np.ndarray:
    """Rectangles (5 vertices, closed) centred at (cx, cy), rotated by angle (radians)."""
    u = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5]])
    lx = u[None, :, 0] * length[:, None]
    ly = u[None, :, 1] * width[:, None]
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    coords = np.stack([cx[:, None] + lx * c - ly * s, cy[:, None] + lx * s + ly * c], axis=2)
    return shapely.polygons(coords)


@dataclass
class Slots:
    """Candidate building sites: grid positions whose full footprint fits inside the unit."""

    unit: np.ndarray
    x: np.ndarray
    y: np.ndarray
    angle: np.ndarray
    length: np.ndarray
    width: np.ndarray


def building_slots(
    units: Units, design: Design, unit_type: np.ndarray, rng: np.random.Generator
) -> Slots:
    """Lay a rotated, randomly shifted grid over each unit and keep the footprints that fit.

    Grid spacing exceeds the footprint, so buildings of one unit never overlap; units are eroded
    by 1.5 m first, so buildings of neighbouring units never overlap either.
    """
    eroded = shapely.buffer(units.geom_m, -1.5, join_style="mitre")
    shapely.prepare(eroded)
    coords, idx = shapely.get_coordinates(units.geom_m, return_index=True)
    cx, cy = units.xy[:, 0], units.xy[:, 1]
    radius = np.zeros(len(cx))
    np.maximum.at(radius, idx, np.hypot(coords[:, 0] - cx[idx], coords[:, 1] - cy[idx]))
    nx = np.ceil(2 * radius / design.step_x).astype(np.int64) + 1
    ny = np.ceil(2 * radius / design.step_y).astype(np.int64) + 1
    per_unit = nx * ny
    unit = np.repeat(np.arange(len(cx)), per_unit)
    local = np.arange(len(unit)) - np.repeat(np.cumsum(per_unit) - per_unit, per_unit)
    ix, iy = local % nx[unit], local // nx[unit]
    shift = rng.uniform(size=(len(cx), 2))
    a = (ix + shift[unit, 0]) * design.step_x[unit] - radius[unit]
    b = (iy + shift[unit, 1]) * design.step_y[unit] - radius[unit]
    village = unit_type[unit] == VILLAGE
    jitter = rng.uniform(-2.0, 2.0, size=(len(unit), 2)) * village[:, None]
    a, b = a + jitter[:, 0], b + jitter[:, 1]
    ang = design.angle[unit]
    x = cx[unit] + a * np.cos(ang) - b * np.sin(ang)
    y = cy[unit] + a * np.sin(ang) + b * np.cos(ang)
    inside = shapely.contains_xy(eroded[unit], x, y)
    unit, x, y, village = unit[inside], x[inside], y[inside], village[inside]
    # Village houses: own orientation and size; urban footprints follow the estate grid.
    n = len(unit)
    house_len = rng.uniform(9.0, 14.0, n)
    house_wid = rng.uniform(8.0, 11.0, n)
    length = np.where(village, house_len, design.length[unit] * rng.uniform(0.92, 1.0, n))
    width = np.where(village, np.minimum(house_wid, house_len), design.width[unit])
    angle = np.where(village, rng.uniform(0, np.pi, n), design.angle[unit])
    rect = rotated_rectangles(x, y, length, width, angle)
    fits = shapely.within(rect, eroded[unit])
    return Slots(unit[fits], x[fits], y[fits], angle[fits], length[fits], width[fits])


@dataclass
class Buildings:
    """Building rows (generation order) with their metric footprints."""

    unit: np.ndarray
    geom_m: np.ndarray
    households: np.ndarray
    population: np.ndarray
    floors: np.ndarray
    entrances: np.ndarray


def choose_counts(
    target: np.ndarray, mean_hh: np.ndarray, capacity: np.ndarray, total: float
) -> np.ndarray:
    """Buildings per unit so that expected households add up to `total` (water filling).

    Units whose sites are all used keep their maximum; the shortfall is spread over the rest.
    """
    t = target * total / target.sum()
    n = np.zeros_like(capacity)
    for _ in range(8):
        n = np.minimum(capacity, np.maximum(np.round(t / mean_hh), (capacity > 0) * 1))
        got = (n * mean_hh).sum()
        free = n < capacity
        if abs(got - total) < 0.002 * total or not free.any():
            break
        free_part = (n * mean_hh)[free].sum()
        scale = 1.0 + (total - got) / max(free_part, 1.0)
        t = np.where(free, t * scale, t)
    return n.astype(np.int64)


def place_buildings(units: Units, admin: Admin, rng: np.random.Generator) -> Buildings:
    """Choose building sites per unit and give every building households and population."""
    utype = admin.unit_type
    design = design_units(utype, rng)
    slots = building_slots(units, design, utype, rng)
    n_units = len(units.geom)
    capacity = np.bincount(slots.unit, minlength=n_units)
    density = HH_DENSITY[utype] * rng.lognormal(0.0, 0.35, n_units)
    target = np.minimum(units.area, AREA_CAP[utype]) * density
    village = utype == VILLAGE
    mean_hh = design.mean_households()
    n_village = choose_counts(
        target * village, np.full(n_units, 2.5), capacity * village, (target * village).sum()
    )
    village_total = float((n_village * 2.5).sum())
    n_urban = choose_counts(
        target * ~village, mean_hh, capacity * ~village, TOTAL_HOUSEHOLDS - village_total
    )
    n_pick = np.where(village, n_village, n_urban)

    # Village houses cluster around a hamlet centre; urban sites are a random subset.
    key = rng.uniform(size=len(slots.unit))
    order, rank = group_rank(slots.unit, key)
    hamlet = np.zeros((n_units, 2))
    first = order[rank == 0]
    hamlet[slots.unit[first]] = np.column_stack([slots.x[first], slots.y[first]])
    dist = np.hypot(slots.x - hamlet[slots.unit, 0], slots.y - hamlet[slots.unit, 1])
    key = np.where(village[slots.unit], dist + rng.uniform(0, 15, len(key)), key)
    order, rank = group_rank(slots.unit, key)
    pick = order[rank < n_pick[slots.unit[order]]]
    # Number buildings of a unit row by row, north to south, like 1栋, 2栋, ... on a site plan.
    pick = pick[
        np.lexsort((reading_key(np.column_stack([slots.x, slots.y])[pick], 25.0), slots.unit[pick]))
    ]

    unit = slots.unit[pick]
    geom = rotated_rectangles(
        slots.x[pick], slots.y[pick], slots.length[pick], slots.width[pick], slots.angle[pick]
    )
    t = utype[unit]
    n = len(unit)
    vil = t == VILLAGE
    floors = design.floors[unit] + np.where(
        t == ESTATE, rng.integers(-2, 3, n), rng.integers(-1, 2, n)
    )
    floors = np.where(vil, rng.choice([1, 2, 3], size=n, p=[0.2, 0.5, 0.3]), floors)
    floors = np.clip(floors, 1, 33)
    entrances = design.entrances[unit]
    occupancy = rng.uniform(0.8, 1.0, n)
    hh = np.round(floors * entrances * design.per_landing[unit] * occupancy)
    hh = np.where(
        vil, rng.choice([1, 2, 3, 4], size=n, p=[0.15, 0.35, 0.35, 0.15]), np.clip(hh, 12, 200)
    ).astype(np.int64)
    hh = _nudge_total(hh, ~vil, TOTAL_HOUSEHOLDS, rng)
    persons = rng.normal(PERSONS_PER_HH[t], 0.18)
    population = np.maximum(hh, np.round(hh * persons)).astype(np.int64)
    return Buildings(
        unit, geom, hh, population, floors.astype(np.int64), entrances.astype(np.int64)
    )


def _nudge_total(
    hh: np.ndarray, adjustable: np.ndarray, total: int, rng: np.random.Generator
) -> np.ndarray:
    """Add or remove one household in random urban buildings so the city total is exact."""
    hh = hh.copy()
    diff = total - int(hh.sum())
    step = 1 if diff > 0 else -1
    while diff != 0:
        ok = adjustable & ((hh < 200) if step > 0 else (hh > 12))
        cand = np.flatnonzero(ok)
        chosen = rng.choice(cand, size=min(abs(diff), len(cand)), replace=False)
        hh[chosen] += step
        diff -= step * len(chosen)
    return hh


def building_names(
    b: Buildings, admin: Admin, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Building codes and names: '锦绣花园3栋' in estates, '张家村12号' in villages."""
    n_units = len(admin.unit_code)
    order, rank = group_rank(b.unit, np.arange(len(b.unit)))
    seq = np.empty(len(b.unit), dtype=np.int64)
    seq[order] = rank + 1
    if seq.max() > 999:
        raise RuntimeError("a unit has more than 999 buildings")
    codes = np.array([f"{u}B{s:03d}" for u, s in zip(admin.unit_code[b.unit], seq, strict=True)])

    utype = admin.unit_type
    estate_pool = [p + s + ph for p in ESTATE_PREFIXES for s in ESTATE_SUFFIXES for ph in PHASES]
    old_pool = [p + s for p in URBAN_PREFIXES for s in OLD_SUFFIXES]
    old_pool += [p + "路" + str(k) + "号院" for p in URBAN_PREFIXES for k in range(1, 40)]
    estate = np.empty(n_units, dtype=object)
    is_new = (utype == ESTATE) | (utype == FRINGE)
    is_old = utype == OLD
    estate[is_new] = unique_names(estate_pool, int(is_new.sum()), rng)
    estate[is_old] = unique_names(old_pool, int(is_old.sum()), rng)
    comm = admin.unit_comm[b.unit]
    village = utype[b.unit] == VILLAGE
    # Village houses are numbered through the whole village.
    unit_rank = np.argsort(np.argsort(admin.unit_code))
    vorder, vrank = group_rank(np.where(village, comm, -1), unit_rank[b.unit] * 1000 + seq)
    house_no = np.empty(len(b.unit), dtype=np.int64)
    house_no[vorder] = vrank + 1
    names = np.array(
        [
            f"{admin.comm_name[c]}{h}号" if v else f"{estate[u]}{s}栋"
            for c, u, s, h, v in zip(comm, b.unit, seq, house_no, village, strict=True)
        ]
    )
    return codes, names
