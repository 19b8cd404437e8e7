"""What the grid editor answers: an edit's result (applied or previewed), history, a lasso."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from api.schemas.common import MISSING, FeatureCollectionOut, Number, Out, Stamp, SuccessionOut


class MoveOut(Out):
    unit: str
    from_: str = Field(alias="from")
    to: str


class GridSummaryOut(Out):
    """A touched grid's figures before or after the edit."""

    code: str
    name: str
    locked: bool
    unit_count: int | None
    households: int | None
    population: int | None
    workload: Number | None
    pieces: int
    compactness: Number | None
    band: str | None


class TouchedGridOut(Out):
    code: str
    status: Literal["changed", "created", "deleted"]
    before: GridSummaryOut | None
    after: GridSummaryOut | None


class LeadersOut(Out):
    decisions: list[SuccessionOut]
    restored: list[dict[str, Any]]
    not_restored: list[dict[str, Any]]


class EditResultOut(Out):
    """An edit, applied or (``dry_run``) previewed: the grids it touches before and after,
    the units it moves, the leaders who follow; ``preview`` holds the new outlines."""

    layer: str
    kind: str
    summary: str
    dry_run: bool
    applied: bool
    base_version: int
    version: int
    edit: int | None
    moved: int
    moves: list[MoveOut]
    grids: list[TouchedGridOut]
    leaders: LeadersOut
    splits: list[str]
    needs_confirm: bool
    refused: str | None
    preview: FeatureCollectionOut | MISSING = MISSING


class GridStateOut(Out):
    code: str
    name: str
    locked: bool
    community_id: int | None | MISSING = MISSING


class GridChangeOut(Out):
    before: GridStateOut
    after: GridStateOut


class GridChangesOut(Out):
    changed: list[GridChangeOut]
    created: list[GridStateOut]
    deleted: list[GridStateOut]


class EditSummaryOut(Out):
    version: int
    summary: str


class EditHeaderOut(Out):
    version: int
    base_version: int
    kind: str
    actor: str
    at: Stamp
    summary: str
    grids: GridChangesOut
    communities: list[str]


class HistoryItemOut(EditHeaderOut):
    undone: bool
    undoes_version: int | None
    moved: int


class HistoryOut(Out):
    layer: str
    version: int
    items: list[HistoryItemOut]
    numberMatched: int  # noqa: N815 - OGC API spelling, as the GeoJSON collections
    numberReturned: int  # noqa: N815
    can_undo: EditSummaryOut | None
    can_redo: EditSummaryOut | None
    next_offset: int | MISSING = MISSING


class HistoryEntryOut(EditHeaderOut):
    moves: list[MoveOut]


class SelectedUnitOut(Out):
    code: str
    grid: str | None
    community_code: str
    households: int | None


class SelectionOut(Out):
    layer: str
    version: int
    units: list[SelectedUnitOut]


class MoveGroupOut(Out):
    units: list[str]
    to: str


class GridLoadOut(Out):
    code: str = Field(description='the grid, or "new" for one the suggestion creates')
    status: Literal["changed", "created", "deleted"]
    before: Number
    after: Number


class SuggestionOut(Out):
    label: str
    moves: list[MoveGroupOut]
    units_moved: int
    in_band_before: int
    in_band_after: int
    grids_after: int
    grids: list[GridLoadOut]


class SuggestionsOut(Out):
    layer: str
    version: int
    area: str
    grids: int = Field(description="grids the search could change (not locked, in scope)")
    in_band: int
    band: tuple[Number, Number]
    suggestions: list[SuggestionOut]
