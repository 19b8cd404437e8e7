"""The residents' own door to the needs list (群众点单): a public form, no log-in, that records a
need in the resident's community (at the building they name, or inside the community).

Anyone may post, so the form is rate-limited in the database (shared by every server process):
at most :attr:`IntakeLimits.per_client` needs per client address and :attr:`IntakeLimits.overall`
in all per window; over a limit → 429 with the seconds to wait. Only a keyed digest of the
address is kept (HMAC-SHA-256 with the app's secret: an IPv4 address's plain hash could be
reversed by trying them all), with the time, for the window — nothing about the need.

A need posted here has source ``resident``; it is recorded by ``intake:resident`` in the audit
log and waits for the community to dispatch it, like any other. The answer tells the resident its
code and status, nothing of anyone else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis.access import Access
from gis.chinatime import CHINA
from gis.errors import Invalid, NotFound, TooManyRequests
from gis.labels import NEED_STATUSES, label
from gis.needs.needs import NeedIn, create_need
from gis.scope import Scope

#: Advisory-lock class that serialises the intake's count and insert.
LOCK_CLASS = 60063
DEFAULT_DAYS = 7


@dataclass(frozen=True)
class IntakeLimits:
    per_client: int = 5
    overall: int = 500
    window: dt.timedelta = dt.timedelta(hours=1)


@dataclass(frozen=True)
class ResidentNeed:
    """What a resident posts: what, who, where (their community, and a building if they know
    its code), and by when (a week from today unless they say)."""

    community: str
    kind: str
    title: str
    requester_name: str
    requester_phone: str
    description: str = ""
    building: str | None = None
    due_on: dt.date | None = None


@dataclass(frozen=True)
class IntakeReceipt:
    code: str
    status: str
    status_label: str
    community_name: str
    due_on: dt.date


def _wait(conn: Connection, key: str, limits: IntakeLimits, now: dt.datetime) -> int | None:
    since = now - limits.window
    row = conn.execute(
        text(
            "SELECT (SELECT at FROM need_intake WHERE client_key = :k AND at > :since "
            "        ORDER BY at DESC OFFSET :n_client LIMIT 1), "
            "       (SELECT at FROM need_intake WHERE at > :since "
            "        ORDER BY at DESC OFFSET :n_all LIMIT 1)"
        ),
        {"k": key, "since": since, "n_client": limits.per_client - 1,
         "n_all": limits.overall - 1},
    ).one()  # fmt: skip
    full = [at for at in row if at is not None]
    if not full:
        return None
    return max(1, math.ceil(float((max(full) + limits.window - now).total_seconds())))


def post_resident_need(
    conn: Connection,
    need: ResidentNeed,
    *,
    client: str,
    secret: str,
    now: dt.datetime,
    limits: IntakeLimits,
) -> IntakeReceipt:
    """Record a resident's need (see the module doc); 429 over the limits, 404 an unknown
    community, 422 a building outside it or a bad field. A refused post counts nothing."""
    key = hmac.new(secret.encode(), f"need-intake\x00{client}".encode(), hashlib.sha256).hexdigest()
    conn.execute(text("SELECT pg_advisory_xact_lock(:c, 0)"), {"c": LOCK_CLASS})
    wait = _wait(conn, key, limits, now)
    if wait is not None:
        raise TooManyRequests(
            f"提交过于频繁，请 {wait} 秒后再试 (too many needs posted: try again in {wait} s)",
            retry_after=wait,
        )
    place = conn.execute(
        text(
            "SELECT c.code, c.name, ST_X(ST_PointOnSurface(c.geom)) AS lon, "
            "ST_Y(ST_PointOnSurface(c.geom)) AS lat, "
            "(SELECT u.community_id = c.id FROM building b JOIN base_unit u "
            " ON u.id = b.base_unit_id WHERE b.code = :b) AS building_inside "
            "FROM community c WHERE c.code = :c"
        ),
        {"c": need.community, "b": need.building},
    ).first()
    if place is None:
        raise NotFound(f"没有社区 {need.community!r} (no community {need.community!r})")
    if need.building is not None and not place.building_inside:
        raise Invalid(
            f"社区{place.name}没有楼栋 {need.building} (community {need.community} has no "
            f"building {need.building})",
            building=need.building,
        )
    today = now.astimezone(CHINA).date()
    due = need.due_on or today + dt.timedelta(days=DEFAULT_DAYS)
    if due < today:
        raise Invalid(f"期限 {due} 早于今天 (the day needed, {due}, is past)", due_on=str(due))
    at_building = need.building is not None
    recorded = create_need(
        conn,
        NeedIn(kind=need.kind, title=need.title, requester_name=need.requester_name,
               requester_phone=need.requester_phone, due_on=due, description=need.description,
               building=need.building, lon=None if at_building else place.lon,
               lat=None if at_building else place.lat, source="resident"),
        access=Access.system("intake:resident", scope=Scope.community(place.code)),
        now=now,
    )  # fmt: skip
    conn.execute(text("DELETE FROM need_intake WHERE at <= :since"), {"since": now - limits.window})
    conn.execute(
        text("INSERT INTO need_intake (client_key, at) VALUES (:k, :now)"), {"k": key, "now": now}
    )
    return IntakeReceipt(
        code=recorded.code, status=recorded.status,
        status_label=label(NEED_STATUSES, recorded.status), community_name=place.name,
        due_on=due,
    )  # fmt: skip


@dataclass(frozen=True)
class CommunityChoice:
    code: str
    name: str
    street: str


def community_choices(conn: Connection) -> list[CommunityChoice]:
    """Every community, by street, for the resident to pick their own (names are public)."""
    rows = conn.execute(
        text(
            "SELECT c.code, c.name, s.name AS street FROM community c "
            "JOIN street s ON s.id = c.street_id ORDER BY s.code, c.code"
        )
    )
    return [CommunityChoice(r.code, r.name, r.street) for r in rows]
