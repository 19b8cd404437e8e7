"""What the scenario routes answer: a scenario with its job, comparisons, the crosswalk and
county figures, the impact on a community, and the workload profiles."""

from __future__ import annotations

from typing import Any, Literal

from api.schemas.common import MISSING, CodeNameOut, Number, Out, Stamp, SuccessionOut

ScenarioState = Literal["queued", "running", "done", "failed", "cancelled", "adopted"]


class WeightsOut(Out):
    """The weight of each unit attribute in the workload (an attribute not named weighs 0)."""

    households: Number | MISSING = MISSING
    population: Number | MISSING = MISSING
    buildings: Number | MISSING = MISSING
    incidents_per_year: Number | MISSING = MISSING
    care_people: Number | MISSING = MISSING


class ProfileOut(Out):
    """A county's workload weights and band; ``saved`` false: the installation's defaults."""

    district: str
    saved: bool
    weights: WeightsOut
    band: list[Number]
    updated_by: str | MISSING = MISSING
    updated_at: Stamp | MISSING = MISSING


class ProgressOut(Out):
    done: int | None
    total: int | None


class JobOut(Out):
    id: int
    state: str
    progress: ProgressOut
    cancel_requested: bool
    error: str | None
    created_at: Stamp | None
    started_at: Stamp | None
    finished_at: Stamp | None


class ScenarioOut(Out):
    """A scenario, its parameters, its durable job and (when done) the optimizer's report."""

    id: int
    name: str
    area: list[str]
    params: dict[str, Any]
    state: ScenarioState
    base_version: int | None
    layer: str | None
    created_by: str | None
    created_at: Stamp | None
    adopted_by: str | None
    adopted_at: Stamp | None
    report: dict[str, Any] | None | MISSING = MISSING
    adoption: dict[str, Any] | None
    job: JobOut | None


class ScenarioSummaryOut(Out):
    """A report's headline figures (null until the run is done)."""

    count: int | None
    workload_cv: Number | None
    share_in_band: Number | None
    units_moved: int | None
    seconds: Number | None


class ScenarioListItemOut(ScenarioOut):
    """A scenario as the list shows it: no report, its headline figures instead."""

    summary: ScenarioSummaryOut


class HistogramOut(Out):
    edges: list[Number]
    counts: list[int]


class BoundaryOut(Out):
    """What a layer's grid boundary runs along: its length and shares (0–1) of it; the shares
    are null where no road or river is known (no figure rather than a guess)."""

    code: str
    length_km: Number
    river: Number | None
    primary: Number | None
    secondary: Number | None
    branch: Number | None
    lane: Number | None
    none: Number | None
    visible: Number | None


class CompareItemOut(Out):
    """One scenario or layer's metrics over the compared area; a layer without grids there
    has only its count (0), histogram, band, weights and definition."""

    code: str
    kind: str
    label: str
    definition: str
    scenario_id: int | None
    grid_count: int
    workload_mean: Number | None | MISSING = MISSING
    workload_cv: Number | None | MISSING = MISSING
    workload_min: Number | None | MISSING = MISSING
    workload_max: Number | None | MISSING = MISSING
    share_in_band: Number | None | MISSING = MISSING
    grids_under_band: int | None | MISSING = MISSING
    grids_over_band: int | None | MISSING = MISSING
    households: int | None | MISSING = MISSING
    households_per_grid: Number | None | MISSING = MISSING
    polsby_popper_mean: Number | None | MISSING = MISSING
    polsby_popper_min: Number | None | MISSING = MISSING
    grids_crossing_communities: int | None | MISSING = MISSING
    units: int | None | MISSING = MISSING
    units_moved: int | None | MISSING = MISSING
    households_moved: int | None | MISSING = MISSING
    histogram: HistogramOut
    band: list[Number]
    weights: WeightsOut
    boundary: BoundaryOut


class CompareOut(Out):
    area: list[str] | None
    basis: str
    basis_label: str
    items: list[CompareItemOut]


class DepartmentFiguresOut(Out):
    layer: str
    department: str | None
    name: str | None
    grids: int
    households_per_grid: Number | None


class BeforeFiguresOut(Out):
    departments: list[DepartmentFiguresOut]
    grids: int
    households_per_grid: Number | None
    grid_workers: int


class GridFiguresOut(Out):
    grids: int
    households_per_grid: Number | None
    grid_workers: int | MISSING = MISSING


class CountyFiguresOut(Out):
    """Grids and grid workers before (the departmental layers) and after (the scenario)."""

    scenario: int
    area: list[str]
    households: int | None
    before: BeforeFiguresOut
    unified_today: GridFiguresOut
    after: GridFiguresOut
    grid_workers_saved: int
    reduction: Number | None


class CrosswalkRowOut(Out):
    layer: str
    department: str | None
    d_code: str
    d_name: str | None
    s_code: str
    s_name: str | None
    households: int | None
    area_m2: Number | None
    units: int
    households_share: Number | None
    area_share: Number | None
    d_share_in_area: Number | None
    share_of_new_grid: Number | None


class AbsorbedOut(Out):
    layer: str
    code: str
    name: str | None
    households: int | None
    share_of_departmental_grid: Number | None
    share_of_new_grid: Number | None


class AbsorbsOut(Out):
    code: str
    name: str | None
    absorbs: list[AbsorbedOut]


class CrosswalkOut(Out):
    """多网合一: which scenario grids take over each departmental grid, and what each absorbs."""

    scenario: int
    figures: CountyFiguresOut
    rows: list[CrosswalkRowOut]
    absorbs: list[AbsorbsOut]


class ImpactBuildingOut(Out):
    code: str
    name: str | None
    households: int | None
    unit: str | None
    grid_before: str | None
    grid_after: str | None


class ImpactPersonOut(Out):
    kind: str
    person: str
    role: str
    grid_before: str | None
    grid_after: str | None
    buildings_before: int
    buildings_after: int
    gained: int
    lost: int


class ImpactOut(Out):
    """A community's buildings and people before and after a scenario (网格合并)."""

    scenario: int
    community: CodeNameOut
    buildings: list[ImpactBuildingOut]
    buildings_moved: int
    people: list[ImpactPersonOut]
    leaders: list[SuccessionOut]
