"""What the facility routes answer: service points, their 15-minute coverage and isochrones."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class FacilityOut(_Out):
    code: str
    kind: str
    kind_label: str
    name: str
    capacity: int | None
    opening_hours: str
    community_code: str
    community_name: str
    lon: float
    lat: float
    network_m: float | None
    flagged: bool


class FacilitiesOut(_Out):
    facilities: list[FacilityOut]


class PeopleOut(_Out):
    households: int
    households_covered: int
    population: int
    population_covered: int
    care_people: int
    care_people_covered: int
    share_households: float | None
    share_population: float | None
    share_care_people: float | None


class AreaCoverageOut(_Out):
    code: str
    name: str
    units: int
    units_covered: int
    people: PeopleOut


class FlaggedOut(_Out):
    code: str
    name: str
    kind: str
    distance_m: float | None


class KindCoverageOut(_Out):
    kind: str
    label: str
    minutes: int
    by: str
    facilities: int
    total: PeopleOut
    areas: list[AreaCoverageOut]
    flagged: list[FlaggedOut]
    units_off_network: int


class CoverageOut(_Out):
    minutes: int
    by: str
    kinds: list[KindCoverageOut]
    network_edges: int
    seconds: float


class BandOut(_Out):
    minutes: int
    area_m2: float
    edges: int
    geometry: dict[str, Any]


class IsochroneOut(_Out):
    lon: float
    lat: float
    snap_m: float
    bands: list[BandOut]
    seconds: float
    facility: str | None


class IslandOut(_Out):
    component: int
    nodes: int
    length_m: float
    roads: list[str]


class NetworkOut(_Out):
    nodes: int
    edges: int
    length_km: float
    components: int
    islands: list[IslandOut]
    seconds: float


class SiteOut(_Out):
    node: int
    lon: float
    lat: float
    care_people: int


class SitingOut(_Out):
    kind: str
    minutes: int
    sites: int
    uncovered_care_people: int
    candidates: int
    mclp: list[SiteOut]
    mclp_covered: int
    mclp_seconds: float
    greedy: list[SiteOut]
    greedy_covered: int
    greedy_seconds: float
    matrix_seconds: float
