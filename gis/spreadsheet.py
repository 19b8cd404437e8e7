"""The one writer of CSV and XLSX files that people open in a spreadsheet, and its inverse.

Every table Gridmap hands out as CSV or XLSX (layer exports, assignments, the crosswalk, the audit
log) is written here, so that no exporter can forget the rules:

- text a spreadsheet would run as a formula (CSV/formula injection, OWASP: a cell starting
  with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading apostrophe
  (:func:`defused`);
  a planner's grid named ``=HYPERLINK("http://…","x")`` stays text in Excel and WPS;
- CSV in UTF-8 starts with a byte-order mark, so that Excel reads the Chinese right (GBK, for
  older office software, has none);
- XLSX cells holding text are written as string cells, never formulas, whatever their value.

Gridmap's own import undoes the apostrophe (:func:`restored`, :func:`restore_frame`), so an export
imported again gives back exactly what was exported. The rule is exact both ways: text that
already starts with apostrophes before a formula character gets one more, and one is taken off.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

#: What a spreadsheet reads as the start of a formula (CSV/formula injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Text that needs (or, read back, had) the apostrophe: apostrophes, then a formula start.
_FORMULA_LIKE = re.compile(r"'*[=+\-@\t\r]")
_RESTORE = r"^'(?='*[=+\-@\t\r])"
CSV_MEDIA = "text/csv; charset=utf-8"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def defused(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; the rest is as is."""
    if isinstance(value, str) and _FORMULA_LIKE.match(value):
        return "'" + value
    return value


def restored(value: str) -> str:
    """The inverse of :func:`defused` on text read back from a Gridmap file."""
    if value.startswith("'") and _FORMULA_LIKE.match(value, 1):
        return value[1:]
    return value


def restore_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` (text columns and header) with :func:`restored` applied, vectorised."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype != object:
            continue
        quoted = values.str.startswith("'", na=False)
        if quoted.any():
            out.loc[quoted, column] = values[quoted].str.replace(_RESTORE, "", regex=True)
    out.columns = [restored(str(c)) for c in out.columns]
    return out


def _plain(value: Any) -> Any:
    """A value as a spreadsheet cell takes it: no NaN, no numpy scalars, no zoned datetimes."""
    kind = type(value)
    if kind is str:
        return defused(value)
    if kind is int or kind is bool:
        return value
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.isoformat()
    return defused(value)


def _csv_row(row: Iterable[Any]) -> list[Any]:
    out = []
    for value in row:
        plain = _plain(value)
        if isinstance(plain, dt.date | dt.datetime):
            plain = plain.isoformat()
        out.append("" if plain is None else plain)
    return out


def csv_chunks(
    header: Sequence[str], rows: Iterable[Iterable[Any]], *, every: int = 1000
) -> Iterator[str]:
    """CSV text (BOM first, CRLF lines) in chunks of ``every`` rows, for streaming answers."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(_csv_row(header))
    for n, row in enumerate(rows, start=1):
        writer.writerow(_csv_row(row))
        if n % every == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_text(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> str:
    """The whole table as CSV text, starting with a byte-order mark."""
    return "".join(csv_chunks(header, rows))


def csv_bytes(
    header: Sequence[str], rows: Iterable[Iterable[Any]], *, encoding: str = "UTF-8"
) -> bytes:
    """The table as a CSV file: UTF-8 with a BOM, or GBK (no BOM; unmappable characters ``?``)."""
    text = csv_text(header, rows)
    if encoding.upper().replace("-", "") == "UTF8":
        return text.encode("utf-8")
    return text.removeprefix("\ufeff").encode(encoding, "replace")


@dataclass
class Sheet:
    """One sheet of a workbook: a bold header row (if any), rows, and how columns look."""

    title: str
    header: Sequence[str] | None
    rows: Iterable[Sequence[Any]]
    #: Column widths from A on (characters).
    widths: Sequence[float] = ()
    #: 0-based column → number format ('@' keeps codes as text, '0.0%' shows shares).
    formats: dict[int, str] = field(default_factory=dict)
    freeze_header: bool = True
    #: Rows above the header (a form's title, its department and month), the first one bold.
    preamble: Sequence[Sequence[Any]] = ()


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """A workbook of ``sheets``, streamed (write-only): text cells are string cells, never
    formulas, and formula-looking text is defused as in CSV."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for spec in sheets:
        sheet = book.create_sheet(spec.title)
        for i, width in enumerate(spec.widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        if spec.header is not None and spec.freeze_header:
            sheet.freeze_panes = f"A{len(spec.preamble) + 2}"
        for n, line in enumerate(spec.preamble):
            cells = [_cell(sheet, _plain(v), WriteOnlyCell) for v in line]
            if n == 0:
                for cell in cells:
                    cell.font = bold
            sheet.append(cells)
        if spec.header is not None:
            cells = []
            for name in spec.header:
                cell = _cell(sheet, _plain(name), WriteOnlyCell)
                cell.font = bold
                cells.append(cell)
            sheet.append(cells)
        formats = spec.formats
        for row in spec.rows:
            values = [_plain(v) for v in row]
            for j, value in enumerate(values):
                # Plain values stream fastest; a cell object only where a format is wanted, or
                # (never, once defused) where openpyxl would read the text as a formula.
                if j in formats or (type(value) is str and value.startswith("=")):
                    cell = _cell(sheet, value, WriteOnlyCell)
                    if j in formats:
                        cell.number_format = formats[j]
                    values[j] = cell
            sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(sheet: Any, plain: Any, make: Any) -> Any:
    """A cell object for a value already made plain (:func:`_plain`)."""
    cell = make(sheet, value=plain)
    if isinstance(plain, str):
        cell.data_type = "s"  # text, whatever it looks like: never a formula
    return cell
