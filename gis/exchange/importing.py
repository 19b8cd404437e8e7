"""Import one file of one kind into PostGIS: read, check every row, write in one transaction.

The order of work is what makes "nothing changes unless everything is right" cheap to keep:

1. read the file (:mod:`gis.exchange.readers`), map its columns, check ids, numbers and
   geometry row by row in vectorised Shapely (``is_valid_reason``), repair with ``make_valid``
   only when asked;
2. bring the geometry into WGS84 (:mod:`gis.exchange.crs`);
3. inside a SAVEPOINT, COPY the good rows into a staging table (:func:`gis.loader.stage`) and let
   PostGIS find what only the database knows — unknown codes, points outside the city, units
   outside their community, rows outside the user's scope;
4. write with ``INSERT … ON CONFLICT`` (codes are the keys counties keep), refresh the grids that
   changed, bump their layers' versions, log the batch and the audit row;
5. with ``check`` (a dry run), or on any problem, roll the savepoint back: the report is the
   same, the tables are as they were.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod
from sqlalchemy import Connection, text

from gis import audit
from gis.accounts import Permission, authorize
from gis.audit import Actor
from gis.errors import Forbidden, Invalid, InvalidFile
from gis.exchange import crs as crsmod
from gis.exchange.kinds import KINDS, Field, Kind
from gis.exchange.readers import Source, read_source
from gis.exchange.report import MAX_LISTED, ImportRejected, ImportReport, Problem, Repair
from gis.infra.settings import WorkloadWeights
from gis.loader import stage
from gis.scope import Scope

log = logging.getLogger(__name__)
GEOD = Geod(ellps="WGS84")
#: A point building gets a square footprint this many metres wide (stated in the report).
PLACEHOLDER_M = 10.0


@dataclass(frozen=True)
class ImportOptions:
    """How to read the file and where to put it; every field has a sensible default."""

    crs: str | None = None
    encoding: str | None = None
    source_layer: str | None = None  # layer of a GeoPackage/KML, sheet of a workbook
    id_column: str | None = None
    name_column: str | None = None
    community_column: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # field → column of the file
    wkt_column: str | None = None
    lon_column: str | None = None
    lat_column: str | None = None
    repair: bool = False
    # A departmental layer:
    layer: str | None = None  # code of the grid layer to create or replace
    layer_name: str | None = None
    department: str | None = None
    replace: bool = False
    area: str | None = None  # admin code whose units the layer should cover

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ImportOptions:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(values) - known)
        if unknown:
            raise Invalid(
                f"unknown import option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, False, {}, "")}


def _kind(name: str) -> Kind:
    if name not in KINDS:
        raise Invalid(f"unknown import kind {name!r}: one of {', '.join(KINDS)}", kind=name)
    return KINDS[name]


# ----------------------------------------------------------------------------- columns


def _map_columns(frame: pd.DataFrame, kind: Kind, options: ImportOptions) -> dict[str, str]:
    """Field → column of the file, from the options first, then the usual names."""
    given = dict(options.columns)
    for option, name in (
        (options.id_column, "code"),
        (options.name_column, "name"),
        (options.community_column, "community_code"),
    ):
        if option:
            given[name] = option
    names = {f.name for f in kind.fields}
    stray = sorted(set(given) - names)
    if stray:
        raise Invalid(
            f"{kind.name} has no field {', '.join(stray)}; its fields: {', '.join(sorted(names))}"
        )
    present = [c for c in frame.columns if c != "geometry"]
    lower = {c.lower(): c for c in present}
    mapping: dict[str, str] = {}
    for f in kind.fields:
        if f.name in given:
            if given[f.name] not in present:
                raise InvalidFile(
                    f"no column {given[f.name]!r} (for {f.name}); the file has "
                    f"{', '.join(present) or 'no columns'}",
                    reason="no_column",
                )
            mapping[f.name] = given[f.name]
            continue
        found = next((lower[c.lower()] for c in f.candidates if c.lower() in lower), None)
        if found is not None:
            mapping[f.name] = found
        elif f.required:
            option = {"code": "--id-column", "name": "--name-column"}.get(
                f.name, f"--column {f.name}=COLUMN"
            )
            raise InvalidFile(
                f"no column for {f.name} (looked for {', '.join(f.candidates)}); the file has "
                f"{', '.join(present) or 'no columns'}: name it with {option}",
                reason="no_column",
            )
    return mapping


# ----------------------------------------------------------------------------- rows


def _geom_problems(
    geoms: np.ndarray, kind: Kind, rows: np.ndarray, ids: np.ndarray, source: Source, repair: bool
) -> tuple[np.ndarray, list[Problem], list[Repair], list[str]]:
    """Check (and, with ``repair``, fix) geometry; return the usable geometries."""
    problems: list[Problem] = []
    repairs: list[Repair] = []
    warnings: list[str] = []
    out = geoms.copy()
    missing = shapely.is_missing(out)
    for i in np.flatnonzero(missing):
        reason = source.unreadable.get(int(i), "no geometry")
        problems.append(Problem(int(rows[i]), str(ids[i]), reason, "geometry"))
    present = ~missing
    empty = present & shapely.is_empty(np.where(present, out, shapely.Point()))
    for i in np.flatnonzero(empty):
        problems.append(Problem(int(rows[i]), str(ids[i]), "empty geometry", "geometry"))
    ok = present & ~empty
    types = np.array([g.geom_type if g is not None else "" for g in out], dtype=object)
    # Single-part multis become their part; point buildings get a placeholder footprint.
    single = (
        ok
        & np.isin(types, ["MultiPolygon", "MultiPoint"])
        & (shapely.get_num_geometries(np.where(ok, out, shapely.Point())) == 1)
    )
    if kind.geometry != "area" and single.any():
        out[single] = shapely.get_geometry(out[single], 0)
        types[single] = [g.geom_type for g in out[single]]
    allowed = {
        "area": ("Polygon", "MultiPolygon"),
        "polygon": ("Polygon",),
        "point": ("Point",),
    }[kind.geometry]
    if kind.table == "building":
        points = ok & (types == "Point")
        if points.any():
            warnings.append(
                f"{int(points.sum())} building(s) given as points: stored with a "
                f"{PLACEHOLDER_M:g} m square placeholder footprint"
            )
            half = PLACEHOLDER_M / 2 / 111_320
            lat = shapely.get_y(out[points])
            out[points] = shapely.box(
                shapely.get_x(out[points]) - half / np.cos(np.radians(lat)),
                lat - half,
                shapely.get_x(out[points]) + half / np.cos(np.radians(lat)),
                lat + half,
            )
            types[points] = "Polygon"
    wrong = ok & ~np.isin(types, allowed)
    for i in np.flatnonzero(wrong):
        extra = ""
        if types[i] == "MultiPolygon":
            extra = f" of {shapely.get_num_geometries(out[i])} parts"
        problems.append(
            Problem(
                int(rows[i]),
                str(ids[i]),
                f"wrong geometry type: {types[i]}{extra}; {kind.label} take {' or '.join(allowed)}",
                "geometry",
            )
        )
    ok &= ~wrong
    invalid = ok & ~shapely.is_valid(np.where(ok, out, shapely.Point()))
    if invalid.any():
        reasons = shapely.is_valid_reason(out[invalid])
        fixed = _polygonal(shapely.make_valid(out[invalid]))
        for i, reason, new in zip(np.flatnonzero(invalid), reasons, fixed, strict=True):
            parts = shapely.get_num_geometries(new) if new is not None else 0
            safe = new is not None and not new.is_empty and (kind.geometry == "area" or parts == 1)
            if repair and safe:
                if kind.geometry == "polygon" and new.geom_type == "MultiPolygon":
                    new = shapely.get_geometry(new, 0)
                before = abs(out[i].area)  # GEOS sums a bow-tie's lobes to nothing
                change = round((new.area - before) / before * 100, 2) if before else None
                repairs.append(
                    Repair(
                        int(rows[i]),
                        str(ids[i]),
                        str(reason),
                        f"{new.geom_type} ({parts} part{'s' if parts != 1 else ''})",
                        change,
                    )
                )
                out[i] = new
                invalid[i] = False
            else:
                why = f"invalid geometry: {reason}"
                if not safe:
                    why += " (make_valid would not leave one clean polygon: redraw it)"
                problems.append(Problem(int(rows[i]), str(ids[i]), why, "geometry", safe))
    usable = ok & ~invalid
    out[~usable] = None
    return out, problems, repairs, warnings


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygons of what ``make_valid`` returned (it may add stray lines)."""
    out = []
    for g in geoms:
        parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
        polys = [q for p in parts for q in shapely.get_parts(p)]
        out.append(
            None if not polys else polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)
        )
    return np.array(out, dtype=object)


