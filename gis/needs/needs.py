"""The needs list (需求清单, 群众点单): a need recorded where it is, and needs read back.

A need is placed at a building (its point on surface), an entrance of a building, or a point;
PostGIS finds the base unit holding it, hence its community and its unified grid. A need outside
every community is refused (422), as is one outside the caller's scope (403).

Who sees a need: staff whose scope reaches its community (a field worker: their grid); a taker
(role ``taker``): the needs ordered to the unit, member or team they act for. The requester's
name and phone are masked except for roles with personal data in their scope and for the taker
who accepted the order (they must call the resident).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission
from gis.audit import record
from gis.chinatime import CHINA
from gis.errors import Forbidden, Invalid, NotFound
from gis.labels import NEED_KINDS, NEED_STATUSES, label
from gis.needs.common import check_kind, need_scope_sql, shown
from gis.needs.resources import taker_of
from gis.scope import SqlFilter

SOURCES = ("resident", "field", "staff", "incident")
MAX_LIST = 2000


@dataclass(frozen=True)
class NeedIn:
    """A need as recorded: what, for whom, by when, and where (a building, an entrance — a
    building and its number — or a point)."""

    kind: str
    title: str
    requester_name: str
    requester_phone: str
    due_on: dt.date
    hours: float = 2.0
    description: str = ""
    building: str | None = None
    entrance: int | None = None
    lon: float | None = None
    lat: float | None = None
    source: str = "staff"

    def __post_init__(self) -> None:
        check_kind(self.kind)
        if not self.title.strip() or len(self.title) > 128:
            raise Invalid("需求标题须为 1 至 128 个字 (a title of 1 to 128 characters)")
        if not self.requester_name.strip() or len(self.requester_name) > 32:
            raise Invalid("请填写求助人姓名（至多 32 字） (the requester's name is needed)")
        if not self.requester_phone.strip() or len(self.requester_phone) > 20:
            raise Invalid("请填写求助人电话（至多 20 位） (the requester's phone is needed)")
        if not 0 < self.hours <= 200:
            raise Invalid(
                f"预计时长须大于 0、至多 200 小时，而不是 {self.hours} (hours are 0 to 200)",
                hours=self.hours,
            )
        if self.source not in SOURCES:
            raise Invalid(f"未知的来源 {self.source!r} (unknown source)", source=self.source)
        at_point = self.lon is not None and self.lat is not None
        if at_point == (self.building is not None) or (self.lon is None) != (self.lat is None):
            raise Invalid(
                "需求的位置须为楼栋（可加单元号）或经纬度之一 ("
                "a need is placed at a building (and entrance) or at lon/lat, one of them)"
            )
        if self.entrance is not None and self.building is None:
            raise Invalid("单元号须与楼栋一起填写 (an entrance number needs its building)")


@dataclass(frozen=True)
class NeedView:
    """A need as a viewer sees it (the requester masked unless they may see them in full)."""

    code: str
    kind: str
    kind_label: str
    title: str
    description: str
    status: str
    status_label: str
    source: str
    community_code: str
    community_name: str
    grid_code: str | None
    building_code: str | None
    entrance: int | None
    lon: float
    lat: float
    requester_name: str
    requester_phone: str
    masked: bool
    hours: float
    due_on: dt.date
    overdue: bool
    created_at: dt.datetime
    taker: str | None
    taker_name: str | None
    order_state: str | None
    incident_code: str | None = None  # the incident it was escalated from (吹哨报到)
    council_code: str | None = None  # the council topic raised from it (议事协商)


_LOCATE = """
WITH p AS (
    SELECT coalesce(ST_PointOnSurface(b.geom), ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) AS geom,
           b.id AS building_id, b.base_unit_id
    FROM (SELECT 1) one LEFT JOIN building b ON b.code = :building
)
SELECT p.geom, p.building_id, u.id AS unit_id, c.id AS community_id, c.code AS community_code,
       g.id AS grid_id, g.code AS grid_code,
       (SELECT e.id FROM building_entrance e
        WHERE e.building_id = p.building_id AND e.number = :entrance) AS entrance_id
