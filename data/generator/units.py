"""Steps 1 and 2: the district outlines (GCJ-02 to WGS84) and the base units, a clean coverage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import prcoords
import shapely

from .common import (
    GRID_SIZE,
    SOURCE_DIR,
    TO_METRES,
    CoreSpec,
    group_rank,
    smoothstep,
    to_degrees,
    to_metres,
    xy_of,
)


def gcj_to_wgs(coords: np.ndarray) -> np.ndarray:
    """Convert GCJ-02 lon/lat to WGS84 with prcoords' iterative ("bored") inverse (~cm)."""
    out = [prcoords.gcj_wgs_bored((lat, lon)) for lon, lat in coords]
    return np.array([(c.lon, c.lat) for c in out])


def load_outline(spec: CoreSpec) -> shapely.Geometry:
    """The real district outline in WGS84, valid and on the output grid."""
    raw = shapely.from_geojson((SOURCE_DIR / spec.source_file).read_text(encoding="utf-8"))
    wgs = shapely.transform(raw, gcj_to_wgs)
    return shapely.set_precision(shapely.make_valid(wgs), GRID_SIZE)


# --------------------------------------------------------------------------------------------
# 2. Base units
# --------------------------------------------------------------------------------------------


@dataclass
class CoreFrame:
    """Metric frame of one core: centre, irregular urban blob, and zone radius function."""

    spec: CoreSpec
    centre_m: np.ndarray
    region: shapely.Geometry
    harmonics: np.ndarray  # (k, 3): order, amplitude, phase of the blob radius
    rho_noise: np.ndarray  # (k, 4): kx, ky, phase, amplitude of the zone noise

    def radius(self, theta: np.ndarray) -> np.ndarray:
        """Relative blob radius (~1) by direction, a sum of low harmonics."""
        r = np.ones_like(theta)
        for order, amp, phase in self.harmonics:
            r += amp * np.cos(order * theta + phase)
        return r

    def rho(self, xy: np.ndarray) -> np.ndarray:
        """Normalised distance from the centre: 0 at the centre, 1 at the blob edge.

        A smooth noise term bends the zone rings so the old town and estates are not circles.
        """
        d = xy - self.centre_m
        ax, ay = self.spec.semi_axes_m
        theta = np.arctan2(d[:, 1] / ay, d[:, 0] / ax)
        base = np.hypot(d[:, 0] / ax, d[:, 1] / ay) / self.radius(theta)
        noise = np.zeros(len(xy))
        for kx, ky, phase, amp in self.rho_noise:
            noise += amp * np.sin(kx * xy[:, 0] + ky * xy[:, 1] + phase)
        return base * (1.0 + noise)

    def cell_area(self, xy: np.ndarray) -> np.ndarray:
        """Target unit area at each point: small in the old town, large in the villages."""
        rho = self.rho(xy)
        areas = np.log(np.array(self.spec.cell_area_m2))
        edges = self.spec.zone_rho
        log_area = np.full(len(xy), areas[0])
        for i, edge in enumerate(edges):
            log_area += (areas[i + 1] - areas[i]) * smoothstep((rho - edge) / 0.08 + 0.5)
        return np.exp(log_area)

    def zone(self, xy: np.ndarray) -> np.ndarray:
        """Zone index per point: 0 old town, 1 new estates, 2 urban fringe, 3 villages."""
        return np.searchsorted(np.array(self.spec.zone_rho), self.rho(xy))


def make_core_frame(
    spec: CoreSpec, outline_m: shapely.Geometry, rng: np.random.Generator
) -> CoreFrame:
    """Build the metric frame and the irregular urban blob, clipped to the district outline."""
    cx, cy = TO_METRES.transform(*spec.centre)
    centre = np.array([cx, cy])
    if not shapely.contains_xy(outline_m, cx, cy):
        raise ValueError(f"centre of {spec.key} is outside district {spec.district_code}")
    orders = np.arange(2, 7)
    harmonics = np.column_stack(
        [orders, rng.uniform(0.02, 0.07, len(orders)), rng.uniform(0, 2 * np.pi, len(orders))]
    )
    n_noise = 4
    angle = rng.uniform(0, 2 * np.pi, n_noise)
    wavelength = rng.uniform(2500, 6000, n_noise) * max(spec.semi_axes_m) / 7000.0
    k = 2 * np.pi / wavelength
    rho_noise = np.column_stack(
        [
            k * np.cos(angle),
            k * np.sin(angle),
            rng.uniform(0, 2 * np.pi, n_noise),
            np.full(n_noise, 0.05),
        ]
    )
    frame = CoreFrame(spec, centre, shapely.Polygon(), harmonics, rho_noise)
    theta = np.linspace(0, 2 * np.pi, 721)[:-1]
    r = frame.radius(theta)
    ring = np.column_stack(
        [cx + spec.semi_axes_m[0] * r * np.cos(theta), cy + spec.semi_axes_m[1] * r * np.sin(theta)]
    )
    region = shapely.intersection(shapely.Polygon(ring), outline_m)
    parts = shapely.get_parts(region)
    frame.region = parts[np.argmax(shapely.area(parts))]
    return frame


