"""Escalation, linked both ways: an incident the 吹哨报到 loop cannot close becomes a need
(``need.incident_id``) or a council topic (``council.incident_id``), and the incident's detail
names what it became (see :func:`gis.incidents.queries.get_incident`, ``escalated_to``).

An incident **cannot close** when it is still open and one of: it was escalated to the street
(not satisfied three times), a department sent it back (退回), the resident was not satisfied
(sent back to handling), or it is past its deadline. Anything else is still moving in its loop
and is refused (409), as is an incident escalated before (409 naming the need or topic) or one
merged into another (409 naming the primary). The incident keeps its own state: the need or the
council settles what the departments could not, and the command centre closes the incident.
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
from gis.councils.councils import CouncilIn, CouncilView, raise_council
from gis.errors import Conflict, Forbidden, Invalid, NotFound
from gis.incidents.access import visible_sql
from gis.incidents.merging import refuse_if_merged
from gis.needs.needs import NeedIn, NeedView, create_need, get_need

#: SQL (incident ``i``, bound ``:now``): an open incident its loop cannot close.
STUCK_SQL = (
    "i.state <> 'evaluated' AND (i.escalated_at IS NOT NULL OR i.rejections > 0 "
    "OR i.send_backs > 0 OR (i.state IN ('dispatched', 'signed') AND i.due_at < :now))"
)


@dataclass(frozen=True)
class Link:
    """What an incident became: ``kind`` need or council, and its code."""

    kind: str
    code: str


def links_of_incident(conn: Connection, incident_id: int) -> list[Link]:
    """The need and council topic an incident was escalated to (at most one of each kind)."""
    rows = conn.execute(
        text(
            "SELECT 'need' AS kind, code FROM need WHERE incident_id = :i UNION ALL "
            "SELECT 'council', code FROM council WHERE incident_id = :i ORDER BY 1, 2"
        ),
        {"i": incident_id},
    )
    return [Link(r.kind, r.code) for r in rows]


def _stuck(conn: Connection, code: str, *, access: Access, now: dt.datetime) -> Any:
    seen = visible_sql(access=access)
    row = conn.execute(
        text(
            f"SELECT i.id, i.code, i.state, i.category, i.description, i.reporter_name, "
            f"i.reporter_phone, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, c.code AS community, "
            f"({seen.sql}) AS inside, ({STUCK_SQL}) AS stuck FROM incident i "
            "LEFT JOIN community c ON c.id = i.community_id WHERE i.code = :code FOR UPDATE OF i"
        ),
        {"code": code, "now": now} | seen.params,
    ).first()
    if row is None:
        raise NotFound(f"没有编号为 {code!r} 的事件 (no incident {code!r})", incident=code)
    if not row.inside:
        raise Forbidden(f"事件 {code} 不在您的权限范围内 (incident {code} is outside your scope)")
    refuse_if_merged(conn, row.id, code)
    before = links_of_incident(conn, row.id)
    if before:
        raise Conflict(
            f"事件 {code} 已升级为{'需求' if before[0].kind == 'need' else '议题'} "
            f"{before[0].code} (incident {code} was escalated to {before[0].kind} "
            f"{before[0].code} already)",
            incident=code,
            linked=before[0].code,
        )
    if not row.stuck:
        raise Conflict(
            f"事件 {code} 仍在吹哨报到流程中正常流转（未退回、未逾期、未升级），"
            "不能转为需求或议题 ("
            f"incident {code} is still moving in its loop: only one it cannot close is escalated)",
            incident=code,
            state=row.state,
        )
    if row.community is None:
        raise Invalid(f"事件 {code} 不在任何社区内 (incident {code} lies in no community)")
    return row


def escalate_to_need(
    conn: Connection,
    code: str,
    *,
    kind: str,
    due_on: dt.date,
    access: Access,
    now: dt.datetime,
    hours: float = 2.0,
    title: str | None = None,
    requester_name: str | None = None,
    requester_phone: str | None = None,
) -> NeedView:
    """The incident becomes a need at its point (source ``incident``), for the resident who
    reported it unless another requester is named."""
    access.require(Permission.DISPATCH_NEEDS)
    row = _stuck(conn, code, access=access, now=now)
    name = requester_name or row.reporter_name
    phone = requester_phone or row.reporter_phone
    if not name or not phone:
        raise Invalid(
            f"事件 {code} 没有上报人姓名或电话：请填写求助人 (the incident names no reporter: "
            "give the requester's name and phone)",
            incident=code,
        )
    need = create_need(
        conn,
        NeedIn(kind=kind, title=title or f"事件 {code} 转需求：{row.description[:60]}".strip(),
               requester_name=name, requester_phone=phone, due_on=due_on, hours=hours,
               description=row.description, lon=row.lon, lat=row.lat, source="incident"),
        access=access,
        now=now,
    )  # fmt: skip
    conn.execute(
        text("UPDATE need SET incident_id = :i WHERE code = :n"), {"i": row.id, "n": need.code}
    )
    record(conn, access.actor, "incident.to_need", "incident", code, after={"need": need.code})
    return get_need(conn, need.code, access=access, now=now)


def escalate_to_council(
    conn: Connection,
    code: str,
    *,
    access: Access,
    now: dt.datetime,
    title: str | None = None,
    venue: str | None = None,
) -> CouncilView:
    """The incident becomes a council topic (议事协商) in its community, at its point."""
    access.require(Permission.HOLD_COUNCILS)
    row = _stuck(conn, code, access=access, now=now)
    day = now.astimezone(CHINA).date()
    topic = CouncilIn(
        title=title or f"事件 {code} 提请议事（{day:%m月%d日}）",
        description=row.description,
        community=row.community,
        venue=venue,
    )
    council = raise_council(
        conn, topic, access=access, now=now, incident_id=row.id, at=(row.lon, row.lat)
    )
    record(conn, access.actor, "incident.to_council", "incident", code,
           after={"council": council.code})  # fmt: skip
    return council