def _attribute_problems(
    frame: pd.DataFrame, kind: Kind, mapping: dict[str, str], rows: np.ndarray
) -> tuple[pd.DataFrame, list[Problem]]:
    """Normalised text columns for every field, and what is wrong with them."""
    problems: list[Problem] = []
    out = pd.DataFrame({"_row": rows})
    ids = frame[mapping["code"]].astype(str).str.strip().to_numpy()
    for f in kind.fields:
        values = (
            frame[mapping[f.name]].astype(str).str.strip()
            if f.name in mapping
            else pd.Series([""] * len(frame))
        ).reset_index(drop=True)
        if f.required:
            for i in np.flatnonzero((values == "").to_numpy()):
                problems.append(Problem(int(rows[i]), ids[i] or None, f"{f.name} is empty", f.name))
        if f.max_length is not None:
            for i in np.flatnonzero((values.str.len() > f.max_length).to_numpy()):
                problems.append(
                    Problem(
                        int(rows[i]),
                        ids[i],
                        f"{f.name} {values[i]!r} is longer than {f.max_length} characters",
                        f.name,
                    )
                )
        if f.number:
            values = _whole_numbers(values, f, ids, rows, problems)
        out[f.name] = values.to_numpy()
    dup = out["code"].duplicated(keep=False).to_numpy() & (out["code"] != "").to_numpy()
    first_row = out[dup].groupby("code")["_row"].min().to_dict()
    for i in np.flatnonzero(dup):
        code = out["code"].iloc[i]
        if first_row[code] != rows[i]:
            problems.append(
                Problem(
                    int(rows[i]),
                    code,
                    f"duplicate id {code!r} (also on row {first_row[code]})",
                    "code",
                )
            )
    return out, problems


