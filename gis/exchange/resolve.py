"""What every import writer stands on: its context, and the SQL that resolves and checks codes.

Each writer runs on the staging table ``s_import`` (``_row``, the kind's fields as text, ``geom``
in EPSG:4326), adds the problems only the database can see to the report, and writes only when
there are none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.audit import Actor
from gis.errors import Forbidden
from gis.exchange.options import ImportOptions
from gis.exchange.report import MAX_LISTED, ImportReport, Problem
from gis.infra.settings import WorkloadWeights
from gis.scope import Scope
from gis.staging import resolve_codes


@dataclass(frozen=True)
class Ctx:
    """What every writer works with."""

    conn: Connection
    access: Access
    options: ImportOptions
    report: ImportReport
    weights: WorkloadWeights

    @property
    def actor(self) -> Actor:
        return self.access.actor

    @property
    def scope(self) -> Scope:
        return self.access.scope

    def unpack(
        self,
    ) -> tuple[Connection, Actor, Scope, ImportOptions, ImportReport, WorkloadWeights]:
        return self.conn, self.actor, self.scope, self.options, self.report, self.weights


Writer = Callable[[Ctx], None]


def counted(conn: Connection, sql: str, params: dict[str, Any] | None = None) -> tuple[int, int]:
    """Run an upsert ending in ``RETURNING (xmax = 0)``: (inserted, updated)."""
    flags = [bool(r[0]) for r in conn.execute(text(sql), params or {})]
    return sum(flags), len(flags) - sum(flags)


def written(report: ImportReport, table: str, inserted: int, updated: int) -> None:
    report.written[f"{table} inserted"] = inserted
    if updated:
        report.written[f"{table} updated"] = updated


def scope_column(conn: Connection, scope: Scope, sql: str, what: str) -> None:
    if scope.is_everything:
        return
    codes = [str(r[0]) for r in conn.execute(text(sql)) if r[0] is not None]
    if scope.level == "grid":
        raise Forbidden(
            f"网格级用户无权导入{what} (a grid-level user may not import {what})", scope=str(scope)
        )
    check_scope_codes(scope, codes, what)


def parent(
    conn: Connection,
    report: ImportReport,
    *,
    column: str,
    table: str,
    label: str,
    containing: bool = True,
) -> None:
    """Resolve ``s_import.<column>`` (a parent's code) to ``parent_id``: by code when given,
    else by the parent whose geometry holds the row's point on surface."""
    resolve_codes(conn, "s_import", column, table)
    if containing:
        conn.exec_driver_sql(
            f"""UPDATE s_import s SET parent_id = (
                    SELECT p.id FROM {table} p
                    WHERE ST_Intersects(p.geom, ST_PointOnSurface(s.geom)) ORDER BY p.id LIMIT 1),
                    {column} = coalesce((
                    SELECT p.code FROM {table} p
                    WHERE ST_Intersects(p.geom, ST_PointOnSurface(s.geom))
                    ORDER BY p.id LIMIT 1), '')
                WHERE s.{column} = ''"""
        )
    report.add(
        rows_problems(
            conn,
            f"SELECT _row, code, 'unknown {label} code ' || quote_literal({column}) "
            f"FROM s_import WHERE {column} <> '' AND parent_id IS NULL",
        )
        + rows_problems(
            conn,
            f"SELECT _row, code, 'no {label} given and none under it' "
            f"FROM s_import s WHERE {column} = '' AND parent_id IS NULL AND EXISTS ("
            "SELECT 1 FROM district d WHERE ST_Intersects(d.geom, ST_PointOnSurface(s.geom)))",
        )
    )


def nested(conn: Connection, report: ImportReport, column: str, label: str) -> None:
    """Admin codes nest (a street's starts with its district's): scopes rely on it."""
    report.add(
        rows_problems(
            conn,
            f"SELECT _row, code, 'code does not start with its {label} code ' || {column} "
            f"FROM s_import WHERE parent_id IS NOT NULL AND NOT starts_with(code, {column})",
        )
    )


def rows_problems(
    conn: Connection, sql: str, params: dict[str, Any] | None = None
) -> list[Problem]:
    """Problems found by a query returning (_row, code, reason)."""
    result = conn.execute(text(sql + f" ORDER BY 1 LIMIT {MAX_LISTED * 5}"), params or {})
    return [Problem(int(r[0]), r[1], r[2]) for r in result]


def check_scope_codes(scope: Scope, codes: list[str], what: str) -> None:
    """Refuse rows placed (by community or other admin code) outside the actor's scope."""
    outside = sorted({c for c in codes if c and not scope.reaches(c)})
    if outside and not scope.is_everything:
        raise Forbidden(
            f"有 {len(outside)} 个{what}不在您的权限范围（{scope}）内"
            "：未导入任何数据 ("
            f"{len(outside)} {what} lie outside your scope ({scope}), "
            f"e.g. {', '.join(outside[:5])}: nothing was imported)",
            scope=str(scope),
        )
