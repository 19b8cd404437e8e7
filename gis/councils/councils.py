"""Council topics (议事协商): raised from a need, from an incident the 吹哨报到 loop cannot
close (see :mod:`gis.councils.escalation`), or in the community; the five parties invited by
role; read back with their steps, decision and who does what.

A council lies where its topic is: the need's point, the incident's, the venue's, a point given,
or else inside its community. Its community and unified grid decide who sees it (the scope, as for
needs) and who runs it (``hold_councils``: the community's party committee, 社区党组织).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission
from gis.audit import record
from gis.chinatime import CHINA
from gis.councils.common import (
    NEXT_STEP,
    PARTIES,
    check_party,
    community_row,
    council_scope_sql,
    locate,
    require_reach,
)
from gis.errors import Forbidden, Invalid, NotFound
from gis.labels import (
    COUNCIL_ORIGINS,
    COUNCIL_PARTIES,
    COUNCIL_STATUSES,
    COUNCIL_STEPS,
    label,
)
from gis.needs.common import need_scope_sql, shown

MAX_LIST = 2000
#: Parties who are people, not organisations: their names are masked like a resident's.
PERSONS = ("residents",)


@dataclass(frozen=True)
class CouncilIn:
    """A topic raised in a community (``community``) or from a need (``need``); optionally at a
    venue or a point; ``parties`` names the invited parties by role (the rest get defaults)."""

    title: str
    description: str = ""
    community: str | None = None
    need: str | None = None
    venue: str | None = None
    lon: float | None = None
    lat: float | None = None
    parties: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.title.strip() or len(self.title) > 128:
            raise Invalid("议题须为 1 至 128 个字 (a topic of 1 to 128 characters)")
        if (self.community is None) == (self.need is None):
            raise Invalid(
                "议题须来自一个社区或一条需求，二者选一 (a topic comes from a community or "
                "from a need, one of them)"
            )
        if (self.lon is None) != (self.lat is None):
            raise Invalid("经纬度须同时填写 (lon and lat go together)")
        for role, name in self.parties.items():
            check_party(role)
            if not name.strip() or len(name) > 128:
                raise Invalid(f"议事方 {role} 的名称须为 1 至 128 个字 (a party's name)")


@dataclass(frozen=True)
class PartyView:
    role: str
    role_label: str
    name: str
    attended: bool | None


@dataclass(frozen=True)
class StepView:
    step: str
    step_label: str
    held_on: dt.date
    minutes: str
    actor: str


@dataclass(frozen=True)
class AssignmentView:
    role: str
    role_label: str
    task: str
    due_on: dt.date
    done: bool


@dataclass(frozen=True)
class CouncilItem:
    """A council in a list or on the map."""

    code: str
    title: str
    origin: str
    origin_label: str
    status: str
    status_label: str
    next_step: str | None
    next_step_label: str | None
    community_code: str
    community_name: str
    grid_code: str | None
    venue_code: str | None
    venue_name: str | None
    need_code: str | None
    incident_code: str | None
    lon: float
    lat: float
    raised_at: dt.datetime
    held_on: dt.date | None
    settled_on: dt.date | None
    rating: int | None


@dataclass(frozen=True)
class CouncilView(CouncilItem):
    """One council in full: the topic, who was invited, the steps, the decision, who does what."""

    description: str = ""
    decision: str = ""
    parties: list[PartyView] = field(default_factory=list)
    steps: list[StepView] = field(default_factory=list)
    assignments: list[AssignmentView] = field(default_factory=list)


def _origin(conn: Connection, topic: CouncilIn, access: Access) -> tuple[Any, int | None]:
    """The community row and point the topic starts from, and the need's id if any."""
    if topic.need is None:
        assert topic.community is not None  # CouncilIn checks one of them is given
        return community_row(conn, topic.community), None
    scope = need_scope_sql(access.scope)
    need = conn.execute(
        text(
            "SELECT n.id, n.community_id, c.code, ST_X(n.geom) AS lon, ST_Y(n.geom) AS lat, "
            f"({scope.sql}) AS inside FROM need n JOIN community c ON c.id = n.community_id "
            "WHERE n.code = :code"
        ),
        {"code": topic.need} | scope.params,
    ).first()
    if need is None:
        raise NotFound(f"没有需求 {topic.need!r} (no need {topic.need!r})", need=topic.need)
    if not need.inside:
        raise Forbidden(f"需求 {topic.need} 不在您的权限范围内 (need outside your scope)")
    return need, need.id


