"""Check-ins (打卡: a tap recording place and time) and absences (报备外出: 外出, 培训, 请假).

A check-in is at a building of the worker's own grid (its point on the surface is recorded)
or at a point the phone gives (a key place, 重点场所); the time is the server's. An absence is
a reported period away from the grid with its reason, shown beside the figures so that a low
time-in-grid can be read against it.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis.access import Access
from gis.audit import record
from gis.errors import Invalid, NotFound
from gis.infra.models.patrols import ABSENCE_KINDS, CHECK_IN_KINDS
from gis.patrols.common import CLOCK_SLACK, own_worker

CHECK_IN_NAMES = {"visit": "走访", "inspection": "检查", "key_place": "重点场所"}
ABSENCE_NAMES = {"outing": "外出", "training": "培训", "leave": "请假"}
MAX_ABSENCE = dt.timedelta(days=31)


@dataclass(frozen=True)
class CheckInInfo:
    id: int
    kind: str
    at: dt.datetime
    building: str | None
    building_name: str | None
    lon: float
    lat: float
    in_grid: bool


@dataclass(frozen=True)
class AbsenceInfo:
    id: int
    kind: str
    reason: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    reported_at: dt.datetime


def _kind(kind: str, allowed: tuple[str, ...], names: dict[str, str]) -> None:
    if kind not in allowed:
        listed = "、".join(f"{k}（{names[k]}）" for k in allowed)
        raise Invalid(f"kind 应为 {listed}，而不是 {kind!r} (unknown kind)", field="kind")


def check_in(
    conn: Connection,
    *,
    access: Access,
    now: dt.datetime,
    kind: str = "visit",
    building: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    note: str = "",
) -> CheckInInfo:
    """Record a check-in at a building of one's grid, or at a point (exactly one of them)."""
    _kind(kind, CHECK_IN_KINDS, CHECK_IN_NAMES)
    worker = own_worker(conn, access=access)
    if (building is None) == (lon is None or lat is None):
        raise Invalid(
            "请选择楼栋，或给出位置（lon、lat），二者选一 (give a building or a position, one)",
            field="building",
        )
    if building is not None:
        found = conn.execute(
            text(
                "SELECT b.id, ST_PointOnSurface(b.geom) AS p FROM building b "
                "JOIN grid_unit gu ON gu.unit_id = b.base_unit_id "
                "WHERE b.code = :code AND gu.grid_id = :grid"
            ),
            {"code": building, "grid": worker.grid_id},
        ).first()
        if found is None:
            raise NotFound(
                f"您的网格中没有楼栋 {building} (no building {building} in your grid)",
                building=building,
            )
        building_id, where = found.id, "CAST(:p AS geometry)"
        params: dict[str, object] = {"p": found.p}
    else:
        assert lon is not None and lat is not None
        if not (math.isfinite(lon) and -180 <= lon <= 180 and math.isfinite(lat)):
            raise Invalid(f"lon 经度无效：{lon} (longitude out of range)", field="lon")
        if not -90 <= lat <= 90:
            raise Invalid(f"lat 纬度无效：{lat} (latitude out of range)", field="lat")
        building_id, where = None, "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
        params = {"lon": lon, "lat": lat}
    row = conn.execute(
        text(
            "WITH ins AS (INSERT INTO check_in (user_id, grid_id, building_id, kind, at, note, "
            f"geom) VALUES (:u, :g, :b, :kind, :now, :note, {where}) RETURNING *) "
            "SELECT ins.id, ins.kind, ins.at, b.code, b.name, ST_X(ins.geom) AS lon, "
            "ST_Y(ins.geom) AS lat, coalesce(ST_Covers(g.geom, ins.geom), false) AS in_grid "
            "FROM ins LEFT JOIN building b ON b.id = ins.building_id "
            "LEFT JOIN grid g ON g.id = ins.grid_id"
        ),
        params
        | {"u": worker.id, "g": worker.grid_id, "b": building_id, "kind": kind}
        | {"now": now, "note": note.strip()[:500]},
    ).one()
    record(conn, access.actor, "check_in.create", "check_in", row.id, after={"kind": kind})
    return CheckInInfo(row.id, row.kind, row.at, row.code, row.name, row.lon, row.lat, row.in_grid)


def report_absence(
    conn: Connection,
    *,
    access: Access,
    now: dt.datetime,
    kind: str,
    reason: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
) -> AbsenceInfo:
    """Report a period away from the grid (at most 31 days), with its reason."""
    _kind(kind, ABSENCE_KINDS, ABSENCE_NAMES)
    worker = own_worker(conn, access=access)
    reason = reason.strip()
    if not reason:
        raise Invalid("请填写事由 (give a reason)", field="reason")
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise Invalid("时间须带时区 (times need their offset)", field="starts_at")
    if ends_at <= starts_at:
        raise Invalid("结束时间须晚于开始时间 (the end must come after the start)", field="ends_at")
    if ends_at - starts_at > MAX_ABSENCE:
        raise Invalid("一次报备最长 31 天 (one report covers at most 31 days)", field="ends_at")
    if starts_at > now + MAX_ABSENCE + CLOCK_SLACK:
        raise Invalid("只能报备一个月内的外出 (report up to a month ahead)", field="starts_at")
    row = conn.execute(
        text(
            "INSERT INTO absence (user_id, kind, reason, starts_at, ends_at, reported_at) "
            "VALUES (:u, :kind, :reason, :s, :e, :now) "
            "RETURNING id, kind, reason, starts_at, ends_at, reported_at"
        ),
        {"u": worker.id, "kind": kind, "reason": reason[:500], "s": starts_at, "e": ends_at}
        | {"now": now},
    ).one()
    record(conn, access.actor, "absence.create", "absence", row.id, after={"kind": kind})
    return AbsenceInfo(*row)


def my_absences(conn: Connection, *, access: Access, limit: int = 50) -> list[AbsenceInfo]:
    """The caller's latest reported absences, newest first."""
    worker = own_worker(conn, access=access)
    rows = conn.execute(
        text(
            "SELECT id, kind, reason, starts_at, ends_at, reported_at FROM absence "
            "WHERE user_id = :u ORDER BY starts_at DESC LIMIT :limit"
        ),
        {"u": worker.id, "limit": limit},
    ).all()
    return [AbsenceInfo(*r) for r in rows]
