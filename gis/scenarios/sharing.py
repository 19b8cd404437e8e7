"""Read-only links to a scenario's report, for colleagues inside the organisation.

County staff weigh a plan with the streets, departments and party offices it touches, whose roles
cannot run or even list scenarios. A share link lets any logged-in Gridmap user open that one
scenario's report — read only, and only if the scenario's area lies inside their own scope (a
street's staff cannot read another street's plan by being sent a link). The link carries a random
token of 256 bits; only its SHA-256 is stored, it expires (30 days by default) and its maker or
anyone who may run the scenario can revoke it. Making, revoking and opening are audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis import audit
from gis.access import Access
from gis.accounts import Permission
from gis.errors import Invalid, NotFound
from gis.scenarios.store import get_scenario

DEFAULT_DAYS = 30
MAX_DAYS = 365
SHARE_PATH = "/shared/scenarios/"


@dataclass(frozen=True)
class Share:
    id: int
    scenario_id: int
    created_by: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    active: bool


@dataclass(frozen=True)
class NewShare:
    """A link just made: the only time its token is seen."""

    share: Share
    token: str
    path: str  # the page to send: SHARE_PATH + token


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _share(r: Any, now: dt.datetime) -> Share:
    return Share(
        id=r.id, scenario_id=r.scenario_id, created_by=r.created_by, created_at=r.created_at,
        expires_at=r.expires_at, revoked_at=r.revoked_at,
        active=r.revoked_at is None and r.expires_at > now,
    )  # fmt: skip


_COLUMNS = "id, scenario_id, created_by, created_at, expires_at, revoked_at"


def share_scenario(
    conn: Connection,
    scenario_id: int,
    *,
    access: Access,
    now: dt.datetime,
    days: int = DEFAULT_DAYS,
) -> NewShare:
    """A new read-only link to the scenario (which the maker must be able to run)."""
    get_scenario(conn, scenario_id, access=access)
    if not 1 <= days <= MAX_DAYS:
        raise Invalid(
            f"有效天数须为 1 至 {MAX_DAYS} (days must be 1 to {MAX_DAYS}, got {days})", field="days"
        )
    token = secrets.token_urlsafe(32)
    row = conn.execute(
        text(
            f"INSERT INTO scenario_share (scenario_id, token_sha256, created_by, expires_at) "
            f"VALUES (:s, :t, :by, :until) RETURNING {_COLUMNS}"
        ),
        {"s": scenario_id, "t": _digest(token), "by": access.name,
         "until": now + dt.timedelta(days=days)},
    ).one()  # fmt: skip
    share = _share(row, now)
    audit.record(
        conn, access.actor, "scenario.share", "scenario", scenario_id, None,
        {"share": share.id, "expires_at": share.expires_at},
    )  # fmt: skip
    return NewShare(share, token, SHARE_PATH + token)


def list_shares(
    conn: Connection, scenario_id: int, *, access: Access, now: dt.datetime
) -> list[Share]:
    """The scenario's links, newest first (without their tokens, which are not kept)."""
    get_scenario(conn, scenario_id, access=access)
    rows = conn.execute(
        text(f"SELECT {_COLUMNS} FROM scenario_share WHERE scenario_id = :s ORDER BY id DESC"),
        {"s": scenario_id},
    )
    return [_share(r, now) for r in rows]


def revoke_share(
    conn: Connection, scenario_id: int, share_id: int, *, access: Access, now: dt.datetime
) -> Share:
    """Revoke a link at once; revoking twice is harmless (the first time is kept)."""
    get_scenario(conn, scenario_id, access=access)
    row = conn.execute(
        text(
            f"UPDATE scenario_share SET revoked_at = coalesce(revoked_at, :now) "
            f"WHERE id = :id AND scenario_id = :s RETURNING {_COLUMNS}"
        ),
        {"id": share_id, "s": scenario_id, "now": now},
    ).first()
    if row is None:
        raise NotFound(
            f"方案 {scenario_id} 没有分享链接 {share_id} "
            f"(scenario {scenario_id} has no share {share_id})",
            share=share_id,
        )
    audit.record(conn, access.actor, "scenario.unshare", "scenario", scenario_id, None,
                 {"share": share_id})  # fmt: skip
    return _share(row, now)


def open_share(
    conn: Connection, token: str, *, access: Access, now: dt.datetime
) -> tuple[int, Access]:
    """The scenario a link opens and the access to read it with: the viewer's own scope, which
    must hold the scenario's area, granted only the reading of scenarios. An unknown, expired or
    revoked link is NotFound alike (a guessed token learns nothing)."""
    row = conn.execute(
        text(
            "SELECT id, scenario_id FROM scenario_share WHERE token_sha256 = :t "
            "AND revoked_at IS NULL AND expires_at > :now"
        ),
        {"t": _digest(token), "now": now},
    ).first()
    if row is None:
        raise NotFound("分享链接无效、已过期或已撤销 (the link is unknown, expired or revoked)")
    reader = access.granted(Permission.RUN_SCENARIOS)
    get_scenario(conn, row.scenario_id, access=reader)  # the viewer's scope still applies
    audit.record(conn, access.actor, "scenario.open_share", "scenario", row.scenario_id, None,
                 {"share": row.id})  # fmt: skip
    return int(row.scenario_id), reader