def _venue(conn: Connection, code: str | None, community_id: int) -> Any:
    if code is None:
        return None
    venue = conn.execute(
        text(
            "SELECT v.id, v.community_id, c.code AS community_code, ST_X(v.geom) AS lon, "
            "ST_Y(v.geom) AS lat FROM council_venue v JOIN community c ON c.id = v.community_id "
            "WHERE v.code = :code"
        ),
        {"code": code},
    ).first()
    if venue is None:
        raise NotFound(f"没有议事场所 {code!r} (no venue {code!r})", venue=code)
    if venue.community_id != community_id:
        raise Invalid(
            f"议事场所 {code} 属于社区 {venue.community_code}，不在本议题的社区 (venue {code} "
            f"belongs to community {venue.community_code}, not to the topic's)",
            venue=code,
        )
    return venue


def _default_parties(conn: Connection, community_id: int, name: str, on: dt.date) -> list[Any]:
    unit = conn.execute(
        text(
            "SELECT p.id, p.name FROM unit_pairing up JOIN paired_unit p ON p.id = up.unit_id "
            "WHERE up.community_id = :c AND up.starts_on <= :on "
            "AND (up.ends_on IS NULL OR up.ends_on >= :on) ORDER BY p.code LIMIT 1"
        ),
        {"c": community_id, "on": on},
    ).first()
    return [
        ("party_committee", f"{name}党组织", None),
        ("owners_committee", f"{name}业主委员会", None),
        ("property", f"{name}物业服务企业", None),
        ("residents", f"{name}居民代表", None),
        ("paired_unit", unit.name if unit else "（尚无结对单位）", unit.id if unit else None),
    ]


def raise_council(
    conn: Connection,
    topic: CouncilIn,
    *,
    access: Access,
    now: dt.datetime,
    incident_id: int | None = None,
    at: tuple[float, float] | None = None,
) -> CouncilView:
    """Raise a topic and invite the five parties (五方议事厅); the first step is 了解诉求.

    ``incident_id`` and ``at`` are for :func:`gis.councils.escalation.escalate_incident`: a topic
    from an incident, lying at its point."""
    access.require(Permission.HOLD_COUNCILS)
    start, need_id = _origin(conn, topic, access)
    venue = _venue(conn, topic.venue, start.community_id)
    if at is not None:
        lon, lat = at
    elif need_id is not None:
        lon, lat = start.lon, start.lat
    elif topic.lon is not None and topic.lat is not None:
        lon, lat = topic.lon, topic.lat
    elif venue is not None:
        lon, lat = venue.lon, venue.lat
    else:
        lon, lat = start.lon, start.lat
    spot = locate(conn, lon, lat)
    if (
        spot.community_id is None
        or spot.community_code is None
        or spot.community_id != start.community_id
    ):
        raise Invalid(
            f"位置 {lon}, {lat} 不在社区 {start.code} 内 (the point lies outside community "
            f"{start.code})",
            community=start.code,
        )
    grid_code = conn.execute(
        text("SELECT code FROM grid WHERE id = :g"), {"g": spot.grid_id}
    ).scalar()
    require_reach(access.scope, spot.community_code, grid_code, "该议题")
    origin = "incident" if incident_id else "need" if need_id else "community"
    new_id = conn.execute(
        text("SELECT nextval(pg_get_serial_sequence('council', 'id'))")
    ).scalar_one()
    code = f"YS{now.astimezone(CHINA):%Y%m%d}{new_id:06d}"
    conn.execute(
        text(
            "INSERT INTO council (id, code, title, description, origin, status, community_id, "
            "grid_id, venue_id, need_id, incident_id, raised_by, raised_at, updated_at, geom) "
            "VALUES (:id, :code, :title, :description, :origin, 'raised', :community, :grid, "
            ":venue, :need, :incident, :by, :now, :now, "
            "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"
        ),
        {"id": new_id, "code": code, "title": topic.title.strip(),
         "description": topic.description.strip(), "origin": origin,
         "community": spot.community_id, "grid": spot.grid_id,
         "venue": venue.id if venue else None, "need": need_id, "incident": incident_id,
         "by": access.name[:80], "now": now, "lon": lon, "lat": lat},
    )  # fmt: skip
    name = conn.execute(
        text("SELECT name FROM community WHERE id = :c"), {"c": spot.community_id}
    ).scalar_one()
    today = now.astimezone(CHINA).date()
    for role, default, unit_id in _default_parties(conn, spot.community_id, name, today):
        conn.execute(
            text(
                "INSERT INTO council_party (council_id, role, name, unit_id) "
                "VALUES (:k, :role, :name, :unit)"
            ),
            {"k": new_id, "role": role, "name": topic.parties.get(role, default).strip(),
             "unit": unit_id},
        )  # fmt: skip
    record(conn, access.actor, "councils.raise", "council", code,
           after={"origin": origin, "title": topic.title.strip()})  # fmt: skip
    return get_council(conn, code, access=access)