def sample_seeds(frame: CoreFrame, n: int, rng: np.random.Generator) -> np.ndarray:
    """Rejection-sample n seed points with density inversely proportional to target area."""
    minx, miny, maxx, maxy = frame.region.bounds
    shapely.prepare(frame.region)
    amin = min(frame.spec.cell_area_m2)
    accepted: list[np.ndarray] = []
    count = 0
    while count < n:
        batch = rng.uniform((minx, miny), (maxx, maxy), size=(20 * n, 2))
        keep = rng.uniform(size=len(batch)) < amin / frame.cell_area(batch)
        keep &= shapely.contains_xy(frame.region, batch[:, 0], batch[:, 1])
        accepted.append(batch[keep])
        count += int(keep.sum())
    return np.concatenate(accepted)[:n]


def voronoi_cells(seeds: np.ndarray, region: shapely.Geometry) -> np.ndarray:
    """Voronoi cells of the seeds clipped to the region, one Polygon per seed.

    A cell cut in two by a concave region keeps the part holding its seed; the loose part is
    dropped (it always lies on the city edge, so no hole appears inside the city).
    """
    extent = shapely.buffer(shapely.envelope(region), 2000.0)
    diagram = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=extent, ordered=True)
    cells = shapely.get_parts(diagram)
    if len(cells) != len(seeds):
        raise RuntimeError("voronoi diagram lost cells (duplicate seeds?)")
    shapely.prepare(region)
    inside = shapely.within(cells, region)
    cells = np.where(inside, cells, shapely.intersection(cells, region))
    parts, idx = shapely.get_parts(cells, return_index=True)
    holds_seed = shapely.contains_xy(parts, seeds[idx, 0], seeds[idx, 1])
    key = np.where(holds_seed, np.inf, shapely.area(parts))
    order, rank = group_rank(idx, -key)
    chosen = order[rank == 0]
    return parts[chosen][np.argsort(idx[chosen])]


def lloyd(seeds: np.ndarray, region: shapely.Geometry, steps: int) -> np.ndarray:
    """A few Lloyd relaxation steps: rounder cells while keeping most of the density gradient."""
    for _ in range(steps):
        centroids = xy_of(shapely.centroid(voronoi_cells(seeds, region)))
        ok = shapely.contains_xy(region, centroids[:, 0], centroids[:, 1])
        seeds = np.where(ok[:, None], centroids, seeds)
    return seeds


@dataclass
class WarpField:
    """Smooth displacement field (sum of plane waves) with a small gradient.

    Its Jacobian stays well below 1, so the warp is a bijection and cannot fold edges over each
    other; it only bends straight Voronoi edges into gentle curves.
    """

    waves: np.ndarray  # (k, 5): kx, ky, phase, amp_x, amp_y

    @classmethod
    def random(cls, rng: np.random.Generator, n: int = 3, max_gradient: float = 0.45) -> WarpField:
        angle = rng.uniform(0, 2 * np.pi, n)
        wavelength = rng.uniform(160.0, 420.0, n)
        k = 2 * np.pi / wavelength
        amp = np.minimum(8.0, max_gradient / (n * k))
        sign = rng.choice([-1.0, 1.0], size=(n, 2))
        waves = np.column_stack(
            [
                k * np.cos(angle),
                k * np.sin(angle),
                rng.uniform(0, 2 * np.pi, n),
                amp * sign[:, 0],
                amp * sign[:, 1] * rng.uniform(0.5, 1.0, n),
            ]
        )
        return cls(waves)

    def __call__(self, xy: np.ndarray) -> np.ndarray:
        out = np.zeros_like(xy)
        for kx, ky, phase, ax, ay in self.waves:
            s = np.sin(kx * xy[:, 0] + ky * xy[:, 1] + phase)
            c = np.cos(kx * xy[:, 1] - ky * xy[:, 0] + phase)
            out[:, 0] += ax * s
            out[:, 1] += ay * c
        return out


@dataclass
class Taper:
    """Fades the warp to zero near the city edge, so the outer boundary stays put."""

    regions: np.ndarray
    width: float = 80.0
    inner: shapely.Geometry = field(init=False)
    boundary: shapely.Geometry = field(init=False)

    def __post_init__(self) -> None:
        self.inner = shapely.union_all(shapely.buffer(self.regions, -self.width))
        self.boundary = shapely.union_all(shapely.boundary(self.regions))
        shapely.prepare(self.inner)

    def __call__(self, xy: np.ndarray) -> np.ndarray:
        t = np.ones(len(xy))
        near = ~shapely.contains_xy(self.inner, xy[:, 0], xy[:, 1])
        d = shapely.distance(shapely.points(xy[near]), self.boundary)
        t[near] = smoothstep(d / self.width)
        return t


