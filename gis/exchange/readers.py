"""Reading the files counties bring: each format checked against what its name says it is.

Every reader returns a GeoDataFrame of text columns plus geometry (still in the file's own
coordinates) and what it learnt on the way (format, layer, encoding, the CRS the file declares,
warnings). Geometry that cannot even be parsed (bad WKT, a ring that does not close, lon/lat that
are not numbers) is kept as a missing geometry with the reason, so that validation can name the
row instead of the whole file failing.

Why attribute encodings get care: Shapefiles from Chinese desktop GIS are very often GBK with no
.cpg; read as Latin-1 their names come out as mojibake. A .cpg is honoured; without one the table
is read as UTF-8 when its bytes are valid UTF-8, else as GB18030 (a superset of GBK), with a
warning. ``encoding=`` overrides both.
"""

from __future__ import annotations

import codecs
import io
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from gis.errors import Invalid, InvalidFile

#: File extension → the format it promises.
EXTENSIONS: dict[str, str] = {
    ".gpkg": "gpkg",
    ".geojson": "geojson",
    ".json": "geojson",
    ".zip": "shp",
    ".shp": "shp",
    ".csv": "csv",
    ".txt": "csv",
    ".kml": "kml",
    ".kmz": "kml",
    ".xlsx": "xlsx",
}
FORMAT_NAMES = {
    "gpkg": "a GeoPackage",
    "geojson": "GeoJSON",
    "shp": "a zipped Shapefile",
    "csv": "CSV text",
    "kml": "KML",
    "xlsx": "an Excel workbook (.xlsx)",
    "zip": "a zip archive without a Shapefile",
    "binary": "a binary file of no supported kind",
    "empty": "empty",
}
WKT_COLUMNS = ("wkt", "geometry", "geom", "the_geom", "shape", "几何")
LON_COLUMNS = ("lon", "lng", "longitude", "x", "经度", "东经")
LAT_COLUMNS = ("lat", "latitude", "y", "纬度", "北纬")


@dataclass
class Source:
    """A file as read: text attributes, geometry in the file's coordinates, and notes."""

    frame: gpd.GeoDataFrame
    fmt: str
    layer: str | None = None
    encoding: str | None = None
    crs: CRS | None = None
    warnings: list[str] = field(default_factory=list)
    #: Row (0-based) → why its geometry could not be parsed.
    unreadable: dict[int, str] = field(default_factory=dict)


def sniff(path: Path) -> str:
    """What the bytes say the file is, whatever its name."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if not head:
        return "empty"
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = [n.lower() for n in archive.namelist()]
        except zipfile.BadZipFile:
            return "binary"
        if any(n.endswith(".shp") for n in names):
            return "shp"
        if "[content_types].xml" in names and any(n.startswith("xl/") for n in names):
            return "xlsx"
        if any(n.endswith(".kml") for n in names):
            return "kml"
        return "zip"
    if b"\x00" in head:
        return "binary"
    text = head.lstrip(codecs.BOM_UTF8).lstrip()
    if text.startswith(b"{"):
        return "geojson"
    if text.startswith(b"<") and b"kml" in text.lower():
        return "kml"
    return "csv"


def expected_format(path: Path, name: str | None = None) -> str:
    suffix = Path(name or path.name).suffix.lower()
    fmt = EXTENSIONS.get(suffix)
    if fmt is None:
        raise InvalidFile(
            f"{name or path.name}: unsupported file type {suffix or '(no extension)'}; Gridmap "
            "reads .gpkg, .geojson/.json, .zip (Shapefile with .shp/.shx/.dbf/.prj/.cpg), .csv, "
            ".kml/.kmz and .xlsx",
            reason="unsupported_type",
        )
    return fmt


def read_source(
    path: Path,
    *,
    name: str | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    wkt_column: str | None = None,
    lon_column: str | None = None,
    lat_column: str | None = None,
) -> Source:
    """Read ``path`` (uploaded as ``name``) after checking it is what its extension says."""
    shown = name or path.name
    expected = expected_format(path, name)
    actual = sniff(path)
    if actual != expected and not (expected == "shp" and path.suffix.lower() == ".shp"):
        raise InvalidFile(
            f"{shown} is not {FORMAT_NAMES[expected]}: its content is {FORMAT_NAMES[actual]}",
            reason="wrong_type",
        )
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise Invalid(f"unknown encoding {encoding!r} (try utf-8 or gbk)") from exc
    if expected in ("csv", "xlsx"):
        table = (
            _read_csv(path, shown, encoding)
            if expected == "csv"
            else _read_xlsx(path, shown, layer)
        )
        return _table_geometry(table, expected, shown, wkt_column, lon_column, lat_column)
    if expected == "shp":
        return _read_shapefile(path, shown, encoding)
    return _read_ogr(path, shown, expected, layer, encoding)


# ----------------------------------------------------------------------------- OGR formats


def _as_text(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Attributes as text ('' for missing), so codes keep their leading zeros and digits."""
    out = frame.copy()
    for column in out.columns:
        if column == out.geometry.name:
            continue
        values = out[column]
        if pd.api.types.is_float_dtype(values):
            # 12.0 → '12' (codes and counts written as floats by some tools)
            as_int = values.dropna()
            if (as_int == as_int.round()).all():
                values = values.astype("Int64")
        out[column] = values.astype("string").fillna("").astype(str)
    return out


