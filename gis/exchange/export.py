"""Export a grid layer (a department's, the unified net, or a scenario's proposal) as a file.

The grids the caller's scope reaches are read from PostGIS with their totals, community and grid
leader (网格长: the party member assigned to the grid as ``grid_leader``, current on the day).
The leader's name is personal data: masked (张*丰) unless the caller may see it in full
(``Access.personal_data``, :mod:`gis.access`). Every file says which fields it holds and which of
them are personal: GeoJSON in a ``gridmap`` member, GeoPackage in a ``gridmap_fields`` table,
Shapefile and CSV in a ``fields.txt`` / the ``fields`` attribute, XLSX on a second sheet.

Coordinates leave in WGS84, CGCS2000 (EPSG:4490) or GCJ-02; geometry is written at full double
precision, so an export imported again gives back the same geometry (well within 1 mm).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from sqlalchemy import Connection, text

from gis import spreadsheet
from gis.access import Access
from gis.codes import checked, file_part
from gis.errors import Invalid, NotFound
from gis.exchange import crs as crsmod
from gis.personal import ExportFile, mask_name
from gis.scope import Scope

FORMATS = ("gpkg", "geojson", "shp", "csv", "xlsx")
ENCODINGS = {"utf-8": "UTF-8", "gbk": "GBK"}
MEDIA = {
    "gpkg": "application/geopackage+sqlite3",
    "geojson": "application/geo+json",
    "shp": "application/zip",
    "csv": spreadsheet.CSV_MEDIA,
    "xlsx": spreadsheet.XLSX_MEDIA,
}
#: Field → (description, Shapefile name ≤ 10 characters).
FIELDS: dict[str, tuple[str, str]] = {
    "code": ("grid code (网格编码)", "code"),
    "name": ("grid name (网格名称)", "name"),
    "community_code": ("community holding most of its households (社区编码)", "comm_code"),
    "community_name": ("that community's name (社区名称)", "comm_name"),
    "community_count": ("communities its units belong to", "comm_count"),
    "unit_count": ("base units (基础单元数)", "unit_count"),
    "households": ("households (户数)", "households"),
    "population": ("population (人口)", "population"),
    "buildings": ("buildings (楼栋数)", "buildings"),
    "incidents_per_year": ("incidents per year (年事件数)", "incidents"),
    "care_people": ("people needing care (关爱对象)", "care_ppl"),
    "workload": ("workload, weighted sum (工作量)", "workload"),
    "area_m2": ("area in m² (面积)", "area_m2"),
    "grid_leader": ("grid leader's name (网格长), personal data", "leader"),
}
PERSONAL = ("grid_leader",)


def _grids(conn: Connection, layer_code: str, scope: Scope) -> tuple[pd.DataFrame, int]:
    layer = conn.execute(
        text("SELECT id, version FROM grid_layer WHERE code = :c"), {"c": layer_code}
    ).first()
    if layer is None:
        raise NotFound(
            f"没有代码为 {layer_code!r} 的网格图层 (no grid layer with code {layer_code!r})",
            layer=layer_code,
        )
    reach = scope.grid_sql("g")
    rows = conn.execute(
        text(
            f"""SELECT g.code, g.name, c.code AS community_code, c.name AS community_name,
                       g.community_count, g.unit_count, g.households, g.population, g.buildings,
                       g.incidents_per_year, g.care_people, round(g.workload::numeric, 1)::float
                       AS workload, round(g.area_m2::numeric, 1)::float AS area_m2,
                       (SELECT m.name FROM assignment a JOIN party_member m ON m.id = a.member_id
                        WHERE a.grid_id = g.id AND a.role = 'grid_leader'
                          AND a.starts_on <= current_date
                          AND (a.ends_on IS NULL OR a.ends_on >= current_date)
                        ORDER BY a.starts_on DESC, a.id DESC LIMIT 1) AS grid_leader,
                       ST_AsBinary(g.geom) AS wkb
                FROM grid g LEFT JOIN community c ON c.id = g.community_id
                WHERE g.layer_id = :lid AND ({reach.sql})
                ORDER BY g.code"""
        ),
        {"lid": layer.id} | reach.params,
    ).mappings()
    return pd.DataFrame([dict(r) for r in rows], columns=[*FIELDS, "wkb"]), int(layer.version)


def export_layer(
    conn: Connection,
    layer_code: str,
    fmt: str,
    *,
    access: Access,
    crs: str = "wgs84",
    encoding: str = "utf-8",
) -> ExportFile:
    """The grids of ``layer_code`` that ``access`` reaches, as a file in ``fmt``.

    Grid leaders' names are in full when ``access.personal_data``, else masked.
    """
    scope = access.scope
    personal = access.personal_data
    layer_code = checked("layer", layer_code, field="layer")
    if fmt not in FORMATS:
        raise Invalid(
            f"格式须为 {', '.join(FORMATS)} 之一，收到 {fmt!r} ("
            f"format must be one of {', '.join(FORMATS)}; got {fmt!r})",
            format=fmt,
        )
    if encoding.lower() not in ENCODINGS:
        raise Invalid(
            f"编码须为 utf-8 或 gbk，收到 {encoding!r} ("
            f"encoding must be utf-8 or gbk; got {encoding!r})",
            encoding=encoding,
        )
    target = crsmod.export_crs(crs)
    frame, version = _grids(conn, layer_code, scope)
    if not personal:
        frame["grid_leader"] = frame["grid_leader"].map(mask_name)
    geoms = shapely.from_wkb(frame.pop("wkb").to_numpy())
    geoms = crsmod.from_wgs84(geoms, target)
    # GCJ-02 has no EPSG code: its files say WGS84 lon/lat, as AMap's own downloads do.
    epsg = 4490 if crs == "cgcs2000" else 4326
    gdf = gpd.GeoDataFrame(frame, geometry=list(geoms), crs=f"EPSG:{epsg}")
    stamp = dt.date.today().strftime("%Y%m%d")
    base = f"{file_part(layer_code)}_{file_part(crs)}_{stamp}"
    about = {
        "layer": layer_code,
        "version": version,
        "crs": crs,
        "epsg": epsg,
        "exported": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "fields": {name: desc for name, (desc, _) in FIELDS.items()},
        "personal_fields": list(PERSONAL),
        "personal_data": "full" if personal else "masked",
    }
    if crs == "gcj02":
        about["note"] = "coordinates are GCJ-02 (AMap/Tencent); the CRS metadata says WGS84"
    writer = {"gpkg": _gpkg, "geojson": _geojson, "shp": _shp, "csv": _csv, "xlsx": _xlsx}[fmt]
    data, suffix = writer(gdf, about, ENCODINGS[encoding.lower()])
    return ExportFile(
        data,
        MEDIA[fmt],
        base + suffix,
        list(FIELDS),
        list(PERSONAL),
        personal_data="full" if personal else "masked",
        rows=len(gdf),
    )


def _gpkg(gdf: gpd.GeoDataFrame, about: dict[str, Any], _: str) -> tuple[bytes, str]:
    with tempfile.TemporaryDirectory(prefix="gridmap-export-") as tmp:
        path = Path(tmp) / "export.gpkg"
        pyogrio.write_dataframe(gdf, path, layer="grids", driver="GPKG")
        meta = pd.DataFrame(
            [
                {
                    "key": k,
                    "value": json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v,
                }
                for k, v in about.items()
            ]
        )
        pyogrio.write_dataframe(meta, path, layer="gridmap_fields", driver="GPKG", append=False)
        return path.read_bytes(), ".gpkg"


def _geojson(gdf: gpd.GeoDataFrame, about: dict[str, Any], _: str) -> tuple[bytes, str]:
    doc = json.loads(gdf.to_json(drop_id=True, ensure_ascii=False))
    doc["gridmap"] = about
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode(), ".geojson"


def _fields_text(about: dict[str, Any], short: bool = False) -> str:
    lines = [f"# Gridmap export of layer {about['layer']} (version {about['version']})"]
    lines += [f"# crs: {about['crs']} (EPSG:{about['epsg']})", f"# exported: {about['exported']}"]
    if "note" in about:
        lines.append(f"# {about['note']}")
    lines.append(
        f"# personal data ({', '.join(about['personal_fields'])}): {about['personal_data']}"
    )
    for name, desc in about["fields"].items():
        shown = FIELDS[name][1] if short else name
        lines.append(f"{shown}\t{desc}")
    return "\n".join(lines) + "\n"


def _shp(gdf: gpd.GeoDataFrame, about: dict[str, Any], encoding: str) -> tuple[bytes, str]:
    short = gdf.rename(columns={k: v for k, (_, v) in FIELDS.items()})
    stem = f"{file_part(about['layer'])}_grids"
    with tempfile.TemporaryDirectory(prefix="gridmap-export-") as tmp:
        path = Path(tmp) / f"{stem}.shp"
        pyogrio.write_dataframe(short, path, driver="ESRI Shapefile", encoding=encoding)
        (Path(tmp) / f"{stem}.cpg").write_text(encoding, "ascii")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for part in sorted(Path(tmp).iterdir()):
                archive.write(part, part.name)
            archive.writestr("fields.txt", _fields_text(about, short=True))
    return buffer.getvalue(), ".zip"


def _csv(gdf: gpd.GeoDataFrame, _: dict[str, Any], encoding: str) -> tuple[bytes, str]:
    table = pd.DataFrame(gdf.drop(columns="geometry"))
    table["wkt"] = shapely.to_wkt(gdf.geometry.to_numpy(), rounding_precision=-1)
    rows = table.itertuples(index=False, name=None)
    return spreadsheet.csv_bytes(list(table.columns), rows, encoding=encoding), ".csv"


def _xlsx(gdf: gpd.GeoDataFrame, about: dict[str, Any], _: str) -> tuple[bytes, str]:
    names = list(FIELDS)
    centroids = shapely.centroid(gdf.geometry.to_numpy())
    lon = np.round(shapely.get_x(centroids), 7)
    lat = np.round(shapely.get_y(centroids), 7)
    rows = (
        (*row, x, y)
        for row, x, y in zip(gdf[names].itertuples(index=False, name=None), lon, lat, strict=True)
    )
    info = [line.split("\t") for line in _fields_text(about).splitlines()]
    info.append(["lon, lat", "centre of the grid, in the export's coordinates"])
    data = spreadsheet.xlsx_bytes(
        [
            # Codes stay text (361002001001001, not 3.61E+14).
            spreadsheet.Sheet(
                "网格 Grids",
                [*names, "lon", "lat"],
                rows,
                widths=(18, 20, 15, 16),
                formats=dict.fromkeys(range(4), "@"),
            ),
            spreadsheet.Sheet("说明 About", None, info),
        ]
    )
    return data, ".xlsx"
