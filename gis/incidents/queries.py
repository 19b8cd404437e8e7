"""Reading incidents: filtered lists (GeoJSON), compact points for the map, a department's queue,
and one incident with its full history.

Every query adds the viewer's :func:`~gis.incidents.access.visible_sql`; reporters' personal data
appear only in the single-incident answer, masked unless the viewer may see them.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Role
from gis.errors import Forbidden, Invalid, NotFound
from gis.geojson import BBOX_SQL, BBox, collection, feature_sql
from gis.incidents.access import mask_reporter, visible_sql
from gis.incidents.deadlines import DEADLINE_STATUS_SQL
from gis.incidents.workflow import OVERDUE_SQL, STATE_NAMES, STATES, allowed_actions
from gis.scope import SqlFilter

MAX_PAGE = 5000
#: SQL (alias ``i``): how many reports the problem drew — itself and the duplicates merged in.
REPORTS_SQL = "(1 + (SELECT count(*) FROM incident rd WHERE rd.merged_into_id = i.id))"


@dataclass(frozen=True)
class Filters:
    """What a map, list or figure is restricted to (all optional, combined with AND)."""

    categories: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    department: str | None = None
    since: dt.datetime | None = None  # reported at or after
    until: dt.datetime | None = None  # reported before
    bbox: BBox | None = None
    grid: str | None = None  # a unified grid's code
    status: str | None = None  # 'open' | 'closed'
    overdue: bool | None = None
    escalated: bool | None = None

    def sql(self, now: dt.datetime, alias: str = "i") -> SqlFilter:
        """The filters as SQL on the incident table alias ``i``."""
        if alias != "i":
            raise ValueError("filters are written for alias 'i'")
        parts: list[str] = []
        params: dict[str, Any] = {"now": now}
        unknown = [s for s in self.states if s not in STATES]
        if unknown:
            raise Invalid(
                f"未知的状态 {unknown[0]!r}：可选 {', '.join(STATES)} ("
                f"unknown state {unknown[0]!r}: one of {', '.join(STATES)})",
                state=unknown[0],
            )
        if self.states:
            parts.append("i.state = ANY(:f_states)")
            params["f_states"] = list(self.states)
        if self.categories:
            parts.append("i.category = ANY(:f_categories)")
            params["f_categories"] = list(self.categories)
        if self.department:
            parts.append("i.department = :f_department")
            params["f_department"] = self.department
        if self.since and self.until and self.since >= self.until:
            raise Invalid("开始时间须早于结束时间 (since must be earlier than until)")
        if self.since:
            parts.append("i.reported_at >= :f_since")
            params["f_since"] = self.since
        if self.until:
            parts.append("i.reported_at < :f_until")
            params["f_until"] = self.until
        if self.bbox:
            parts.append(f"i.geom && {BBOX_SQL}")
            params |= self.bbox.params()
        if self.grid:
            parts.append(
                "i.grid_id = (SELECT fg.id FROM grid fg JOIN grid_layer fl ON fl.id = fg.layer_id "
                "WHERE fl.code = 'unified' AND fg.code = :f_grid)"
            )
            params["f_grid"] = self.grid
        if self.status is not None:
            if self.status not in ("open", "closed"):
                raise Invalid(
                    f"status 须为 open 或 closed，收到 {self.status!r} ("
                    f"status is open or closed, not {self.status!r})"
                )
            parts.append(
                "i.state <> 'evaluated'" if self.status == "open" else "i.state = 'evaluated'"
            )
        if self.overdue is not None:
            parts.append(f"({'' if self.overdue else 'NOT '}coalesce({OVERDUE_SQL}, false))")
        if self.escalated is not None:
            parts.append(f"i.escalated_at IS {'NOT ' if self.escalated else ''}NULL")
        return SqlFilter(" AND ".join(parts) or "true", params)


def _where(filters: Filters, now: dt.datetime, *, access: Access) -> SqlFilter:
    return visible_sql(access=access) & filters.sql(now)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def list_incidents(
    conn: Connection,
    filters: Filters | None = None,
    *,
    access: Access,
    limit: int = 500,
    offset: int = 0,
    now: dt.datetime | None = None,
) -> str:
    """A page of incidents as a GeoJSON FeatureCollection, newest first, built in PostGIS."""
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise Invalid(
            f"limit 须为 1..{MAX_PAGE}，offset 须 ≥ 0 (limit must be 1..{MAX_PAGE} and offset ≥ 0)",
            limit=limit,
            offset=offset,
        )
    now = now or dt.datetime.now(dt.UTC)
    where = _where(filters or Filters(), now, access=access)
    total = conn.execute(
        text(f"SELECT count(*) FROM incident i WHERE {where.sql}"), where.params
    ).scalar_one()
    features = feature_sql(
        "i.code",
        "i.geom",
        {
            "code": "i.code",
            "category": "i.category",
            "state": "i.state",
            "department": "i.department",
            "description": "left(i.description, 120)",
            "reported_at": "i.reported_at",
            "due_at": "i.due_at",
            "overdue": f"coalesce({OVERDUE_SQL}, false)",
            "escalated": "i.escalated_at IS NOT NULL",
            "grid": "g.code",
            "community": "c.code",
            "merged_into": "(SELECT mp.code FROM incident mp WHERE mp.id = i.merged_into_id)",
            "reports": REPORTS_SQL,
        },
    )
    sql = (
        f"SELECT {features} FROM incident i LEFT JOIN grid g ON g.id = i.grid_id "
        f"LEFT JOIN community c ON c.id = i.community_id WHERE {where.sql} "
        "ORDER BY i.reported_at DESC, i.id DESC LIMIT :limit OFFSET :offset"
    )
    params = where.params | {"limit": limit, "offset": offset}
    extra: dict[str, Any] = {"numberMatched": total}
    body = collection(conn, sql, params, extra=extra)
    returned = min(limit, max(0, total - offset))
    head, _, rest = body.partition(', "features"')
    more = f', "numberReturned": {returned}'
    if offset + returned < total:
        more += f', "next_offset": {offset + returned}'
    return f'{head}{more}, "features"{rest}'


#: What each row of :func:`points` holds, in order.
POINT_FIELDS = ("lon", "lat", "code", "state", "category", "overdue")


@dataclass(frozen=True)
class IncidentPoints:
    """Incidents as compact rows of :data:`POINT_FIELDS`, for markers and the heat map."""

    fields: tuple[str, ...]
    points: list[list[Any]]


def points(
    conn: Connection,
    filters: Filters | None = None,
    *,
    access: Access,
    now: dt.datetime | None = None,
) -> IncidentPoints:
    """Every matching incident as a compact row ``[lon, lat, code, state, category, overdue]``,
    for the clustered markers and the heat map (30,000 points are ~1 MB of JSON, gzipped ~300 kB).
    """
    now = now or dt.datetime.now(dt.UTC)
    where = _where(filters or Filters(), now, access=access)
    sql = (
        "SELECT coalesce(json_agg(json_build_array(round(ST_X(i.geom)::numeric, 6), "
        "round(ST_Y(i.geom)::numeric, 6), i.code, i.state, i.category, "
        f"coalesce({OVERDUE_SQL}, false)) ORDER BY i.id), '[]'::json)::text "
        f"FROM incident i WHERE {where.sql}"
    )
    rows = conn.execute(text(sql), where.params).scalar_one()
    return IncidentPoints(POINT_FIELDS, json.loads(rows))


#: The queues of the 吹哨报到 loop: each stage, the states waiting in it, and its order — the
#: deadline that matters first, else the oldest waiting. ``handle`` is a department's to-do
#: (sign for, handle, feed back); ``dispatch`` the command centre's; ``evaluate`` (待评价) holds
#: what was fed back and waits for the command centre or the grid worker to evaluate it.
QUEUE_STAGES: dict[str, tuple[tuple[str, ...], str]] = {
    "handle": (("dispatched", "signed", "handled"), "next_deadline ASC NULLS LAST, i.reported_at"),
    "dispatch": (("reported",), "i.escalated_at IS NULL, i.reported_at"),
    "evaluate": (("fed_back",), "i.fed_back_at NULLS LAST, i.reported_at"),
}
QUEUE_STATES = QUEUE_STAGES["handle"][0]
_QUEUE_TIMES = ("reported_at", "dispatched_at", "sign_due_at", "due_at", "fed_back_at")


@dataclass(frozen=True)
class IncidentQueue:
    """One stage's waiting incidents (the first ``limit``, most urgent first) of ``total``."""

    stage: str
    department: str | None
    total: int
    items: list[dict[str, Any]]
    now: str  # ISO 8601

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def queue(
    conn: Connection,
    *,
    access: Access,
    stage: str = "handle",
    department: str | None = None,
    limit: int = 500,
    now: dt.datetime | None = None,
) -> IncidentQueue:
    """The open incidents waiting at one ``stage`` of the loop (:data:`QUEUE_STAGES`).

    In the ``handle`` queue the deadline that matters is the next one to meet: signing for a
    dispatched incident, handling for a signed one; a handled incident waits to be fed back
    (no deadline, last). Department staff always get their own department's queue.
    """
    if stage not in QUEUE_STAGES:
        raise Invalid(
            f"未知的队列 {stage!r}：可选 {', '.join(QUEUE_STAGES)} ("
            f"unknown queue {stage!r}: one of {', '.join(QUEUE_STAGES)})",
            stage=stage,
        )
    states, order = QUEUE_STAGES[stage]
    now = now or dt.datetime.now(dt.UTC)
    if access.user is not None and access.user.role is Role.DEPARTMENT:
        department = access.user.department
    where = _where(Filters(states=states, department=department), now, access=access)
    rows = conn.execute(
        text(
            f"""SELECT i.code, i.category, i.state, i.department, i.description, i.reported_at,
                   i.dispatched_at, i.sign_due_at, i.due_at, i.fed_back_at, i.escalated_at,
                   i.send_backs, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, g.code AS grid,
                   CASE i.state WHEN 'dispatched' THEN least(i.sign_due_at, i.due_at)
                                WHEN 'signed' THEN i.due_at END AS next_deadline,
                   coalesce({OVERDUE_SQL}, false) AS overdue,
                   {DEADLINE_STATUS_SQL} AS deadline_status, {REPORTS_SQL} AS reports
               FROM incident i LEFT JOIN grid g ON g.id = i.grid_id
               WHERE {where.sql} AND i.merged_into_id IS NULL
               ORDER BY {order}, i.id
               LIMIT :limit"""
        ),
        where.params | {"limit": limit},
    ).mappings()
    items = []
    for r in rows:
        item = dict(r)
        for key in (*_QUEUE_TIMES, "next_deadline"):
            item[key] = _iso(item[key])
        item["escalated"] = item.pop("escalated_at") is not None
        item["state_name"] = STATE_NAMES[r["state"]]
        item["allowed_next"] = [{"action": a, "state": t} for a, t in allowed_actions(r["state"])]
        items.append(item)
    total = conn.execute(
        text(f"SELECT count(*) FROM incident i WHERE {where.sql} AND i.merged_into_id IS NULL"),
        where.params,
    ).scalar_one()
    return IncidentQueue(stage, department, total, items, now.isoformat())