def _pick_layer(path: Path, shown: str, layer: str | None) -> str | None:
    try:
        layers = [str(n) for n, kind in pyogrio.list_layers(path) if kind is not None]
    except Exception as exc:  # DataSourceError and friends
        raise InvalidFile(f"{shown}: cannot be read ({exc})", reason="unreadable") from exc
    if layer is not None:
        if layer not in layers:
            raise InvalidFile(
                f"{shown} has no layer {layer!r}; it has {', '.join(layers) or 'none'}",
                reason="no_layer",
            )
        return layer
    if not layers:
        raise InvalidFile(f"{shown} holds no layer with geometry", reason="no_layer")
    if len(layers) > 1:
        counts = {n: pyogrio.read_info(path, layer=n)["features"] for n in layers}
        filled = [n for n in layers if counts[n]]
        if len(filled) > 1:
            raise Invalid(
                f"{shown} has several layers ({', '.join(filled)}): name one with --layer",
                reason="several_layers",
            )
        return filled[0] if filled else layers[0]
    return layers[0]


def _read_ogr(path: Path, shown: str, fmt: str, layer: str | None, encoding: str | None) -> Source:
    chosen = _pick_layer(path, shown, layer)
    try:
        frame = pyogrio.read_dataframe(path, layer=chosen, encoding=encoding)
    except Exception as exc:
        raise InvalidFile(f"{shown}: cannot be read as {FORMAT_NAMES[fmt]} ({exc})") from exc
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InvalidFile(f"{shown}: layer {chosen!r} has no geometry", reason="no_geometry")
    return Source(_as_text(frame), fmt, chosen, encoding, frame.crs)


def _dbf_encoding(dbf: bytes) -> str:
    """UTF-8 if the records decode as UTF-8, else GB18030 (the superset of GBK)."""
    header_length = int.from_bytes(dbf[8:10], "little") if len(dbf) >= 10 else 0
    records = dbf[header_length:]
    try:
        records.decode("utf-8")
    except UnicodeDecodeError:
        return "GB18030"
    return "UTF-8"


def _read_shapefile(path: Path, shown: str, encoding: str | None) -> Source:
    with tempfile.TemporaryDirectory(prefix="gridmap-shp-") as tmp:
        if path.suffix.lower() == ".shp":
            shp = path
        else:
            with zipfile.ZipFile(path) as archive:
                members = [
                    m
                    for m in archive.infolist()
                    if not m.is_dir()
                    and not m.filename.startswith(("__MACOSX", "/"))
                    and ".." not in m.filename
                ]
                shps = [m for m in members if m.filename.lower().endswith(".shp")]
                if len(shps) > 1:
                    raise Invalid(
                        f"{shown} holds {len(shps)} Shapefiles "
                        f"({', '.join(m.filename for m in shps)}): zip one per import",
                        reason="several_layers",
                    )
                for member in members:
                    target = Path(tmp) / Path(member.filename).name
                    target.write_bytes(archive.read(member))
                shp = Path(tmp) / Path(shps[0].filename).name
        stem = shp.with_suffix("")
        siblings = {p.suffix.lower(): p for p in shp.parent.glob(stem.name + ".*")}
        missing = [s for s in (".shx", ".dbf") if s not in siblings]
        if missing:
            raise InvalidFile(
                f"{shown}: the Shapefile lacks {' and '.join(missing)} (zip the .shp with its "
                ".shx, .dbf, .prj and .cpg)",
                reason="incomplete_shapefile",
            )
        warnings: list[str] = []
        if encoding:
            used = encoding
        elif ".cpg" in siblings:
            used = siblings[".cpg"].read_text("ascii", errors="replace").strip() or "UTF-8"
            if used.isdigit():  # ArcGIS writes code pages: 936 = GBK
                used = f"CP{used}"
            try:
                codecs.lookup(used)
            except LookupError:
                warnings.append(f".cpg names an unknown encoding {used!r}; read as UTF-8")
                used = "UTF-8"
        else:
            used = _dbf_encoding(siblings[".dbf"].read_bytes())
            warnings.append(
                f"no .cpg beside the .dbf: the attribute table was read as {used} "
                "(give --encoding if names look wrong)"
            )
        if ".prj" not in siblings:
            warnings.append("no .prj: the Shapefile does not say its coordinate system")
        try:
            frame = pyogrio.read_dataframe(shp, encoding=used)
        except Exception as exc:
            raise InvalidFile(f"{shown}: cannot be read as a Shapefile ({exc})") from exc
    return Source(_as_text(frame), "shp", stem.name, used, frame.crs, warnings)


