"""Subscriptions: a user asks to be told when an incident of a grid or community changes state.

A user subscribes only to a grid or community inside their own scope (403 otherwise: they would
learn of incidents they may not see); a field worker to their own grid. The address is checked
where it is given (:mod:`gis.notify.addresses`): a webhook URL to a private or loopback address
is refused with a 422 naming the address.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, text

from gis import audit
from gis.access import Access
from gis.accounts import Permission
from gis.errors import Conflict, Forbidden, Invalid, NotFound
from gis.notify.addresses import WebhookPolicy, check_email, check_webhook

Target = Literal["grid", "community"]
MAX_PER_USER = 50


@dataclass(frozen=True)
class Subscription:
    id: int
    target: str  # 'grid' | 'community'
    code: str
    name: str
    channel: str
    address: str
    created_at: dt.datetime


def _target_id(conn: Connection, target: str, code: str, *, access: Access) -> int:
    """The id of the unified grid or the community ``code``, if it lies in the caller's scope."""
    if target == "grid":
        where = access.scope.grid_sql("g", one_row=True)
        found = conn.execute(
            text(
                "SELECT g.id, "
                f"({where.sql}) AS inside FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
                "WHERE l.code = 'unified' AND g.code = :code"
            ),
            {"code": code} | where.params,
        ).first()
    elif target == "community":
        where = access.scope.filter_sql("c.code")
        found = conn.execute(
            text(f"SELECT c.id, ({where.sql}) AS inside FROM community c WHERE c.code = :code"),
            {"code": code} | where.params,
        ).first()
    else:
        raise Invalid(
            f"订阅对象须为 grid 或 community，收到 {target!r} (target is grid or community)",
            target=target,
        )
    label = "网格" if target == "grid" else "社区"
    if found is None:
        raise NotFound(f"没有代码为 {code!r} 的{label} (no {target} with code {code!r})", code=code)
    if not found.inside:
        raise Forbidden(
            f"{label} {code} 不在您的范围内，不能订阅 ({target} {code} is outside your scope)",
            code=code,
        )
    return int(found.id)


def subscribe(
    conn: Connection,
    *,
    target: str,
    code: str,
    channel: str,
    address: str,
    policy: WebhookPolicy,
    access: Access,
    now: dt.datetime | None = None,
) -> Subscription:
    """Subscribe the calling user to the incidents of a grid or community."""
    access.require(Permission.VIEW_MAP)
    if access.user is None:
        raise Invalid("订阅属于一个用户 (a subscription belongs to a user)")
    if channel == "email":
        address = check_email(address)
    elif channel == "webhook":
        address = check_webhook(address, policy)
    else:
        raise Invalid(
            f"通知方式须为 email 或 webhook，收到 {channel!r} (channel is email or webhook)",
            channel=channel,
        )
    target_id = _target_id(conn, target, code, access=access)
    column = "grid_id" if target == "grid" else "community_id"
    mine = conn.execute(
        text(
            f"SELECT count(*), count(*) FILTER (WHERE {column} = :t AND channel = :ch "
            "AND address = :a) FROM incident_subscription WHERE user_id = :u"
        ),
        {"t": target_id, "ch": channel, "a": address, "u": access.user.id},
    ).one()
    if mine[1]:
        raise Conflict("已有相同的订阅 (the same subscription exists)", code=code)
    if mine[0] >= MAX_PER_USER:
        raise Invalid(f"每人最多 {MAX_PER_USER} 个订阅 (at most {MAX_PER_USER} per user)")
    now = now or dt.datetime.now(dt.UTC)
    new_id = conn.execute(
        text(
            f"INSERT INTO incident_subscription (user_id, {column}, channel, address, created_at) "
            "VALUES (:u, :t, :ch, :a, :now) RETURNING id"
        ),
        {"u": access.user.id, "t": target_id, "ch": channel, "a": address, "now": now},
    ).scalar_one()
    # The address is personal data: the audit log names the target and the channel only.
    audit.record(
        conn, access.actor, "subscription.create", target, code, None, {"channel": channel}
    )
    return next(s for s in subscriptions(conn, access=access) if s.id == new_id)


def subscriptions(conn: Connection, *, access: Access) -> list[Subscription]:
    """The calling user's subscriptions."""
    if access.user is None:
        return []
    rows = conn.execute(
        text(
            "SELECT s.id, CASE WHEN s.grid_id IS NULL THEN 'community' ELSE 'grid' END AS target, "
            "coalesce(g.code, c.code) AS code, coalesce(g.name, c.name) AS name, s.channel, "
            "s.address, s.created_at FROM incident_subscription s "
            "LEFT JOIN grid g ON g.id = s.grid_id LEFT JOIN community c ON c.id = s.community_id "
            "WHERE s.user_id = :u ORDER BY s.id"
        ),
        {"u": access.user.id},
    ).mappings()
    return [Subscription(**r) for r in rows]


def unsubscribe(conn: Connection, subscription_id: int, *, access: Access) -> None:
    """Remove one of the calling user's subscriptions (404 if it is not theirs)."""
    user_id = access.user.id if access.user is not None else None
    gone = conn.execute(
        text("DELETE FROM incident_subscription WHERE id = :id AND user_id = :u RETURNING id"),
        {"id": subscription_id, "u": user_id},
    ).first()
    if gone is None:
        raise NotFound(
            f"没有编号为 {subscription_id} 的订阅 (no subscription {subscription_id})",
            subscription=subscription_id,
        )
    audit.record(conn, access.actor, "subscription.delete", "subscription", str(subscription_id))
