"""Reading tables (CSV text and Excel workbooks) within the import limits.

A CSV is decoded as UTF-8 (with or without BOM) or, failing that, GB18030 (a superset of GBK),
and read at most one row past the row limit. A workbook is streamed row by row (openpyxl's
read-only mode), never loaded whole, so a sheet of a million empty-looking rows is refused at the
limit, with the time budget checked as it goes. Cells that Gridmap's own exports defused with an
apostrophe (:mod:`gis.spreadsheet`) are restored, so a round trip gives back exactly what left.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from gis.errors import Invalid, InvalidFile
from gis.exchange.limits import Deadline, check_archive, check_rows
from gis.infra.settings import ImportLimits
from gis.spreadsheet import restore_frame

WKT_COLUMNS = ("wkt", "geometry", "geom", "the_geom", "shape", "几何")
LON_COLUMNS = ("lon", "lng", "longitude", "x", "经度", "东经")
LAT_COLUMNS = ("lat", "latitude", "y", "纬度", "北纬")
#: Check the time budget every this many workbook rows.
CHECK_EVERY = 2000


@dataclass
class Table:
    """A table as read: text cells ('' for empty), and how it was read."""

    frame: pd.DataFrame
    encoding: str | None
    layer: str | None
    warnings: list[str]


def read_table(
    path: Path, shown: str, fmt: str, limits: ImportLimits, deadline: Deadline, **how: Any
) -> Table:
    """A CSV (``fmt='csv'``, ``encoding=``) or workbook (``fmt='xlsx'``, ``sheet=``) as text."""
    if fmt == "csv":
        table = _read_csv(path, shown, how.get("encoding"), limits)
    else:
        table = _read_xlsx(path, shown, how.get("sheet"), limits, deadline)
    deadline.check("reading the file")
    table.frame = restore_frame(table.frame)
    return table


def _decode(raw: bytes, shown: str, encoding: str | None) -> tuple[str, str, list[str]]:
    if encoding:
        try:
            return raw.decode(encoding), encoding, []
        except UnicodeDecodeError as exc:
            raise InvalidFile(
                f"{shown} 不是有效的 {encoding} 文本 ({shown} is not valid {encoding} text ({exc}))"
            ) from exc
    try:
        return raw.decode("utf-8-sig"), "UTF-8", []
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise InvalidFile(
            f"{shown} 既不是 UTF-8 也不是 GBK 文本：请用 --encoding 指"
            "定编码 ("
            f"{shown} is neither UTF-8 nor GBK text; give --encoding)",
            reason="encoding",
        ) from exc
    return text, "GB18030", [f"{shown} is not UTF-8: read as GBK/GB18030"]


def _read_csv(path: Path, shown: str, encoding: str | None, limits: ImportLimits) -> Table:
    text, used, warnings = _decode(path.read_bytes(), shown, encoding)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            nrows=limits.max_rows + 1,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InvalidFile(
            f"{shown}：不是可读取的 CSV 表格 ({shown}: not a readable CSV table ({exc}))",
            reason="unreadable",
        ) from exc
    check_rows(len(frame), shown, limits)
    frame.columns = [str(c).strip() for c in frame.columns]
    return Table(frame, used, None, warnings)


def _text(value: Any) -> str:
    """A workbook cell as text, as pandas' ``read_excel(dtype=str)`` gives it."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)  # dates and times as pandas shows them: 2025-06-01 08:00:00


def _rows(
    sheet: Any, shown: str, limits: ImportLimits, deadline: Deadline
) -> Iterator[tuple[Any, ...]]:
    """The sheet's non-blank rows, refusing past the row limit and the time budget."""
    count = 0
    for n, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if n % CHECK_EVERY == 0:
            deadline.check(f"reading row {n:,} of the workbook")
        if all(v is None or v == "" for v in row):
            continue
        count += 1
        check_rows(count - 1, shown, limits)  # the header is not a row
        yield row


def _header(cells: tuple[Any, ...]) -> list[str]:
    names: list[str] = []
    for i, value in enumerate(cells):
        name = _text(value).strip() or f"Unnamed: {i}"
        base, k = name, 0
        while name in names:
            k += 1
            name = f"{base}.{k}"
        names.append(name)
    return names