def wavy_coverage(
    cells_m: np.ndarray, regions_m: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Turn metric Voronoi cells into wavy WGS84 polygons forming an exact coverage.

    The shared linework is warped once (so both sides of an edge move together), projected to
    degrees, snap-rounded and noded on the 1e-7 grid, and polygonised. Each face is given back
    to the cell it came from via the inverse warp; neighbours thus share bit-identical vertices.
    """
    lines = shapely.get_parts(shapely.union_all(shapely.boundary(cells_m)))
    lines = shapely.segmentize(lines, 12.0)
    warp, taper = WarpField.random(rng), Taper(regions_m)

    def forward(xy: np.ndarray) -> np.ndarray:
        return xy + warp(xy) * taper(xy)[:, None]

    warped = to_degrees(shapely.transform(lines, forward))
    noded = shapely.union_all(shapely.set_precision(warped, GRID_SIZE), grid_size=GRID_SIZE)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    faces = faces[shapely.area(faces) > 0]

    probe = xy_of(to_metres(shapely.point_on_surface(faces)))
    source = probe.copy()
    for _ in range(6):  # fixed-point inverse of the warp (contraction: gradient < 1)
        source = probe - warp(source) * taper(source)[:, None]
    tree = shapely.STRtree(cells_m)
    face_idx, cell_idx = tree.query(shapely.points(source), predicate="within")
    owner = np.full(len(faces), -1)
    owner[face_idx] = cell_idx
    lost = np.flatnonzero(owner < 0)
    if len(lost):
        near_face, near_cell = tree.query_nearest(
            shapely.points(source[lost]), max_distance=2.0, all_matches=False
        )
        owner[lost[near_face]] = near_cell
    keep = owner >= 0
    faces, owner = faces[keep], owner[keep]

    counts = np.bincount(owner, minlength=len(cells_m))
    if (counts == 0).any():
        raise RuntimeError(f"{int((counts == 0).sum())} cells lost all faces")
    units = np.empty(len(cells_m), dtype=object)
    single = counts[owner] == 1
    units[owner[single]] = faces[single]
    for cell in np.flatnonzero(counts > 1):
        units[cell] = shapely.coverage_union_all(faces[owner == cell])
    units = _merge_stray_parts(units)
    return units


def _merge_stray_parts(units: np.ndarray) -> np.ndarray:
    """Give detached slivers of a unit (rare snap-rounding artefacts) to the neighbour that
    shares the longest edge with them, so every unit is a single Polygon."""
    multi = np.flatnonzero(shapely.get_num_geometries(units) > 1)
    if len(multi) == 0:
        return units
    tree = shapely.STRtree(units)
    for i in multi:
        parts = shapely.get_parts(units[i])
        main = int(np.argmax(shapely.area(parts)))
        units[i] = parts[main]
        for j, part in enumerate(parts):
            if j == main:
                continue
            cand = tree.query(part, predicate="intersects")
            cand = cand[cand != i]
            shared = shapely.length(shapely.intersection(units[cand], part))
            target = int(cand[np.argmax(shared)])
            units[target] = shapely.coverage_union_all([units[target], part])
    return units


@dataclass
class Units:
    """Base units in generation order, with their metric centroids and zone context."""

    geom: np.ndarray  # WGS84 polygons
    geom_m: np.ndarray  # metric polygons (for building placement)
    core: np.ndarray  # index into CORES
    xy: np.ndarray  # metric centroid
    area: np.ndarray  # m2
    zone: np.ndarray  # 0..3


def build_units(frames: Sequence[CoreFrame], rng: np.random.Generator) -> Units:
    """Seed, relax and tessellate every core, then build the wavy exact coverage."""
    cells, cores = [], []
    for i, frame in enumerate(frames):
        seeds = lloyd(sample_seeds(frame, frame.spec.n_units, rng), frame.region, steps=2)
        cells.append(voronoi_cells(seeds, frame.region))
        cores.append(np.full(len(seeds), i))
    cells_m = np.concatenate(cells)
    core = np.concatenate(cores)
    regions = np.array([f.region for f in frames])
    geom = wavy_coverage(cells_m, regions, rng)
    geom_m = to_metres(geom)
    xy = xy_of(shapely.point_on_surface(geom_m))
    zone = np.empty(len(geom), dtype=np.int64)
    for i, frame in enumerate(frames):
        zone[core == i] = frame.zone(xy[core == i])
    return Units(geom, geom_m, core, xy, shapely.area(geom_m), zone)