FROM p
LEFT JOIN LATERAL (
    SELECT u.id, u.community_id FROM base_unit u
    WHERE u.id = p.base_unit_id OR (p.base_unit_id IS NULL AND ST_Covers(u.geom, p.geom))
    ORDER BY u.id LIMIT 1
) u ON true
LEFT JOIN community c ON c.id = u.community_id
LEFT JOIN LATERAL (
    SELECT g.id, g.code FROM grid_unit gu JOIN grid g ON g.id = gu.grid_id
    JOIN grid_layer l ON l.id = g.layer_id AND l.code = 'unified'
    WHERE gu.unit_id = u.id LIMIT 1
) g ON true
"""


def create_need(conn: Connection, need: NeedIn, *, access: Access, now: dt.datetime) -> NeedView:
    """Record a need (群众点单) where it is; returns it as the caller sees it."""
    if not (access.can(Permission.REPORT_NEEDS) or access.can(Permission.DISPATCH_NEEDS)):
        access.require(Permission.REPORT_NEEDS)
    place = conn.execute(
        text(_LOCATE),
        {"lon": need.lon, "lat": need.lat, "building": need.building, "entrance": need.entrance},
    ).first()
    assert place is not None, "the locating query answers one row"
    if need.building is not None and place.building_id is None:
        raise NotFound(f"没有楼栋 {need.building!r} (no building {need.building!r})")
    if need.entrance is not None and place.entrance_id is None:
        raise NotFound(
            f"楼栋 {need.building} 没有 {need.entrance} 单元 (building {need.building} has no "
            f"entrance {need.entrance})"
        )
    if place.community_id is None:
        raise Invalid(
            f"位置 {need.lon}, {need.lat} 不在任何社区内：请在社区范围内选点 ("
            f"the point {need.lon}, {need.lat} lies outside every community)",
            lon=need.lon,
            lat=need.lat,
        )
    scope = access.scope
    inside = (
        scope.reaches_grid("unified", place.grid_code or "", [])
        if scope.level == "grid"
        else scope.reaches(place.community_code)
    )
    if not inside:
        raise Forbidden(
            f"该需求位于社区 {place.community_code}，不在您的权限范围（{scope}）内 ("
            f"the need lies in community {place.community_code}, outside your scope ({scope}))"
        )
    new_id = conn.execute(text("SELECT nextval(pg_get_serial_sequence('need', 'id'))")).scalar_one()
    code = f"XQ{now.astimezone(CHINA):%Y%m%d}{new_id:06d}"
    conn.execute(
        text(
            "INSERT INTO need (id, code, kind, title, description, community_id, grid_id, "
            "building_id, entrance_id, requester_name, requester_phone, hours, due_on, status, "
            "source, created_at, updated_at, geom) VALUES (:id, :code, :kind, :title, "
            ":description, "
            ":community, :grid, :building, :entrance, :name, :phone, :hours, :due, 'open', "
            ":source, :now, :now, :geom)"
        ),
        {
            "id": new_id, "code": code, "kind": need.kind, "title": need.title.strip(),
            "description": need.description, "community": place.community_id,
            "grid": place.grid_id, "building": place.building_id, "entrance": place.entrance_id,
            "name": need.requester_name.strip(), "phone": need.requester_phone.strip(),
            "hours": need.hours, "due": need.due_on, "source": need.source, "now": now,
            "geom": place.geom,
        },
    )  # fmt: skip
    add_event(conn, new_id, now, access.name, "create", None, "open")
    record(conn, access.actor, "needs.create", "need", code, after={"kind": need.kind})
    return get_need(conn, code, access=access, now=now)


def add_event(
    conn: Connection,
    need_id: int,
    at: dt.datetime,
    actor: str,
    action: str,
    from_status: str | None,
    to_status: str,
    note: str = "",
) -> None:
    """One line of a need's history."""
    conn.execute(
        text(
            "INSERT INTO need_event (need_id, at, actor, action, from_status, to_status, note) "
            "VALUES (:n, :at, :actor, :action, :f, :t, :note)"
        ),
        {"n": need_id, "at": at, "actor": actor[:80], "action": action, "f": from_status,
         "t": to_status, "note": note},
    )  # fmt: skip


def visible_sql(conn: Connection, *, access: Access) -> tuple[SqlFilter, tuple[str, int] | None]:
    """Needs the caller may read (alias ``n``, community ``c``), and the taker they act for."""
    if access.user is not None and access.user.role.value == "taker":
        mine = taker_of(conn, access=access)
        if mine is None:
            return SqlFilter("false"), None
        kind, pk = mine
        return (
            SqlFilter(
                f"EXISTS (SELECT 1 FROM need_order vo WHERE vo.need_id = n.id "
                f"AND vo.{kind}_id = :taker_pk)",
                {"taker_pk": pk},
            ),
            mine,
        )
    return need_scope_sql(access.scope), None