def _whole_numbers(
    values: pd.Series, f: Field, ids: np.ndarray, rows: np.ndarray, problems: list[Problem]
) -> pd.Series:
    numbers = pd.to_numeric(values.replace("", "0"), errors="coerce")
    bad = numbers.isna() | (numbers < 0) | (numbers != numbers.round()) | (numbers > 2**31 - 1)
    for i in np.flatnonzero(bad.to_numpy()):
        problems.append(
            Problem(
                int(rows[i]), ids[i], f"{f.name} {values[i]!r} is not a whole number ≥ 0", f.name
            )
        )
    return numbers.where(~bad, 0).fillna(0).astype("int64").astype(str)


# ----------------------------------------------------------------------------- the import


def import_file(
    conn: Connection,
    actor: Actor,
    kind_name: str,
    path: Path,
    options: ImportOptions | None = None,
    *,
    check: bool = False,
    name: str | None = None,
    weights: WorkloadWeights | None = None,
) -> ImportReport:
    """Import ``path`` (uploaded as ``name``) as ``kind_name``; one savepoint, all or nothing.

    Needs the ``import_data`` permission; every row must fall inside the actor's scope. With
    ``check`` the whole import runs and is rolled back: the report says what *would* happen.
    A file with problems raises :class:`ImportRejected` (the report on it) unless ``check``.
    """
    scope = authorize(actor, Permission.IMPORT_DATA)
    started = time.perf_counter()
    options = options or ImportOptions()
    kind = _kind(kind_name)
    path = Path(path)
    shown = name or path.name
    if kind.name == "layer" and not options.layer:
        raise Invalid("a departmental layer needs its code: --layer CODE (e.g. chengguan)")
    report = ImportReport(kind.name, shown, check=check)
    source = read_source(
        path,
        name=shown,
        layer=options.source_layer,
        encoding=options.encoding,
        wkt_column=options.wkt_column,
        lon_column=options.lon_column,
        lat_column=options.lat_column,
    )
    report.fmt, report.source_layer, report.encoding = source.fmt, source.layer, source.encoding
    report.warnings.extend(source.warnings)
    frame = source.frame.reset_index(drop=True)
    report.rows_read = len(frame)
    if frame.empty:
        raise InvalidFile(f"{shown} holds no rows", reason="empty")
    mapping = _map_columns(frame, kind, options)
    # Row numbers as the user sees them: a header line or feature numbering from 1.
    rows = np.arange(len(frame)) + (2 if source.fmt in ("csv", "xlsx") else 1)
    table, problems = _attribute_problems(frame, kind, mapping, rows)
    report.add(problems)
    geoms, problems, repairs, warnings = _geom_problems(
        frame.geometry.to_numpy(), kind, rows, table["code"].to_numpy(), source, options.repair
    )
    report.add(problems)
    report.repaired, report.warnings = repairs, report.warnings + warnings
    usable = ~shapely.is_missing(geoms)
    where = shown
    source_crs, crs_warnings = crsmod.resolve(source.crs, options.crs, geoms[usable], where)
    report.crs = source_crs.label
    report.warnings.extend(crs_warnings)
    geoms[usable] = crsmod.to_wgs84(geoms[usable], source_crs)
    if usable.any():
        invalid_now = usable & ~shapely.is_valid(np.where(usable, geoms, shapely.Point()))
        if invalid_now.any():  # a reprojection can fold a ring that was only just valid
            geoms[invalid_now] = _polygonal(shapely.make_valid(geoms[invalid_now]))
    staged = gpd.GeoDataFrame(table[usable].reset_index(drop=True), geometry=list(geoms[usable]))
    from gis.exchange import writers  # the per-kind SQL

    if kind.name in writers.PREPARE:
        staged, problems = writers.PREPARE[kind.name](staged)
        report.add(problems)
    savepoint = conn.begin_nested()
    try:
        _import_staged(conn, actor, scope, kind, staged, options, report, weights)
        if report.ok and not check:
            report.seconds = time.perf_counter() - started
            report.batch_id = _log_batch(conn, actor, report, path, options)
            savepoint.commit()
        else:
            savepoint.rollback()
    except BaseException:
        savepoint.rollback()
        raise
    report.seconds = time.perf_counter() - started
    if report.check:
        report.written = dict(report.written)
    if not report.ok and not check:
        raise ImportRejected(report)
    log.info("import %s of %s: %s", kind.name, shown, "ok" if report.ok else "refused")
    return report


