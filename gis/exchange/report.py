"""What an import says back: every problem by row and id, what was repaired, what was written."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from gis.errors import InvalidFile

#: At most this many problems of one kind are listed (the count is always whole).
MAX_LISTED = 200


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one row: the row number as a spreadsheet shows it (header = 1)."""

    row: int | None
    id: str | None
    reason: str
    field: str | None = None
    repairable: bool = False


@dataclass(frozen=True)
class Repair:
    """What ``--repair`` (``make_valid``) changed in one row."""

    row: int
    id: str
    reason: str
    became: str
    area_change_pct: float | None  # None where the invalid shape had no area to compare


@dataclass
class ImportReport:
    kind: str
    file: str
    fmt: str = ""
    source_layer: str | None = None
    encoding: str | None = None
    crs: str = ""
    rows_read: int = 0
    check: bool = False
    ok: bool = True
    written: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    repaired: list[Repair] = field(default_factory=list)
    #: Kind-specific findings (a departmental layer: gaps, split units, crossings, empty grids).
    findings: dict[str, Any] = field(default_factory=dict)
    batch_id: int | None = None
    seconds: float = 0.0

    def add(self, problems: list[Problem]) -> None:
        self.errors.extend(problems)
        if problems:
            self.ok = False

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["format"] = out.pop("fmt")
        out["error_count"] = len(self.errors)
        out["errors"] = out["errors"][:MAX_LISTED]
        out["repaired"] = out["repaired"][:MAX_LISTED]
        return out

    def summary(self) -> str:
        verb = "would write" if self.check else "wrote"
        written = ", ".join(f"{k} {v:,}" for k, v in self.written.items()) or "nothing"
        head = f"{self.file}: {self.fmt}, {self.rows_read:,} rows, {self.crs}" + (
            f", {self.encoding}" if self.encoding else ""
        )
        if not self.ok:
            return f"{head} — {len(self.errors):,} problem(s), nothing written"
        return f"{head} — {verb} {written} in {self.seconds:.1f} s"


class ImportRejected(InvalidFile):
    """An import refused because of problems in its rows; carries the whole report."""

    def __init__(self, report: ImportReport) -> None:
        first = report.errors[0]
        where = f"row {first.row}" if first.row is not None else "file"
        ident = f" ({first.id})" if first.id else ""
        repairable = sum(p.repairable for p in report.errors)
        hint = (
            f"; {repairable} invalid geometr(ies) can be fixed with --repair (make_valid)"
            if repairable
            else ""
        )
        where_zh = f"第 {first.row} 行" if first.row is not None else "文件"
        super().__init__(
            f"{report.file}：发现 {len(report.errors)} 个问题，未导入任何数据；"
            f"第一个在{where_zh}{ident} ("
            f"{report.file}: {len(report.errors)} problem(s), nothing was imported; "
            f"first: {where}{ident}: {first.reason}{hint})",
            problems=len(report.errors),
        )
        self.report = report
