"""What imports answer: the import report (also inside a 422 that refuses a file) and the list
of imports that landed."""

from __future__ import annotations

from typing import Any

from api.schemas.common import Number, Out, Stamp


class ProblemRowOut(Out):
    """One thing wrong with one row (the row number as a spreadsheet shows it)."""

    row: int | None
    id: str | None
    reason: str
    field: str | None
    repairable: bool


class RepairOut(Out):
    row: int
    id: str
    reason: str
    became: str
    area_change_pct: Number | None


class ImportReportOut(Out):
    """Rows read, CRS and encoding used, what was (or would be) written, problems, repairs and
    the kind's findings (a departmental layer: gaps, split units, crossings, empty grids)."""

    kind: str
    file: str
    format: str
    source_layer: str | None
    encoding: str | None
    crs: str
    rows_read: int
    check: bool
    ok: bool
    written: dict[str, int]
    warnings: list[str]
    errors: list[ProblemRowOut]
    error_count: int
    repaired: list[RepairOut]
    findings: dict[str, Any]
    batch_id: int | None
    seconds: Number


class ImportBatchOut(Out):
    """An import that landed, with its options and the report's summary."""

    id: int
    at: Stamp
    actor: str
    kind: str
    filename: str | None
    sha256: str | None
    options: dict[str, Any] | None
    written: dict[str, Any] | None
    report: dict[str, Any] | None
