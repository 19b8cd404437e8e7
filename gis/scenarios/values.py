"""What a scenario is, as gis/ answers it: its definition, its latest job and its report (the
store reads and writes them: :mod:`gis.scenarios.store`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class JobProgress:
    done: int | None
    total: int | None


@dataclass(frozen=True)
class ScenarioJob:
    """A scenario's latest durable job (times as ISO text)."""

    id: int
    state: str
    progress: JobProgress
    cancel_requested: bool
    error: str | None
    created_at: str | None
    started_at: str | None
    finished_at: str | None


@dataclass(frozen=True)
class ScenarioHead:
    """What a scenario is and who made or adopted it (times as ISO text)."""

    id: int
    name: str
    area: list[str]
    params: dict[str, Any]
    state: str
    base_version: int | None
    layer: str | None
    created_by: str | None
    created_at: str | None
    adopted_by: str | None
    adopted_at: str | None


@dataclass(frozen=True)
class Scenario(ScenarioHead):
    """A scenario with the optimizer's report (when done), its adoption and its job."""

    report: dict[str, Any] | None
    adoption: dict[str, Any] | None
    job: ScenarioJob | None


@dataclass(frozen=True)
class ScenarioListItem(ScenarioHead):
    """A scenario as the list shows it: the report's headline figures instead of the report."""

    adoption: dict[str, Any] | None
    job: ScenarioJob | None
    summary: dict[str, Any]
