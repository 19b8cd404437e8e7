"""Load a city package (the GeoPackage layout written by ``data/generate_city.py``) into PostGIS.

Reading and checking the file is :mod:`gis.city_package`; this module writes what it read.

Why COPY into staging tables and then INSERT … SELECT: codes in the file are resolved to foreign
keys by joins inside PostGIS, point-in-polygon lookups run there with the GiST indexes, and the
whole load is one transaction — it lands whole or not at all.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, text

from gis import audit
from gis.access import Access
from gis.accounts import Permission
from gis.city_package import LAYERS, read_package
from gis.errors import Conflict, InvalidFile
from gis.grids import refresh_grids
from gis.incidents.backfill import backfill_loaded
from gis.infra.settings import WorkloadWeights
from gis.package_checks import check_codes, check_linear
from gis.staging import locate_incidents, resolve_codes, stage, upsert
from gis.unit_edges import refresh_unit_edges

log = logging.getLogger(__name__)


@dataclass
class LoadReport:
    """What a load did: rows per table and how long it took."""

    path: Path
    skipped: bool = False
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        if self.skipped:
            return f"{self.path.name}: already loaded, nothing changed (use --replace to reload)"
        counts = ", ".join(f"{k} {v:,}" for k, v in self.rows.items())
        return f"{self.path.name}: loaded in {self.seconds:.1f} s — {counts}"


#: Parents resolved in a staging table before its statement: (column, parent table, into).
Resolve = tuple[tuple[str, str, str], ...]
#: (table, package layer it comes from, parents to resolve, statement), in dependency order.
#: Places, people and incidents go through :mod:`gis.staging`, the same SQL a file import uses.
STATEMENTS: list[tuple[str, str, Resolve, str]] = [
    # A province package's cities: only their names are kept (roll-ups by city, gis.rollups).
    (
        "city",
        "cities",
        (),
        """INSERT INTO city (code, name) SELECT code, name FROM s_cities
           ON CONFLICT (code) DO UPDATE SET name = excluded.name""",
    ),
    ("district", "districts", (), upsert("district", "s_districts")),
    (
        "street",
        "streets",
        (("district_code", "district", "parent_id"),),
        upsert("street", "s_streets"),
    ),
    (
        "community",
        "communities",
        (("street_code", "street", "parent_id"),),
        upsert("community", "s_communities"),
    ),
    (
        "base_unit",
        "base_units",
        (("community_code", "community", "parent_id"),),
        upsert("base_unit", "s_base_units"),
    ),
    (
        "building",
        "buildings",
        (("unit_code", "base_unit", "parent_id"),),
        upsert("building", "s_buildings"),
    ),
    ("building_entrance", "buildings", (), upsert("building_entrance", "s_buildings")),
    (
        "linear_feature",
        "roads",
        (("district_code", "district", "parent_id"),),
        upsert("linear_feature", "s_roads"),
    ),
    (
        "linear_feature",
        "rivers",
        (("district_code", "district", "parent_id"),),
        upsert("linear_feature", "s_rivers"),
    ),
    (
        "grid_layer",
        "grid_layers",
        (),
        """INSERT INTO grid_layer (code, name, kind, department)
           SELECT code, name, kind, nullif(department, '') FROM s_grid_layers
           ON CONFLICT (code) DO NOTHING""",
    ),
    (
        "grid",
        "grids",
        (),
        """INSERT INTO grid (layer_id, code, name, community_id)
           SELECT l.id, g.code, g.name, c.id
           FROM s_grids g JOIN grid_layer l ON l.code = g.layer_code
           LEFT JOIN community c ON c.code = g.community_code""",
    ),
    (
        "grid_unit",
        "memberships",
        (),
        """INSERT INTO grid_unit (layer_id, unit_id, grid_id)
           SELECT l.id, u.id, g.id
           FROM s_memberships m
           JOIN grid_layer l ON l.code = m.layer_code
           JOIN grid g ON g.layer_id = l.id AND g.code = m.grid_code
           JOIN base_unit u ON u.code = m.unit_code""",
    ),
    (
        "party_organisation",
        "party_organisations",
        (),
        # An agency's organisation has no community, so replacing districts does not delete
        # it: a package loaded again updates it.
        """INSERT INTO party_organisation (code, name, kind, community_id)
           SELECT o.code, o.name, o.kind, c.id
           FROM s_party_organisations o LEFT JOIN community c ON c.code = o.community_code
           ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,
               community_id = EXCLUDED.community_id""",
    ),
    (
        "party_member",
        "party_members",
        (
            ("organisation_code", "party_organisation", "organisation_id"),
            ("community_code", "community", "parent_id"),
        ),
        upsert("party_member", "s_party_members"),
    ),
    # The unit (and so the community) is found spatially, with the GiST index.
    ("incident", "incidents", (), upsert("incident", "s_incidents")),
    (
        "assignment",
        "assignments",
        (),
        """INSERT INTO assignment (member_id, role, grid_id, building_id, starts_on)
           SELECT m.id, a.role, g.id, b.id, a.starts_on::date
           FROM s_assignments a
           JOIN party_member m ON m.code = a.member_code
           LEFT JOIN grid_layer l ON a.target_kind = 'grid' AND l.code = 'unified'
           LEFT JOIN grid g ON g.layer_id = l.id AND g.code = a.target_code
           LEFT JOIN building b ON a.target_kind = 'building' AND b.code = a.target_code
           WHERE g.id IS NOT NULL OR b.id IS NOT NULL""",
    ),
]


def _write(conn: Connection, frames: dict[str, pd.DataFrame], report: LoadReport) -> None:
    """Run :data:`STATEMENTS` for the layers the package has."""
    for table, layer, parents, sql in STATEMENTS:
        if layer not in frames:
            continue
        for column, parent, into in parents:
            resolve_codes(conn, f"s_{layer}", column, parent, into)
        if table == "incident":
            locate_incidents(conn, "s_incidents")
        report.rows[table] = report.rows.get(table, 0) + conn.exec_driver_sql(sql).rowcount


def _district_codes(path: Path) -> list[str]:
    frames = read_package(path, only=("districts",))
    return [str(code) for code in frames["districts"]["code"]]


def _check_staged(conn: Connection, frames: dict[str, pd.DataFrame], path: Path) -> None:
    """Refuse a package whose codes do not resolve, repeat or nest wrongly, before any write."""
    check_codes(conn, frames, path)
    check_linear(conn, frames, path)
    checks = [
        (
            "streets",
            "district_code",
            "SELECT code FROM s_districts UNION SELECT code FROM district",
        ),
        ("communities", "street_code", "SELECT code FROM s_streets"),
        ("base_units", "community_code", "SELECT code FROM s_communities"),
        ("buildings", "unit_code", "SELECT code FROM s_base_units"),
        ("memberships", "unit_code", "SELECT code FROM s_base_units"),
        ("roads", "district_code", "SELECT code FROM s_districts UNION SELECT code FROM district"),
        ("rivers", "district_code", "SELECT code FROM s_districts UNION SELECT code FROM district"),
    ]
    for layer, column, known in checks:
        if layer not in frames:
            continue
        # NOT EXISTS, not NOT IN: a hashed NOT IN subplan that outgrows work_mem turns into a
        # scan per row (8 min for a province at scale 0.2); this anti-join stays linear.
        row = conn.exec_driver_sql(
            f"SELECT s.{column} FROM s_{layer} s WHERE s.{column} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM ({known}) AS k(code) WHERE k.code = s.{column}) LIMIT 1"
        ).first()
        if row:
            raise InvalidFile(
                f"{path}：图层 '{layer}' 引用了未知的 {column} '{row[0]}' "
                "("
                f"{path}: layer '{layer}' refers to unknown {column} '{row[0]}')"
            )
    dup = conn.exec_driver_sql(
        "SELECT layer_code, unit_code FROM s_memberships GROUP BY 1, 2 HAVING count(*) > 1 LIMIT 1"
    ).first()
    if dup:
        raise InvalidFile(
            f"{path}：单元 {dup[1]} 属于图层 '{dup[0]}' 的两个网格 ("
            f"{path}: unit {dup[1]} is in two grids of layer '{dup[0]}')"
        )


def already_loaded(conn: Connection, district_codes: Sequence[str]) -> list[str]:
    rows = conn.execute(
        text("SELECT code FROM district WHERE code = ANY(:codes) ORDER BY code"),
        {"codes": list(district_codes)},
    )
    return [r[0] for r in rows]


def load_city(
    engine: Engine,
    path: Path,
    *,
    access: Access,
    weights: WorkloadWeights | None = None,
    replace: bool = False,
) -> LoadReport:
    """Load a city package in one transaction.

    A package whose districts are already in the database is skipped (loading twice never
    duplicates rows) unless ``replace`` is true, in which case those districts and everything
    under them are deleted first, in the same transaction.

    The import is recorded in the audit log (``city.import``) in the same transaction, under
    ``access`` (a user needs the ``import_data`` permission; the CLI passes its system access).
    """
    access.require(Permission.IMPORT_DATA)
    started = time.perf_counter()
    path = Path(path)
    report = LoadReport(path)
    codes = _district_codes(path)
    with engine.connect() as conn:
        present = already_loaded(conn, codes)
    if present and not replace:
        if len(present) != len(codes):
            raise Conflict(
                f"{path}：区县 {', '.join(present)} 已加载，但本数据包的其"
                "他区县未加载：请加 --replace 重新加载 ("
                f"{path}: districts {', '.join(present)} are loaded but others of this "
                "package are not; reload with --replace)"
            )
        report.skipped = True  # decided from one small layer, so a second run is quick
        with engine.begin() as conn:  # a database loaded before migration 0004 gets its
            backfill_loaded(conn)  # incidents located now (a no-op when they all are)
        return report
    frames = read_package(path)
    with engine.begin() as conn:
        present = already_loaded(conn, codes)
        if present:
            _delete_districts(conn, present)
        for layer, frame in frames.items():
            stage(conn, f"s_{layer}", frame, LAYERS[layer])
            # Autovacuum never analyses temp tables: without this the checks and joins below
            # are planned for empty tables (nested loops, minutes at province scale).
            conn.exec_driver_sql(f"ANALYZE s_{layer}")
        _check_staged(conn, frames, path)
        _write(conn, frames, report)
        # Shared unit boundaries: the grids' pieces below and what boundaries run along.
        report.rows["unit_edge judged"] = refresh_unit_edges(conn, codes)
        layer_ids = [
            r[0]
            for r in conn.execute(
                text("SELECT id FROM grid_layer WHERE code = ANY(:c)"),
                {"c": frames["grid_layers"]["code"].tolist()},
            )
        ]
        refresh_grids(conn, weights or WorkloadWeights(), layer_ids=layer_ids)
        if "incidents" in frames:  # grid, building, H3 cell and plausible workflow times
            backfill_loaded(conn)
        audit.record(
            conn,
            access.actor,
            "city.import",
            "city_package",
            path.name,
            {"districts": present} if present else None,
            {"path": str(path), "districts": codes, "rows": report.rows},
        )
    # Fresh statistics for the planner: a city loaded into empty tables would otherwise be
    # queried with plans made for empty tables until autovacuum gets round to them; and a
    # visibility map, so that the covering indexes (migration 0011) answer without the heap.
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    report.seconds = time.perf_counter() - started
    log.debug("%s", report.summary())
    return report


def _delete_districts(conn: Connection, codes: Sequence[str]) -> None:
    """Remove districts and what hangs off them; grids of shared layers go with their units."""
    params = {"codes": list(codes)}
    conn.execute(
        text(
            """DELETE FROM grid WHERE id IN (
                   SELECT gu.grid_id FROM grid_unit gu
                   JOIN base_unit u ON u.id = gu.unit_id
                   JOIN community c ON c.id = u.community_id
                   JOIN street s ON s.id = c.street_id
                   JOIN district d ON d.id = s.district_id
                   WHERE d.code = ANY(:codes))"""
        ),
        params,
    )
    for table in ("incident", "party_member", "party_organisation"):
        conn.execute(
            text(
                f"""DELETE FROM {table} WHERE community_id IN (
                       SELECT c.id FROM community c JOIN street s ON s.id = c.street_id
                       JOIN district d ON d.id = s.district_id WHERE d.code = ANY(:codes))"""
            ),
            params,
        )
    conn.execute(text("DELETE FROM district WHERE code = ANY(:codes)"), params)
