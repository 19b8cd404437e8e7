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
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from pyproj import CRS

from gis.errors import Invalid, InvalidFile
from gis.exchange.limits import Deadline, check_archive, check_rows
from gis.exchange.osm import read_osm
from gis.exchange.tables import read_table, table_geometry
from gis.infra.settings import ImportLimits

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
    ".pbf": "osm",  # name.osm.pbf
    ".osm": "osm",
}
FORMAT_NAMES = {
    "gpkg": "a GeoPackage",
    "geojson": "GeoJSON",
    "shp": "a zipped Shapefile",
    "csv": "CSV text",
    "kml": "KML",
    "xlsx": "an Excel workbook (.xlsx)",
    "osm": "an OpenStreetMap extract (.osm.pbf / .osm)",
    "zip": "a zip archive without a Shapefile",
    "binary": "a binary file of no supported kind",
    "empty": "empty",
}


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
    if b"OSMHeader" in head[:64]:  # a PBF file's first blob header
        return "osm"
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
    if text.startswith(b"<") and b"<osm" in text:
        return "osm"
    if text.startswith(b"<") and b"kml" in text.lower():
        return "kml"
    return "csv"


def expected_format(path: Path, name: str | None = None) -> str:
    suffix = Path(name or path.name).suffix.lower()
    fmt = EXTENSIONS.get(suffix)
    if fmt is None:
        raise InvalidFile(
            f"{name or path.name}：不支持的文件类型 "
            f"{suffix or '(无扩展名)'} ("
            f"{name or path.name}: unsupported file type {suffix or '(no extension)'}; Gridmap "
            "reads .gpkg, .geojson/.json, .zip (Shapefile with .shp/.shx/.dbf/.prj/.cpg), .csv, "
            ".kml/.kmz, .xlsx and OpenStreetMap .osm.pbf/.osm)",
            reason="unsupported_type",
        )
    return fmt


def read_source(
    path: Path,
    *,
    limits: ImportLimits | None = None,
    deadline: Deadline | None = None,
    name: str | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    wkt_column: str | None = None,
    lon_column: str | None = None,
    lat_column: str | None = None,
) -> Source:
    """Read ``path`` (uploaded as ``name``) after checking it is what its extension says and
    that it is within ``limits`` (:mod:`gis.exchange.limits`)."""
    shown = name or path.name
    limits = limits or ImportLimits()
    deadline = deadline or Deadline.of(limits, shown)
    expected = expected_format(path, name)
    actual = sniff(path)
    if actual != expected and not (expected == "shp" and path.suffix.lower() == ".shp"):
        raise InvalidFile(
            f"{shown} 不是 {FORMAT_NAMES[expected]} 文件：其内容是 "
            f"{FORMAT_NAMES[actual]} ("
            f"{shown} is not {FORMAT_NAMES[expected]}: its content is {FORMAT_NAMES[actual]})",
            reason="wrong_type",
        )
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise Invalid(
                f"未知的编码 {encoding!r}（可试 utf-8 或 gbk） ("
                f"unknown encoding {encoding!r} (try utf-8 or gbk))"
            ) from exc
    if expected in ("csv", "xlsx"):
        table = read_table(path, shown, expected, limits, deadline, encoding=encoding, sheet=layer)
        attributes, geoms, unreadable = table_geometry(
            table, shown, wkt_column, lon_column, lat_column
        )
        out = gpd.GeoDataFrame(attributes.astype(str), geometry=list(geoms), crs=None)
        return Source(out, expected, table.layer, table.encoding, None, table.warnings, unreadable)
    if actual in ("shp", "kml") and zipfile.is_zipfile(path):
        check_archive(path, shown, limits)
    if expected == "osm":
        lines, left_out = read_osm(path, shown, limits)
        warnings = [f"{left_out} OSM line(s) neither road nor river left out"] if left_out else []
        source = Source(lines, "osm", "lines", None, lines.crs, warnings)
    elif expected == "shp":
        source = _read_shapefile(path, shown, encoding, limits)
    else:
        source = _read_ogr(path, shown, expected, layer, encoding, limits)
    deadline.check("reading the file")
    return source


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
        raise InvalidFile(
            f"{shown}：无法读取 ({shown}: cannot be read ({exc}))", reason="unreadable"
        ) from exc
    if layer is not None:
        if layer not in layers:
            raise InvalidFile(
                f"{shown} 中没有图层 {layer!r} ("
                f"{shown} has no layer {layer!r}; it has {', '.join(layers) or 'none'})",
                reason="no_layer",
            )
        return layer
    if not layers:
        raise InvalidFile(
            f"{shown} 中没有带几何的图层 ({shown} holds no layer with geometry)", reason="no_layer"
        )
    if len(layers) > 1:
        counts = {n: pyogrio.read_info(path, layer=n)["features"] for n in layers}
        filled = [n for n in layers if counts[n]]
        if len(filled) > 1:
            raise Invalid(
                f"{shown} 含多个图层：请用 --layer 指定一个 ("
                f"{shown} has several layers ({', '.join(filled)}): name one with --layer)",
                reason="several_layers",
            )
        return filled[0] if filled else layers[0]
    return layers[0]


def _count_features(path: Path, shown: str, layer: str | None, limits: ImportLimits) -> None:
    try:
        features = int(pyogrio.read_info(path, layer=layer)["features"])
    except Exception:  # noqa: BLE001 - unreadable: the reader says why, next
        return
    check_rows(features, shown, limits)


def _read_ogr(
    path: Path, shown: str, fmt: str, layer: str | None, encoding: str | None, limits: ImportLimits
) -> Source:
    chosen = _pick_layer(path, shown, layer)
    _count_features(path, shown, chosen, limits)
    try:
        frame = pyogrio.read_dataframe(path, layer=chosen, encoding=encoding)
    except Exception as exc:
        raise InvalidFile(
            f"{shown}：无法按 {FORMAT_NAMES[fmt]} 读取 ("
            f"{shown}: cannot be read as {FORMAT_NAMES[fmt]} ({exc}))"
        ) from exc
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InvalidFile(
            f"{shown}：图层 {chosen!r} 没有几何 ({shown}: layer {chosen!r} has no geometry)",
            reason="no_geometry",
        )
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


def _read_shapefile(path: Path, shown: str, encoding: str | None, limits: ImportLimits) -> Source:
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
                        f"{shown} 含 {len(shps)} 个 Shapefile：每次导入只打包一个 "
                        "("
                        f"{shown} holds {len(shps)} Shapefiles "
                        f"({', '.join(m.filename for m in shps)}): zip one per import)",
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
                f"{shown}：Shapefile 缺少 {' 和 '.join(missing)}（请把 .sh"
                "p 与 .shx、.dbf、.prj、.cpg 一起打包） ("
                f"{shown}: the Shapefile lacks {' and '.join(missing)} (zip the .shp with its "
                ".shx, .dbf, .prj and .cpg))",
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
        _count_features(shp, shown, None, limits)
        if ".prj" not in siblings:
            warnings.append("no .prj: the Shapefile does not say its coordinate system")
        try:
            frame = pyogrio.read_dataframe(shp, encoding=used)
        except Exception as exc:
            raise InvalidFile(
                f"{shown}：无法按 Shapefile 读取 ({shown}: cannot be read as a Shapefile ({exc}))"
            ) from exc
    return Source(_as_text(frame), "shp", stem.name, used, frame.crs, warnings)
