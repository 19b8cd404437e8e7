"""The ranking of a month as CSV or XLSX, through the one spreadsheet writer (formulas defused)."""

from __future__ import annotations

from sqlalchemy import Connection

from gis import audit, spreadsheet
from gis.access import Access
from gis.assessment.scores import Ranking
from gis.assessment.weights import MEASURES
from gis.errors import Invalid
from gis.personal import ExportFile

FORMATS = {"csv": spreadsheet.CSV_MEDIA, "xlsx": spreadsheet.XLSX_MEDIA}
HEADINGS = [
    "街道 Street",
    "街道代码 Street code",
    "排名 Rank",
    "网格员 Worker",
    "姓名 Name",
    "网格 Grid",
    "网格代码 Grid code",
    "得分 Score",
    *(m.name for m in MEASURES),
    "在网格时间占比 Share in grid",
]


def export_ranking(conn: Connection, found: Ranking, fmt: str, *, access: Access) -> ExportFile:
    """The ranking's rows (one per worker, points per measure) as ``fmt``; audited."""
    if fmt not in FORMATS:
        raise Invalid(
            f"导出格式须为 csv 或 xlsx，而不是 {fmt!r} (format is csv or xlsx)", format=fmt
        )
    rows = [
        [
            r.street_name,
            r.street,
            r.rank,
            r.worker,
            r.name,
            r.grid_name,
            r.grid,
            r.score,
            *(r.points[m.code] for m in MEASURES),
            r.share,
        ]
        for r in found.rows
    ]
    if fmt == "csv":
        data = spreadsheet.csv_bytes(HEADINGS, rows)
    else:
        sheet = spreadsheet.Sheet(
            f"考核 {found.month}",
            HEADINGS,
            rows,
            widths=[14, 12, 6, 14, 10, 16, 18, 8],
            formats={1: "@", 6: "@"},
        )
        data = spreadsheet.xlsx_bytes([sheet])
    summary = {"format": fmt, "month": found.month, "rows": len(rows), "scope": found.scope}
    audit.record(conn, access.actor, "assessment.export", "assessment", found.month, None, summary)
    return ExportFile(
        data=data,
        media_type=FORMATS[fmt],
        filename=f"assessment-{found.month}.{fmt}",
        fields=["street_name", "street", "rank", "worker", "name", "grid_name", "grid", "score"]
        + [m.code for m in MEASURES]
        + ["share"],
        personal_fields=["name"],
        personal_data="full" if access.personal_data else "masked",
        rows=len(rows),
    )