def _log_batch(
    conn: Connection, actor: Actor, report: ImportReport, path: Path, options: ImportOptions
) -> int:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    summary = {
        "format": report.fmt,
        "crs": report.crs,
        "encoding": report.encoding,
        "rows_read": report.rows_read,
        "warnings": report.warnings,
        "repaired": len(report.repaired),
        "findings": {k: v for k, v in report.findings.items() if not isinstance(v, list)},
    }
    batch_id = int(
        conn.execute(
            text(
                "INSERT INTO import_batch (actor, kind, filename, sha256, options, written, report)"
                " VALUES (:actor, :kind, :file, :sha, CAST(:options AS jsonb),"
                " CAST(:written AS jsonb), CAST(:report AS jsonb)) RETURNING id"
            ),
            {
                "actor": audit.actor_name(actor),
                "kind": report.kind,
                "file": report.file[:255],
                "sha": digest,
                "options": audit._json(options.as_dict()),
                "written": audit._json(report.written),
                "report": audit._json(summary),
            },
        ).scalar_one()
    )
    audit.record(
        conn,
        actor,
        f"import.{report.kind}",
        "import_batch",
        batch_id,
        None,
        {"file": report.file, "sha256": digest, "written": report.written, "crs": report.crs},
    )
    return batch_id


def _rows_problems(
    conn: Connection, sql: str, params: dict[str, Any] | None = None
) -> list[Problem]:
    """Problems found by a query returning (_row, code, reason)."""
    result = conn.execute(text(sql + f" ORDER BY 1 LIMIT {MAX_LISTED * 5}"), params or {})
    return [Problem(int(r[0]), r[1], r[2]) for r in result]


def _import_staged(
    conn: Connection,
    actor: Actor,
    scope: Scope,
    kind: Kind,
    staged: gpd.GeoDataFrame,
    options: ImportOptions,
    report: ImportReport,
    weights: WorkloadWeights | None,
) -> None:
    columns = ["_row", *(f.name for f in kind.fields)]
    stage(conn, "s_import", staged, columns)
    conn.exec_driver_sql(
        "ALTER TABLE s_import ALTER COLUMN geom TYPE geometry USING geom::geometry, "
        "ALTER COLUMN _row TYPE int USING _row::int"
    )
    # COPY reads an empty CSV field as NULL; the writers compare with '' (absent).
    blanks = ", ".join(f'"{f.name}" = coalesce("{f.name}", \'\')' for f in kind.fields)
    conn.exec_driver_sql(f"UPDATE s_import SET {blanks}")
    conn.exec_driver_sql("CREATE INDEX ON s_import USING gist (geom)")
    conn.exec_driver_sql("ANALYZE s_import")
    if kind.table != "district":
        report.add(
            _rows_problems(
                conn,
                """SELECT s._row, s.code, 'outside the city: no district covers it (wrong '
                          || 'coordinate system? give --crs)'
                   FROM s_import s WHERE NOT EXISTS (
                       SELECT 1 FROM district d
                       WHERE ST_Intersects(d.geom, ST_PointOnSurface(s.geom)))""",
            )
        )
    from gis.exchange import writers

    writers.WRITERS[kind.name](
        writers.Ctx(conn, actor, scope, options, report, weights or WorkloadWeights())
    )


def check_scope_codes(scope: Scope, codes: list[str], what: str) -> None:
    """Refuse rows placed (by community or other admin code) outside the actor's scope."""
    outside = sorted({c for c in codes if c and not scope.reaches(c)})
    if outside and not scope.is_everything:
        raise Forbidden(
            f"{len(outside)} {what} lie outside your scope ({scope}), "
            f"e.g. {', '.join(outside[:5])}: nothing was imported",
            scope=str(scope),
        )