_SELECT = """
SELECT n.id, n.code, n.kind, n.title, n.description, n.status, n.source, c.code AS community_code,
       c.name AS community_name, g.code AS grid_code, b.code AS building_code, e.number AS entrance,
       ST_X(n.geom) AS lon, ST_Y(n.geom) AS lat, n.requester_name, n.requester_phone, n.hours,
       n.due_on, n.created_at, o.taker_kind, o.state AS order_state,
       coalesce(pu.code, pm.code, vt.code) AS taker_code,
       coalesce(pu.name, pm.name, vt.name) AS taker_name,
       coalesce(o.unit_id, o.member_id, o.team_id) AS taker_pk,
       (SELECT i.code FROM incident i WHERE i.id = n.incident_id) AS incident_code,
       (SELECT k.code FROM council k WHERE k.need_id = n.id ORDER BY k.id DESC LIMIT 1)
           AS council_code
FROM need n
JOIN community c ON c.id = n.community_id
LEFT JOIN grid g ON g.id = n.grid_id
LEFT JOIN building b ON b.id = n.building_id
LEFT JOIN building_entrance e ON e.id = n.entrance_id
LEFT JOIN LATERAL (
    SELECT * FROM need_order o WHERE o.need_id = n.id AND o.state <> 'declined'
    ORDER BY o.id DESC LIMIT 1
) o ON true
LEFT JOIN paired_unit pu ON pu.id = o.unit_id
LEFT JOIN party_member pm ON pm.id = o.member_id
LEFT JOIN volunteer_team vt ON vt.id = o.team_id
"""


def _view(row: Any, access: Access, mine: tuple[str, int] | None, today: dt.date) -> NeedView:
    accepted_by_me = (
        mine is not None
        and (row.taker_kind, row.taker_pk) == mine
        and row.order_state in ("accepted", "done")
    )
    full = accepted_by_me or (mine is None and access.personal_data)
    name, phone = shown(row.requester_name, row.requester_phone, full)
    member_taker = row.taker_kind == "member" and not (access.personal_data or mine)
    return NeedView(
        code=row.code, kind=row.kind, kind_label=label(NEED_KINDS, row.kind), title=row.title,
        description=row.description, status=row.status,
        status_label=label(NEED_STATUSES, row.status), source=row.source,
        community_code=row.community_code, community_name=row.community_name,
        grid_code=row.grid_code, building_code=row.building_code, entrance=row.entrance,
        lon=round(row.lon, 7), lat=round(row.lat, 7), requester_name=name, requester_phone=phone,
        masked=not full, hours=row.hours, due_on=row.due_on,
        overdue=row.status in ("open", "dispatched", "accepted") and row.due_on < today,
        created_at=row.created_at,
        taker=f"{row.taker_kind}:{row.taker_code}" if row.taker_kind else None,
        taker_name=shown(row.taker_name, "", False)[0] if member_taker else row.taker_name,
        order_state=row.order_state, incident_code=row.incident_code,
        council_code=row.council_code,
    )  # fmt: skip


def get_need(conn: Connection, code: str, *, access: Access, now: dt.datetime) -> NeedView:
    """One need (404 unknown; 403 if the caller may not read it)."""
    visible, mine = visible_sql(conn, access=access)
    row = conn.execute(text(f"{_SELECT} WHERE n.code = :code"), {"code": code}).first()
    if row is None:
        raise NotFound(f"没有需求 {code!r} (no need {code!r})", need=code)
    allowed = conn.execute(
        text(f"SELECT ({visible.sql}) FROM need n JOIN community c ON c.id = n.community_id "
             "WHERE n.id = :id"),
        {"id": row.id} | visible.params,
    ).scalar_one()  # fmt: skip
    if not allowed:
        raise Forbidden(
            f"需求 {code} 不在您的权限范围内 (need {code} is outside your scope)", need=code
        )
    return _view(row, access, mine, now.astimezone(CHINA).date())


def list_needs(
    conn: Connection,
    *,
    access: Access,
    now: dt.datetime,
    status: str | None = None,
    community: str | None = None,
    limit: int = 500,
) -> list[NeedView]:
    """The needs the caller may read, newest first (at most ``limit``; a status or a
    community prefix narrows them)."""
    if not 1 <= limit <= MAX_LIST:
        raise Invalid(f"条数须为 1 至 {MAX_LIST} (limit is 1 to {MAX_LIST})", limit=limit)
    if status is not None and status not in NEED_STATUSES:
        raise Invalid(f"未知的状态 {status!r} (unknown status {status!r})", need_status=status)
    visible, mine = visible_sql(conn, access=access)
    where = [visible.sql]
    params: dict[str, Any] = dict(visible.params)
    if status is not None:
        where.append("n.status = :status")
        params["status"] = status
    if community is not None:
        where.append("starts_with(c.code, :community)")
        params["community"] = community
    rows = conn.execute(
        text(f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY n.created_at DESC, n.id DESC "
             "LIMIT :limit"),
        params | {"limit": limit},
    )  # fmt: skip
    today = now.astimezone(CHINA).date()
    return [_view(row, access, mine, today) for row in rows]