# ----------------------------------------------------------------------------- tables


def _decode(raw: bytes, shown: str, encoding: str | None) -> tuple[str, str, list[str]]:
    if encoding:
        try:
            return raw.decode(encoding), encoding, []
        except UnicodeDecodeError as exc:
            raise InvalidFile(f"{shown} is not valid {encoding} text ({exc})") from exc
    try:
        return raw.decode("utf-8-sig"), "UTF-8", []
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise InvalidFile(
            f"{shown} is neither UTF-8 nor GBK text; give --encoding", reason="encoding"
        ) from exc
    return text, "GB18030", [f"{shown} is not UTF-8: read as GBK/GB18030"]


@dataclass
class _Table:
    frame: pd.DataFrame
    encoding: str | None
    layer: str | None
    warnings: list[str]


def _read_csv(path: Path, shown: str, encoding: str | None) -> _Table:
    text, used, warnings = _decode(path.read_bytes(), shown, encoding)
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InvalidFile(
            f"{shown}: not a readable CSV table ({exc})", reason="unreadable"
        ) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return _Table(frame, used, None, warnings)


def _read_xlsx(path: Path, shown: str, sheet: str | None) -> _Table:
    try:
        book = pd.read_excel(path, sheet_name=None, dtype=str, engine="openpyxl")
    except Exception as exc:  # zipfile, openpyxl and xml errors
        raise InvalidFile(f"{shown}: not a readable Excel workbook ({exc})") from exc
    if sheet is not None and sheet not in book:
        raise InvalidFile(f"{shown} has no sheet {sheet!r}; it has {', '.join(book)}")
    name = sheet or next(iter(book))
    frame = book[name].fillna("")
    frame.columns = [str(c).strip() for c in frame.columns]
    return _Table(frame, None, name, [])


def _column(frame: pd.DataFrame, given: str | None, candidates: tuple[str, ...]) -> str | None:
    if given is not None:
        if given not in frame.columns:
            raise Invalid(f"no column {given!r}; the file has {', '.join(frame.columns)}")
        return given
    lower = {c.lower(): c for c in frame.columns}
    for candidate in candidates:
        if candidate in lower:
            return lower[candidate]
    return None


def _table_geometry(
    table: _Table,
    fmt: str,
    shown: str,
    wkt_column: str | None,
    lon_column: str | None,
    lat_column: str | None,
) -> Source:
    """Geometry of a CSV/Excel table, from a WKT column or from lon/lat columns."""
    frame = table.frame
    unreadable: dict[int, str] = {}
    wkt = None if (lon_column or lat_column) else _column(frame, wkt_column, WKT_COLUMNS)
    if wkt is not None:
        texts = frame[wkt].astype(str).str.strip().to_numpy()
        geoms = shapely.from_wkt(np.where(texts == "", None, texts), on_invalid="ignore")
        for i in np.flatnonzero(shapely.is_missing(geoms) & (texts != "")):
            unreadable[int(i)] = _wkt_error(str(texts[i]))
        attributes = frame.drop(columns=[wkt])
    else:
        lon = _column(frame, lon_column, LON_COLUMNS)
        lat = _column(frame, lat_column, LAT_COLUMNS)
        if lon is None or lat is None:
            raise InvalidFile(
                f"{shown}: no geometry column — give a WKT column (wkt, geometry) or longitude "
                "and latitude columns (lon/lng/经度, lat/纬度), or name them with --wkt-column, "
                "--lon-column and --lat-column",
                reason="no_geometry",
            )
        x = pd.to_numeric(frame[lon], errors="coerce").to_numpy(dtype=float)
        y = pd.to_numeric(frame[lat], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(x) | ~np.isfinite(y)
        geoms = shapely.points(np.where(bad, np.nan, x), np.where(bad, np.nan, y))
        geoms = np.where(bad, None, geoms)
        for i in np.flatnonzero(bad):
            unreadable[int(i)] = (
                f"{lon}/{lat} are not numbers: {frame[lon].iloc[i]!r}, {frame[lat].iloc[i]!r}"
            )
        attributes = frame.drop(columns=[lon, lat])
    out = gpd.GeoDataFrame(attributes.astype(str), geometry=list(geoms), crs=None)
    return Source(out, fmt, table.layer, table.encoding, None, table.warnings, unreadable)


def _wkt_error(text: str) -> str:
    try:
        shapely.from_wkt(text)
    except shapely.errors.GEOSException as exc:
        message = str(exc)
        if "closed" in message.lower():
            return f"ring not closed ({message})"
        return f"not valid WKT ({message})"
    return "not valid WKT"