_DETAIL = """
SELECT i.id, i.code, i.category, i.description, i.reported_at, i.reporter_kind, i.department,
       i.state, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, i.reporter_name, i.reporter_phone,
       i.source, i.routing_note, i.sign_due_at, i.due_at, i.dispatched_at, i.signed_at,
       i.handled_at, i.fed_back_at, i.evaluated_at, i.satisfied, i.rejections, i.send_backs,
       i.escalated_at, i.updated_at, g.code AS grid, g.name AS grid_name, u.code AS unit,
       c.code AS community, c.name AS community_name, b.code AS building,
       b.name AS building_name, coalesce({overdue}, false) AS overdue, i.reporter_email,
       mp.code AS merged_into, i.merged_at, {reports} AS reports,
       ARRAY(SELECT d.code FROM incident d WHERE d.merged_into_id = i.id ORDER BY d.id)
           AS duplicates
FROM incident i
LEFT JOIN incident mp ON mp.id = i.merged_into_id
LEFT JOIN grid g ON g.id = i.grid_id
LEFT JOIN base_unit u ON u.id = i.base_unit_id
LEFT JOIN community c ON c.id = i.community_id
LEFT JOIN building b ON b.id = i.building_id
WHERE i.code = :code
"""


def get_incident(
    conn: Connection, code: str, *, access: Access, now: dt.datetime | None = None
) -> dict[str, Any]:
    """One incident with its history (every transition), photos and the moves allowed next.

    Incidents loaded from a city package carry their timestamps but no history rows (the package
    has none): ``history`` is empty and ``history_recorded`` false for them.
    """
    now = now or dt.datetime.now(dt.UTC)
    row = (
        conn.execute(
            text(_DETAIL.format(overdue=OVERDUE_SQL, reports=REPORTS_SQL)),
            {"code": code, "now": now},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(
            f"没有编号为 {code!r} 的事件 (no incident with code {code!r})", incident=code
        )
    seen = visible_sql(access=access)
    if (
        conn.execute(
            text(f"SELECT 1 FROM incident i WHERE i.id = :id AND {seen.sql}"),
            {"id": row["id"]} | seen.params,
        ).first()
        is None
    ):
        raise Forbidden(
            f"事件 {code} 不在您的权限范围内 (incident {code} is outside your scope)", incident=code
        )
    item = {k: (_iso(v) if isinstance(v, dt.datetime) else v) for k, v in row.items()}
    incident_id = item.pop("id")
    item["state_name"] = STATE_NAMES[row["state"]]
    item["escalated"] = item["escalated_at"] is not None
    item["allowed_next"] = [{"action": a, "state": t} for a, t in allowed_actions(row["state"])]
    history = conn.execute(
        text(
            "SELECT action, from_state, to_state, actor, at, note, department "
            "FROM incident_transition WHERE incident_id = :id ORDER BY at, id"
        ),
        {"id": incident_id},
    ).mappings()
    item["history"] = [dict(h) | {"at": h["at"].isoformat()} for h in history]
    item["history_recorded"] = bool(item["history"])
    # What the incident became when its loop could not close it (gis.councils.escalation).
    links = conn.execute(
        text(
            "SELECT 'need' AS kind, code FROM need WHERE incident_id = :id UNION ALL "
            "SELECT 'council', code FROM council WHERE incident_id = :id ORDER BY 1, 2"
        ),
        {"id": incident_id},
    ).mappings()
    item["escalated_to"] = [dict(link) for link in links]
    photos = conn.execute(
        text(
            "SELECT id, media_type, size, uploaded_by, uploaded_at FROM incident_photo "
            "WHERE incident_id = :id ORDER BY id"
        ),
        {"id": incident_id},
    ).mappings()
    item["photos"] = [
        dict(p) | {"uploaded_at": p["uploaded_at"].isoformat(), "url": f"photos/{p['id']}"}
        for p in photos
    ]
    return mask_reporter(item, access=access)
