"""The resources list (资源清单): paired units and their pairings (结对共建), members registered
with the community where they live (双报到), volunteer teams, and the log-ins that act for them.

Each write checks the caller's permission and scope and runs in a savepoint, so a refusal changes
nothing. The database enforces the rules that must hold whatever writes (migration 0016): one
community per member at a time, one pairing per unit and community at a time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from gis.access import Access
from gis.accounts import Permission
from gis.audit import record
from gis.chinatime import china_today
from gis.errors import Conflict, Forbidden, Invalid, NotFound
from gis.needs.common import TAKER_TABLES, TakerRef, check_skills


@dataclass(frozen=True)
class Place:
    """A resource's location: WGS84 longitude and latitude."""

    lon: float
    lat: float

    def __post_init__(self) -> None:
        if not (-180 <= self.lon <= 180 and -90 <= self.lat <= 90):
            raise Invalid(
                f"经纬度超出范围：{self.lon}, {self.lat} (lon/lat out of range)",
                lon=self.lon,
                lat=self.lat,
            )


@dataclass(frozen=True)
class Offer:
    """What a taker offers: skills (need kinds) and hours per month."""

    skills: list[str] = field(default_factory=list)
    hours_per_month: float = 8.0

    def __post_init__(self) -> None:
        check_skills(self.skills)
        if not 0 <= self.hours_per_month <= 744:
            raise Invalid(
                f"每月时长须为 0 至 744 小时，而不是 {self.hours_per_month} ("
                f"hours per month are 0 to 744, not {self.hours_per_month})",
                hours_per_month=self.hours_per_month,
            )


@dataclass(frozen=True)
class Registration:
    """A member's registration (双报到) as stored."""

    member_code: str
    community_code: str
    skills: list[str]
    hours_per_month: float
    starts_on: dt.date
    ends_on: dt.date | None


def community_id(conn: Connection, code: str, *, access: Access) -> int:
    """The id of a community inside the caller's scope (404 unknown, 403 outside)."""
    row = conn.execute(text("SELECT id FROM community WHERE code = :c"), {"c": code}).first()
    if row is None:
        raise NotFound(f"没有社区 {code!r} (no community {code!r})", community=code)
    if not access.scope.reaches(code):
        raise Forbidden(
            f"社区 {code} 不在您的权限范围（{access.scope}）内 ("
            f"community {code} is outside your scope ({access.scope}))",
            community=code,
        )
    return int(row.id)


def _point(place: Place) -> dict[str, float]:
    return {"lon": place.lon, "lat": place.lat}


def add_paired_unit(
    conn: Connection,
    code: str,
    name: str,
    place: Place,
    offer: Offer,
    *,
    access: Access,
    description: str = "",
) -> int:
    """Record a unit that can be paired with communities (结对单位); returns its id."""
    access.require(Permission.DISPATCH_NEEDS)
    try:
        with conn.begin_nested():
            new = conn.execute(
                text(
                    "INSERT INTO paired_unit (code, name, offer, skills, hours_per_month, geom) "
                    "VALUES (:code, :name, :offer, :skills, :hours, "
                    "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) RETURNING id"
                ),
                {
                    "code": code,
                    "name": name,
                    "offer": description,
                    "skills": offer.skills,
                    "hours": offer.hours_per_month,
                }
                | _point(place),
            ).scalar_one()
    except IntegrityError:
        raise Conflict(f"结对单位 {code} 已存在 (paired unit {code} exists)", unit=code) from None
    record(conn, access.actor, "needs.unit_add", "paired_unit", code, after={"name": name})
    return int(new)


def pair_unit(
    conn: Connection,
    unit: str,
    community: str,
    *,
    access: Access,
    starts_on: dt.date | None = None,
) -> None:
    """Pair a unit with a community from ``starts_on`` (结对共建); 409 if already paired then."""
    access.require(Permission.DISPATCH_NEEDS)
    community_pk = community_id(conn, community, access=access)
    unit_pk = _id(conn, TakerRef("unit", unit))
    try:
        with conn.begin_nested():
            conn.execute(
                text(
                    "INSERT INTO unit_pairing (unit_id, community_id, starts_on) "
                    "VALUES (:u, :c, :on)"
                ),
                {"u": unit_pk, "c": community_pk, "on": starts_on or china_today()},
            )
    except IntegrityError:
        raise Conflict(
            f"结对单位 {unit} 已与社区 {community} 结对 (unit {unit} is already paired with "
            f"community {community})",
            unit=unit,
            community=community,
        ) from None
    record(conn, access.actor, "needs.pair", "paired_unit", unit, after={"community": community})


def register_member(
    conn: Connection,
    member: str,
    community: str,
    offer: Offer,
    *,
    access: Access,
    starts_on: dt.date | None = None,
) -> Registration:
    """Register a party member with their home community (双报到).

    A member is registered with one community at a time: a second registration overlapping the
    first is refused (409, naming the community they are registered with), nothing changed.
    """
    access.require(Permission.DISPATCH_NEEDS)
    community_pk = community_id(conn, community, access=access)
    member_pk = _id(conn, TakerRef("member", member))
    on = starts_on or china_today()
    current = conn.execute(
        text(
            "SELECT c.code FROM member_registration r JOIN community c ON c.id = r.community_id "
            "WHERE r.member_id = :m AND (r.ends_on IS NULL OR r.ends_on >= :on)"
        ),
        {"m": member_pk, "on": on},
    ).first()
    if current is not None:
        raise _registered(member, current.code)
    try:
        with conn.begin_nested():
            conn.execute(
                text(
                    "INSERT INTO member_registration (member_id, community_id, skills, "
                    "hours_per_month, starts_on) VALUES (:m, :c, :skills, :hours, :on)"
                ),
                {
                    "m": member_pk,
                    "c": community_pk,
                    "skills": offer.skills,
                    "hours": offer.hours_per_month,
                    "on": on,
                },
            )
    except IntegrityError:  # a writer in between: the exclusion constraint holds
        raise _registered(member, "another community") from None
    record(
        conn, access.actor, "needs.register", "party_member", member, after={"community": community}
    )
    return Registration(member, community, offer.skills, offer.hours_per_month, on, None)


