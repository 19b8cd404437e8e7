"""15-minute coverage (十五分钟生活圈): the share of households, residents and people needing
care (关爱对象 — elderly living alone and others; the base units carry no separate count of
the elderly or of children) within a walk of each kind of facility, per community or grid.

One pgRouting call per request walks from every facility of the asked kinds at once
(:mod:`gis.facilities.reach`); the rest is joins and sums in PostGIS. Only the caller's base
units are counted (their scope), but every facility may serve them: a meal point across the
community line still feeds the people who can walk to it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission
from gis.facilities.kinds import KIND_LABELS, KINDS, FacilityKind
from gis.facilities.network import MAX_SNAP_M
from gis.facilities.reach import (
    near_units,
    stage_reach,
    stage_sources,
    stage_units,
    unit_seconds_sql,
)
from gis.scope import DEFAULT_GRID_LAYER

By = Literal["community", "grid"]


@dataclass(frozen=True)
class People:
    """What a set of base units holds, and how much of it is covered."""

    households: int
    households_covered: int
    population: int
    population_covered: int
    care_people: int
    care_people_covered: int

    @property
    def share_households(self) -> float | None:
        return self.households_covered / self.households if self.households else None

    @property
    def share_population(self) -> float | None:
        return self.population_covered / self.population if self.population else None

    @property
    def share_care_people(self) -> float | None:
        return self.care_people_covered / self.care_people if self.care_people else None


@dataclass(frozen=True)
class AreaCoverage:
    """One community or grid: its people and how many are within the walk."""

    code: str
    name: str
    units: int
    units_covered: int
    people: People


@dataclass(frozen=True)
class FlaggedFacility:
    """A facility more than 200 m from every network node: left out of the walk, not snapped."""

    code: str
    name: str
    kind: str
    distance_m: float | None


@dataclass
class KindCoverage:
    """The coverage of one kind of facility over the caller's units."""

    kind: str
    label: str
    minutes: int
    by: str
    facilities: int  # in the caller's scope (those beyond it serve the people too)
    total: People
    areas: list[AreaCoverage] = field(default_factory=list)
    flagged: list[FlaggedFacility] = field(default_factory=list)
    units_off_network: int = 0


@dataclass
class CoverageReport:
    """Coverage of each asked kind, with the time it took."""

    minutes: int
    by: str
    kinds: list[KindCoverage]
    #: Edges of the walking network near the units: 0 means it was never built for them
    #: (``gridmap walk-network``), and nobody is counted as within reach.
    network_edges: int = 0
    seconds: float = 0.0


_SUMS = "count(*) AS units, count(c.unit_id) AS units_covered, " + ", ".join(
    f"coalesce(sum(u.{n}), 0), coalesce(sum(u.{n}) FILTER (WHERE c.unit_id IS NOT NULL), 0)"
    for n in ("households", "population", "care_people")
)
#: The area each staged unit is counted in: (id, code, name), staged once per request.
#: Both give ``code`` and ``name`` as text: the statements reading ``s_cov_area`` are prepared
#: once per connection, and a table of other column types (a grid's code is longer than a
#: community's) in the same transaction would fail them ("cached plan must not change result
#: type", found by the API fuzz).
_AREAS: dict[str, str] = {
    "community": "SELECT u.id, a.code::text AS code, a.name::text AS name FROM s_cov_units u "
    "JOIN community a ON a.id = u.community_id",
    "grid": "SELECT gu.unit_id AS id, a.code::text AS code, coalesce(a.name, a.code)::text AS name "
    "FROM grid_unit gu "
    "JOIN grid_layer l ON l.id = gu.layer_id AND l.code = :layer "
    "JOIN grid a ON a.id = gu.grid_id WHERE gu.unit_id IN (SELECT id FROM s_cov_units)",
}


def _people(r: tuple[int, ...]) -> People:
    return People(*(int(v) for v in r))


