"""What the party-building routes answer (党建引领): assignments, coverage, suggestions and the
field worker's grid. Members' names and phones are masked unless the viewer may see personal
data (``masked``; ``personal_data`` says which for a whole page)."""

from __future__ import annotations

from typing import Any, Literal

from api.schemas.common import (
    MISSING,
    CodeNameOut,
    Day,
    FeatureCollectionOut,
    FeatureOut,
    Number,
    Out,
    Stamp,
)

PersonalData = Literal["full", "masked"]


class TargetOut(Out):
    """What a role is held over: a grid (of a layer), a building, an entrance unit."""

    kind: str
    code: str
    layer: str | None | MISSING = MISSING
    number: int | None | MISSING = MISSING
    name: str | None


class PersonOut(Out):
    code: str
    name: str | None
    phone: str | None
    masked: bool


class AssignmentOut(Out):
    id: int
    role: str
    role_label: str
    target: TargetOut
    member: PersonOut | None
    organisation: CodeNameOut | None
    starts_on: Day
    ends_on: Day | None
    active: bool


class AssignmentPageOut(Out):
    items: list[AssignmentOut]
    numberMatched: int  # noqa: N815 - OGC API spelling, as the GeoJSON collections
    numberReturned: int  # noqa: N815
    personal_data: PersonalData
    next_offset: int | MISSING = MISSING


class ArchivedMemberOut(Out):
    code: str
    name: str | None
    phone: str | None


class ArchivedTargetOut(Out):
    kind: str
    layer: str | None
    code: str


class ArchivedAssignmentOut(Out):
    """An assignment filed with a grid that was deleted (merged away, re-imported)."""

    id: int
    role: str
    role_label: str
    target: ArchivedTargetOut
    member: ArchivedMemberOut | None
    starts_on: Day
    ends_on: Day | None
    grid_deleted_at: Stamp | None


class CoverageTotalsOut(Out):
    buildings: int
    buildings_covered: int
    entrances: int
    entrances_covered: int
    grids: int
    grids_with_leader: int
    cadres: int
    members: int
    members_with_role: int
    buildings_share: Number | None
    entrances_share: Number | None
    grids_share: Number | None
    members_share: Number | None


class CoverageOut(Out):
    """Totals over the scope, and (with ``by``) one row per street, community or grid."""

    on: Day
    layer: str
    scope: str
    totals: CoverageTotalsOut
    by: str | MISSING = MISSING
    rows: list[dict[str, Any]] | MISSING = MISSING


class UncoveredOut(Out):
    """A page of what has no leader (or of members with no role)."""

    kind: Literal["building", "entrance", "grid", "member"]
    items: list[dict[str, Any]]
    numberMatched: int  # noqa: N815
    numberReturned: int  # noqa: N815
    personal_data: PersonalData | MISSING = MISSING
    next_offset: int | MISSING = MISSING


class SuggestedBuildingOut(Out):
    code: str
    name: str | None
    households: int | None
    covered: bool


class SuggestionOut(Out):
    code: str
    name: str | None
    phone: str | None
    masked: bool
    rank: int
    distance_m: Number
    buildings_led: int
    free_capacity: int
    organisation: CodeNameOut | None
    community_code: str | None


class SuggestionsOut(Out):
    building: SuggestedBuildingOut
    max_buildings: int
    distance: str
    personal_data: PersonalData
    items: list[SuggestionOut]


class FieldLeaderOut(Out):
    code: str
    name: str | None
    role: str
    phone: str | None
    starts_on: Day
    assignment: int
    organisation: str | None
    masked: bool


class FieldViewOut(Out):
    """A grid as its field worker sees it: outline, buildings with their leaders, the grid's
    leaders and cadres, and the open incidents."""

    grid: FeatureOut
    leaders: list[FieldLeaderOut]
    open_incidents: int
    buildings: FeatureCollectionOut
    incidents: FeatureCollectionOut
    personal_data: PersonalData
    on: Day