_SELECT = """
SELECT k.id, k.code, k.title, k.origin, k.status, c.code AS community_code,
       c.name AS community_name, g.code AS grid_code, v.code AS venue_code, v.name AS venue_name,
       n.code AS need_code, i.code AS incident_code, ST_X(k.geom) AS lon, ST_Y(k.geom) AS lat,
       k.raised_at, k.held_on, k.settled_on, k.rating, k.description, k.decision
FROM council k
JOIN community c ON c.id = k.community_id
LEFT JOIN grid g ON g.id = k.grid_id
LEFT JOIN council_venue v ON v.id = k.venue_id
LEFT JOIN need n ON n.id = k.need_id
LEFT JOIN incident i ON i.id = k.incident_id
"""


def _item(r: Any) -> dict[str, Any]:
    nxt = NEXT_STEP[r.status]
    return dict(  # noqa: C408  # keyword form: the fields read as the dataclass's
        code=r.code, title=r.title, origin=r.origin, origin_label=label(COUNCIL_ORIGINS, r.origin),
        status=r.status, status_label=label(COUNCIL_STATUSES, r.status), next_step=nxt,
        next_step_label=label(COUNCIL_STEPS, nxt) or None, community_code=r.community_code,
        community_name=r.community_name, grid_code=r.grid_code, venue_code=r.venue_code,
        venue_name=r.venue_name, need_code=r.need_code, incident_code=r.incident_code,
        lon=round(r.lon, 7), lat=round(r.lat, 7), raised_at=r.raised_at, held_on=r.held_on,
        settled_on=r.settled_on, rating=r.rating,
    )  # fmt: skip


def get_council(conn: Connection, code: str, *, access: Access) -> CouncilView:
    """One council in full (404 unknown; 403 outside the caller's scope)."""
    access.require(Permission.VIEW_MAP)
    seen = council_scope_sql(access.scope)
    row = conn.execute(
        text(f"SELECT q.*, ({seen.sql}) AS inside FROM ({_SELECT}) q "
             "JOIN council k ON k.id = q.id JOIN community c ON c.id = k.community_id "
             "WHERE q.code = :code"),
        {"code": code} | seen.params,
    ).first()  # fmt: skip
    if row is None:
        raise NotFound(f"没有议题 {code!r} (no council {code!r})", council=code)
    if not row.inside:
        raise Forbidden(f"议题 {code} 不在您的权限范围内 (council {code} is outside your scope)")
    ids = {"k": row.id}
    parties = conn.execute(
        text("SELECT role, name, attended FROM council_party WHERE council_id = :k"), ids
    ).all()
    steps = conn.execute(
        text("SELECT step, held_on, minutes, actor FROM council_step WHERE council_id = :k "
             "ORDER BY held_on, id"), ids,
    ).all()  # fmt: skip
    tasks = conn.execute(
        text("SELECT role, task, due_on, done FROM council_assignment WHERE council_id = :k "
             "ORDER BY id"), ids,
    ).all()  # fmt: skip
    order = {role: i for i, role in enumerate(PARTIES)}
    return CouncilView(
        **_item(row),
        description=row.description,
        decision=row.decision,
        parties=[
            PartyView(
                p.role,
                label(COUNCIL_PARTIES, p.role),
                shown(p.name, "", access.personal_data or p.role not in PERSONS)[0],
                p.attended,
            )
            for p in sorted(parties, key=lambda p: order[p.role])
        ],  # fmt: skip
        steps=[
            StepView(s.step, label(COUNCIL_STEPS, s.step), s.held_on, s.minutes, s.actor)
            for s in steps
        ],  # fmt: skip
        assignments=[
            AssignmentView(a.role, label(COUNCIL_PARTIES, a.role), a.task, a.due_on, a.done)
            for a in tasks
        ],  # fmt: skip
    )


def list_councils(
    conn: Connection,
    *,
    access: Access,
    status: str | None = None,
    community: str | None = None,
    limit: int = 500,
) -> list[CouncilItem]:
    """The councils the caller's scope reaches, newest first (a status or a community prefix
    narrows them; at most ``limit``)."""
    access.require(Permission.VIEW_MAP)
    if not 1 <= limit <= MAX_LIST:
        raise Invalid(f"条数须为 1 至 {MAX_LIST} (limit is 1 to {MAX_LIST})", limit=limit)
    if status is not None and status not in COUNCIL_STATUSES:
        raise Invalid(f"未知的状态 {status!r} (unknown status {status!r})", council_status=status)
    seen = council_scope_sql(access.scope)
    where, params = [seen.sql], dict(seen.params)
    if status is not None:
        where.append("k.status = :status")
        params["status"] = status
    if community is not None:
        where.append("starts_with(c.code, :community)")
        params["community"] = community
    rows = conn.execute(
        text(f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY k.raised_at DESC, k.id DESC "
             "LIMIT :limit"),
        params | {"limit": limit},
    )  # fmt: skip
    return [CouncilItem(**_item(r)) for r in rows]
