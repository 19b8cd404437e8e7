"""Import one file of one kind into PostGIS: read, check every row, write in one transaction.

The order of work is what makes "nothing changes unless everything is right" cheap to keep:

1. read the file (:mod:`gis.exchange.readers`), map its columns, check ids, numbers and
   geometry row by row in vectorised Shapely (``is_valid_reason``), repair with ``make_valid``
   only when asked;
2. bring the geometry into WGS84 (:mod:`gis.exchange.crs`);
3. inside a SAVEPOINT, COPY the good rows into a staging table (:func:`gis.staging.stage`) and let
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
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import Connection, text

from gis import audit
from gis.access import Access
from gis.accounts import Permission
from gis.errors import Invalid, InvalidFile
from gis.exchange import crs as crsmod
from gis.exchange import writers
from gis.exchange.checks import attribute_problems, geom_problems, map_columns, polygonal
from gis.exchange.kinds import Kind
from gis.exchange.limits import Deadline
from gis.exchange.options import ImportOptions, kind_of
from gis.exchange.readers import read_source
from gis.exchange.report import ImportRejected, ImportReport
from gis.exchange.resolve import Ctx, rows_problems
from gis.infra.settings import ImportLimits, WorkloadWeights
from gis.staging import stage

log = logging.getLogger(__name__)

__all__ = ["ImportOptions", "import_file"]


# ----------------------------------------------------------------------------- the import


def import_file(
    conn: Connection,
    kind_name: str,
    path: Path,
    options: ImportOptions | None = None,
    *,
    access: Access,
    check: bool = False,
    name: str | None = None,
    weights: WorkloadWeights | None = None,
    limits: ImportLimits | None = None,
) -> ImportReport:
    """Import ``path`` (uploaded as ``name``) as ``kind_name``; one savepoint, all or nothing.

    Needs the ``import_data`` permission; every row must fall inside the actor's scope. With
    ``check`` the whole import runs and is rolled back: the report says what *would* happen.
    A file with problems raises :class:`ImportRejected` (the report on it) unless ``check``;
    a file over ``limits`` (size unpacked, ratio, members, rows, time) is refused before it
    costs more (:mod:`gis.exchange.limits`).
    """
    access.require(Permission.IMPORT_DATA)
    started = time.perf_counter()
    options = options or ImportOptions()
    kind = kind_of(kind_name)
    path = Path(path)
    shown = name or path.name
    if kind.name == "layer" and not options.layer:
        raise Invalid(
            "部门图层需要指定图层代码：--layer CODE（例如 chengguan）"
            " ("
            "a departmental layer needs its code: --layer CODE (e.g. chengguan))"
        )
    limits = limits or ImportLimits()
    deadline = Deadline.of(limits, shown)
    report = ImportReport(kind.name, shown, check=check)
    staged = _checked_rows(path, kind, options, report, limits, deadline)
    deadline.check("checking the rows")
    with deadline.in_database(conn):
        savepoint = conn.begin_nested()
        try:
            _import_staged(conn, kind, staged, options, report, weights, access=access)
            if report.ok and not check:
                report.seconds = time.perf_counter() - started
                report.batch_id = _log_batch(conn, report, path, options, access=access)
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


def _checked_rows(
    path: Path,
    kind: Kind,
    options: ImportOptions,
    report: ImportReport,
    limits: ImportLimits,
    deadline: Deadline,
) -> gpd.GeoDataFrame:
    """Read the file and check its rows (problems go to ``report``): the usable rows, in WGS84."""
    shown = report.file
    source = read_source(
        path,
        limits=limits,
        deadline=deadline,
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
        raise InvalidFile(f"{shown} 没有数据行 ({shown} holds no rows)", reason="empty")
    mapping = map_columns(frame, kind, options)
    # Row numbers as the user sees them: a header line or feature numbering from 1.
    rows = np.arange(len(frame)) + (2 if source.fmt in ("csv", "xlsx") else 1)
    table, problems = attribute_problems(frame, kind, mapping, rows)
    report.add(problems)
    geoms, problems, repairs, warnings = geom_problems(
        frame.geometry.to_numpy(), kind, rows, table["code"].to_numpy(), source, options.repair
    )
    report.add(problems)
    report.repaired, report.warnings = repairs, report.warnings + warnings
    usable = ~shapely.is_missing(geoms)
    source_crs, crs_warnings = crsmod.resolve(source.crs, options.crs, geoms[usable], shown)
    report.crs = source_crs.label
    report.warnings.extend(crs_warnings)
    geoms[usable] = crsmod.to_wgs84(geoms[usable], source_crs)
    if usable.any() and kind.geometry != "line":
        invalid_now = usable & ~shapely.is_valid(np.where(usable, geoms, shapely.Point()))
        if invalid_now.any():  # a reprojection can fold a ring that was only just valid
            geoms[invalid_now] = polygonal(shapely.make_valid(geoms[invalid_now]))
    staged = gpd.GeoDataFrame(table[usable].reset_index(drop=True), geometry=list(geoms[usable]))
    if kind.name in writers.PREPARE:
        staged, problems = writers.PREPARE[kind.name](staged)
        report.add(problems)
    return staged


def _log_batch(
    conn: Connection, report: ImportReport, path: Path, options: ImportOptions, *, access: Access
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
                "actor": access.name,
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
        access.actor,
        f"import.{report.kind}",
        "import_batch",
        batch_id,
        None,
        {"file": report.file, "sha256": digest, "written": report.written, "crs": report.crs},
    )
    return batch_id


def _import_staged(
    conn: Connection,
    kind: Kind,
    staged: gpd.GeoDataFrame,
    options: ImportOptions,
    report: ImportReport,
    weights: WorkloadWeights | None,
    *,
    access: Access,
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
            rows_problems(
                conn,
                """SELECT s._row, s.code, 'outside the city: no district covers it (wrong '
                          || 'coordinate system? give --crs)'
                   FROM s_import s WHERE NOT EXISTS (
                       SELECT 1 FROM district d
                       WHERE ST_Intersects(d.geom, ST_PointOnSurface(s.geom)))""",
            )
        )
    writers.WRITERS[kind.name](Ctx(conn, access, options, report, weights or WorkloadWeights()))
