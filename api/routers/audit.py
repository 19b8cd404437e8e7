"""The audit log, for administrators: read it page by page, or export it as CSV."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.auth import require_permission
from api.deps import ConnDep
from api.schemas import AuditPage
from gis import audit
from gis.accounts import Permission, User

router = APIRouter(tags=["audit"])
Auditor = Annotated[User, Depends(require_permission(Permission.VIEW_AUDIT))]
MAX_OFFSET = 2**31 - 1


def audit_query(
    actor: Annotated[str | None, Query(max_length=64, description="user name")] = None,
    action: Annotated[
        str | None,
        Query(max_length=64, description="e.g. auth.login_failed; a prefix ending in '.'"),
    ] = None,
    entity: Annotated[str | None, Query(max_length=64, description="e.g. user, grid")] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[dt.datetime | None, Query(description="from (inclusive)")] = None,
    until: Annotated[dt.datetime | None, Query(description="to (exclusive)")] = None,
) -> audit.AuditQuery:
    return audit.AuditQuery(actor, action, entity, entity_id, since, until)


AuditQueryDep = Annotated[audit.AuditQuery, Depends(audit_query)]


@router.get("/audit", summary="The audit log, newest first")
def audit_log(
    conn: ConnDep,
    _auditor: Auditor,
    query: AuditQueryDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> AuditPage:
    """Who did what, when, with the state before and after: filter by actor, action, entity,
    time. The log is append-only: nothing here or anywhere changes or deletes a row."""
    return AuditPage.model_validate(audit.list_entries(conn, query, limit=limit, offset=offset))


@router.get(
    "/audit.csv",
    summary="Export the audit log as CSV",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV, UTF-8 with BOM"}},
)
def audit_csv(conn: ConnDep, auditor: Auditor, query: AuditQueryDep) -> Response:
    """The matching rows, oldest first, as CSV for a spreadsheet. The export itself is
    recorded (``audit.export``)."""
    audit.record(
        conn,
        auditor,
        "audit.export",
        "audit_log",
        None,
        None,
        {k: v for k, v in vars(query).items() if v is not None},
    )
    # Read whole before answering: the transaction (and the export's own record) commits when
    # this function returns. Filter by time to export a very long log in parts.
    body = "".join(audit.export_csv(conn, query))
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="gridmap-audit-{stamp}.csv"'},
    )