def _registered(member: str, where: str) -> Conflict:
    return Conflict(
        f"党员 {member} 已在社区 {where} 报到，须先结束该报到 (member {member} is already "
        f"registered with community {where}: end that registration first)",
        member=member,
        registered_with=where,
    )


def end_registration(
    conn: Connection, member: str, *, access: Access, ends_on: dt.date | None = None
) -> None:
    """End a member's current registration on ``ends_on`` (today, China time, by default)."""
    access.require(Permission.DISPATCH_NEEDS)
    on = ends_on or china_today()
    row = conn.execute(
        text(
            "SELECT r.id, c.code FROM member_registration r "
            "JOIN party_member m ON m.id = r.member_id JOIN community c ON c.id = r.community_id "
            "WHERE m.code = :code AND (r.ends_on IS NULL OR r.ends_on >= :on) "
            "AND r.starts_on <= :on"
        ),
        {"code": member, "on": on},
    ).first()
    if row is None:
        raise NotFound(f"党员 {member} 没有有效的报到 (member {member} is not registered)")
    community_id(conn, row.code, access=access)
    conn.execute(
        text("UPDATE member_registration SET ends_on = :on WHERE id = :id"),
        {"on": on, "id": row.id},
    )
    record(
        conn,
        access.actor,
        "needs.unregister",
        "party_member",
        member,
        after={"community": row.code, "ends_on": on},
    )


def add_team(
    conn: Connection,
    code: str,
    name: str,
    community: str,
    place: Place,
    offer: Offer,
    *,
    access: Access,
    volunteers: int = 0,
) -> int:
    """Record a volunteer team of a community; returns its id."""
    access.require(Permission.DISPATCH_NEEDS)
    community_pk = community_id(conn, community, access=access)
    try:
        with conn.begin_nested():
            new = conn.execute(
                text(
                    "INSERT INTO volunteer_team (code, name, community_id, skills, "
                    "hours_per_month, volunteers, geom) VALUES (:code, :name, :c, :skills, "
                    ":hours, :volunteers, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) RETURNING id"
                ),
                {
                    "code": code,
                    "name": name,
                    "c": community_pk,
                    "skills": offer.skills,
                    "hours": offer.hours_per_month,
                    "volunteers": volunteers,
                }
                | _point(place),
            ).scalar_one()
    except IntegrityError:
        raise Conflict(f"志愿服务队 {code} 已存在 (team {code} exists)", team=code) from None
    record(conn, access.actor, "needs.team_add", "volunteer_team", code, after={"name": name})
    return int(new)


def link_taker(conn: Connection, username: str, taker: TakerRef, *, access: Access) -> None:
    """Let a user of role ``taker`` act for a unit, a member or a team (administrators)."""
    access.require(Permission.MANAGE_USERS)
    user = conn.execute(
        text("SELECT id, role FROM app_user WHERE username = :u"), {"u": username}
    ).first()
    if user is None:
        raise NotFound(f"没有用户 {username!r} (no user {username!r})")
    if user.role != "taker":
        raise Invalid(
            f"只有接单方角色可以代表接单方，{username} 的角色是 {user.role} ("
            f"only a user of role taker acts for a taker; {username} is {user.role})"
        )
    pk = _id(conn, taker)
    columns: dict[str, Any] = {"unit_id": None, "member_id": None, "team_id": None}
    columns[f"{taker.kind}_id"] = pk
    conn.execute(
        text(
            "INSERT INTO taker_account (user_id, taker_kind, unit_id, member_id, team_id) "
            "VALUES (:user, :kind, :unit_id, :member_id, :team_id) ON CONFLICT (user_id) DO UPDATE "
            "SET taker_kind = :kind, unit_id = :unit_id, member_id = :member_id, "
            "team_id = :team_id"
        ),
        {"user": user.id, "kind": taker.kind} | columns,
    )
    record(
        conn, access.actor, "needs.link_taker", "app_user", username, after={"taker": str(taker)}
    )


def taker_of(conn: Connection, *, access: Access) -> tuple[str, int] | None:
    """The taker (kind, id) a logged-in user acts for, if any."""
    if access.user is None:
        return None
    row = conn.execute(
        text(
            "SELECT taker_kind, coalesce(unit_id, member_id, team_id) AS id "
            "FROM taker_account WHERE user_id = :u"
        ),
        {"u": access.user.id},
    ).first()
    return None if row is None else (str(row.taker_kind), int(row.id))


def _id(conn: Connection, taker: TakerRef) -> int:
    """The id of a unit, member or team by code (404 if there is none)."""
    table = TAKER_TABLES[taker.kind]
    found = conn.execute(text(f"SELECT id FROM {table} WHERE code = :c"), {"c": taker.code}).first()
    if found is None:
        raise NotFound(f"没有接单方 {taker} (no taker {taker})", taker=str(taker))
    return int(found.id)