def _read_xlsx(
    path: Path, shown: str, sheet: str | None, limits: ImportLimits, deadline: Deadline
) -> Table:
    from openpyxl import load_workbook

    check_archive(path, shown, limits)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile, openpyxl and xml errors
        raise InvalidFile(
            f"{shown}：不是可读取的 Excel 工作簿 ({shown}: not a readable Excel workbook ({exc}))"
        ) from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InvalidFile(
                f"{shown} 中没有工作表 {sheet!r} ("
                f"{shown} has no sheet {sheet!r}; it has {', '.join(book.sheetnames)})"
            )
        name = sheet or book.sheetnames[0]
        try:
            rows = list(_rows(book[name], shown, limits, deadline))
        except (InvalidFile, Invalid):
            raise
        except Exception as exc:  # a broken sheet inside a readable zip
            raise InvalidFile(
                f"{shown}：不是可读取的 Excel 工作簿 ("
                f"{shown}: not a readable Excel workbook ({exc}))"
            ) from exc
    finally:
        book.close()
    columns = _header(rows[0]) if rows else []
    width = len(columns)
    body = [[_text(v) for v in (*row[:width], *([None] * (width - len(row))))] for row in rows[1:]]
    frame = pd.DataFrame(body, columns=columns, dtype=object)
    return Table(frame, None, name, [])


def _column(frame: pd.DataFrame, given: str | None, candidates: tuple[str, ...]) -> str | None:
    if given is not None:
        if given not in frame.columns:
            raise Invalid(
                f"没有列 {given!r} (no column {given!r}; the file has {', '.join(frame.columns)})"
            )
        return given
    lower = {c.lower(): c for c in frame.columns}
    for candidate in candidates:
        if candidate in lower:
            return str(lower[candidate])
    return None


def table_geometry(
    table: Table,
    shown: str,
    wkt_column: str | None,
    lon_column: str | None,
    lat_column: str | None,
) -> tuple[pd.DataFrame, np.ndarray, dict[int, str]]:
    """Attributes, geometry and unreadable rows of a table, from a WKT column or lon/lat."""
    frame = table.frame
    unreadable: dict[int, str] = {}
    wkt = None if (lon_column or lat_column) else _column(frame, wkt_column, WKT_COLUMNS)
    if wkt is not None:
        texts = frame[wkt].astype(str).str.strip().to_numpy()
        geoms = shapely.from_wkt(np.where(texts == "", None, texts), on_invalid="ignore")
        for i in np.flatnonzero(shapely.is_missing(geoms) & (texts != "")):
            unreadable[int(i)] = _wkt_error(str(texts[i]))
        return frame.drop(columns=[wkt]), geoms, unreadable
    lon = _column(frame, lon_column, LON_COLUMNS)
    lat = _column(frame, lat_column, LAT_COLUMNS)
    if lon is None or lat is None:
        raise InvalidFile(
            f"{shown}：没有几何列：请提供 WKT 列（wkt、geometry）或经"
            "度、纬度列（lon/lng/经度、lat/纬度），或用 --wkt-column"
            "、--lon-column、--lat-column 指定 ("
            f"{shown}: no geometry column — give a WKT column (wkt, geometry) or longitude "
            "and latitude columns (lon/lng/经度, lat/纬度), or name them with --wkt-column, "
            "--lon-column and --lat-column)",
            reason="no_geometry",
        )
    x = pd.to_numeric(frame[lon], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(frame[lat], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(x) | ~np.isfinite(y)
    geoms = shapely.points(np.where(bad, np.nan, x), np.where(bad, np.nan, y))
    geoms = np.asarray(np.where(bad, None, geoms), dtype=object)
    for i in np.flatnonzero(bad):
        unreadable[int(i)] = (
            f"{lon}/{lat} are not numbers: {frame[lon].iloc[i]!r}, {frame[lat].iloc[i]!r}"
        )
    return frame.drop(columns=[lon, lat]), geoms, unreadable


def _wkt_error(text: str) -> str:
    try:
        shapely.from_wkt(text)
    except shapely.errors.GEOSException as exc:
        message = str(exc)
        if "closed" in message.lower():
            return f"ring not closed ({message})"
        return f"not valid WKT ({message})"
    return "not valid WKT"