def coverage(
    conn: Connection,
    kinds: list[FacilityKind] | None = None,
    *,
    access: Access,
    by: By = "community",
    minutes: int = 15,
    layer: str = DEFAULT_GRID_LAYER,
) -> CoverageReport:
    """The share of people within ``minutes`` on foot of each kind in ``kinds`` (all: None),
    per community or per grid of ``layer``, over the base units of the caller's scope."""
    access.require(Permission.VIEW_MAP)
    started = time.perf_counter()
    asked = list(kinds or KINDS)
    limit_s = minutes * 60.0
    stage_units(conn, access.scope.unit_sql("u"))
    stage_sources(conn, asked, limit_s)
    stage_reach(conn, limit_s)
    conn.exec_driver_sql("DROP TABLE IF EXISTS s_cov_area")
    conn.execute(
        text(f"CREATE TEMP TABLE s_cov_area ON COMMIT DROP AS {_AREAS[by]}"), {"layer": layer}
    )
    conn.exec_driver_sql("CREATE INDEX ON s_cov_area (id)")
    conn.exec_driver_sql("ANALYZE s_cov_area")
    off_network = int(
        conn.exec_driver_sql("SELECT count(*) FROM s_cov_units WHERE node IS NULL").scalar_one()
    )
    edges = int(
        conn.exec_driver_sql(
            f"SELECT count(*) FROM walk_edge {near_units(conn, limit_s)}"
        ).scalar_one()
    )
    report = CoverageReport(minutes, by, [], network_edges=edges)
    # Every kind in one pass: the units once per kind (k.pos), joined to their walk to it.
    per_kind = (
        "FROM unnest(CAST(:positions AS int[])) AS k(pos) CROSS JOIN s_cov_units u "
        f"LEFT JOIN ({unit_seconds_sql(limit_s)}) AS c ON c.unit_id = u.id AND c.source = -k.pos"
    )
    positions = list(range(1, len(asked) + 1))
    totals = {
        int(r[0]): r
        for r in conn.execute(
            text(f"SELECT k.pos, {_SUMS} {per_kind} GROUP BY k.pos"), {"positions": positions}
        )
    }
    areas: dict[int, list[AreaCoverage]] = {p: [] for p in positions}
    for r in conn.execute(
        text(
            f"SELECT k.pos, a.code, a.name, {_SUMS} {per_kind} "
            "JOIN s_cov_area a ON a.id = u.id GROUP BY k.pos, a.code, a.name ORDER BY 1, 2"
        ),
        {"positions": positions},
    ):
        areas[int(r[0])].append(
            AreaCoverage(r[1], r[2], int(r[3]), int(r[4]), _people(tuple(r)[5:]))
        )
    mine = access.scope.filter_sql("c.code")
    for position, kind in enumerate(asked, start=1):
        flagged = conn.execute(
            text(
                "SELECT s.code, s.name, s.kind, s.dist FROM s_cov_src s "
                "JOIN facility f ON f.id = s.id JOIN community c ON c.id = f.community_id "
                f"WHERE s.node IS NULL AND s.kind = :k AND {mine.sql} ORDER BY s.code"
            ),
            {"k": kind, **mine.params},
        ).all()
        count = conn.execute(
            text(
                "SELECT count(*) FROM s_cov_src s JOIN facility f ON f.id = s.id "
                f"JOIN community c ON c.id = f.community_id WHERE s.kind = :k AND {mine.sql}"
            ),
            {"k": kind, **mine.params},
        ).scalar_one()
        total = totals.get(position)
        report.kinds.append(
            KindCoverage(
                kind=kind,
                label=KIND_LABELS[kind],
                minutes=minutes,
                by=by,
                facilities=int(count),
                total=_people(tuple(total)[3:]) if total else People(0, 0, 0, 0, 0, 0),
                areas=areas[position],
                flagged=[
                    FlaggedFacility(f[0], f[1], f[2], None if f[3] is None else float(f[3]))
                    for f in flagged
                ],
                units_off_network=off_network,
            )
        )
    report.seconds = time.perf_counter() - started
    return report


__all__ = ["MAX_SNAP_M", "AreaCoverage", "CoverageReport", "KindCoverage", "People", "coverage"]
