"""Orders (社区派单 → 单位和党员干部接单): a need's small state machine.

::

    open ──dispatch──► dispatched ──accept──► accepted ──complete──► done ──evaluate──► evaluated
     ▲                    │
     └──────decline───────┘          open / dispatched ──cancel──► cancelled

- **dispatch** (community staff, in scope): the taker must be one of the community's own —
  a unit paired with it, a member registered with it, or its volunteer team — else 422;
- **accept / decline / complete**: the taker the order names (a user of role ``taker`` who
  acts for it); accepting an order that is not waiting (accepted already, declined…) is 409;
- **evaluate** (community staff, recording the resident's verdict from the call-back): 1–5;
- **cancel** (community staff): the live order, if any, is withdrawn.

Every step locks the need's row (``FOR UPDATE``), so two requests cannot both pass a check, and
writes a line of history (``need_event``) and of the audit log. A refused step changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission
from gis.audit import record
from gis.chinatime import CHINA
from gis.errors import Forbidden, IllegalTransition, Invalid, NotFound
from gis.labels import NEED_STATUSES, label
from gis.needs.common import TakerRef, need_scope_sql
from gis.needs.matching import CANDIDATES
from gis.needs.needs import NeedView, add_event, get_need
from gis.needs.resources import taker_of


def _lock(conn: Connection, code: str, access: Access, *, staff: bool) -> Any:
    """The need's row, locked; with ``staff``, refused outside the caller's scope."""
    scope = need_scope_sql(access.scope)
    row = conn.execute(
        text(
            f"SELECT n.id, n.status, n.community_id, c.code AS community_code, ({scope.sql}) "
            "AS inside FROM need n JOIN community c ON c.id = n.community_id "
            "WHERE n.code = :code FOR UPDATE OF n"
        ),
        {"code": code} | scope.params,
    ).first()
    if row is None:
        raise NotFound(f"没有需求 {code!r} (no need {code!r})", need=code)
    if staff and not row.inside:
        raise Forbidden(f"需求 {code} 不在您的权限范围内 (need {code} is outside your scope)")
    return row


def _illegal(code: str, status: str, action: str) -> IllegalTransition:
    return IllegalTransition(
        f"需求 {code} 当前为「{label(NEED_STATUSES, status)}」，不能{_ACTIONS[action]} ("
        f"need {code} is {status}: it cannot be {action}ed now)",
        need=code,
        need_status=status,
        action=action,
    )


_ACTIONS = {
    "dispatch": "派单",
    "accept": "接单",
    "decline": "拒单",
    "complete": "办结",
    "evaluate": "评价",
    "cancel": "撤销",
}


def _move(
    conn: Connection,
    need: Any,
    code: str,
    to: str,
    action: str,
    access: Access,
    now: dt.datetime,
    note: str = "",
) -> None:
    conn.execute(
        text("UPDATE need SET status = :to, updated_at = :now WHERE id = :id"),
        {"to": to, "now": now, "id": need.id},
    )
    add_event(conn, need.id, now, access.name, action, need.status, to, note)
    record(conn, access.actor, f"needs.{action}", "need", code,
           before={"status": need.status}, after={"status": to})  # fmt: skip


def dispatch(
    conn: Connection, code: str, taker: TakerRef, *, access: Access, now: dt.datetime
) -> NeedView:
    """Give an open need to one of its community's takers (社区派单, one click)."""
    access.require(Permission.DISPATCH_NEEDS)
    need = _lock(conn, code, access, staff=True)
    if need.status != "open":
        raise _illegal(code, need.status, "dispatch")
    found = conn.execute(
        text(f"SELECT id FROM ({CANDIDATES}) cand WHERE kind = :kind AND code = :taker"),
        {"community": need.community_id, "on": now.astimezone(CHINA).date(),
         "kind": taker.kind, "taker": taker.code},
    ).first()  # fmt: skip
    if found is None:
        raise Invalid(
            f"接单方 {taker} 不在社区 {need.community_code} 的结对单位、报到党员或志愿服务队之中 ("
            f"taker {taker} is not paired, registered or a team of community "
            f"{need.community_code})",
            taker=str(taker),
            community=need.community_code,
        )
    conn.execute(
        text(
            f"INSERT INTO need_order (need_id, taker_kind, {taker.kind}_id, state, dispatched_by, "
            "dispatched_at) VALUES (:need, :kind, :taker, 'dispatched', :by, :now)"
        ),
        {"need": need.id, "kind": taker.kind, "taker": found.id, "by": access.name[:80],
         "now": now},
    )  # fmt: skip
    _move(conn, need, code, "dispatched", "dispatch", access, now, str(taker))
    return get_need(conn, code, access=access, now=now)


def _my_order(conn: Connection, need: Any, code: str, access: Access) -> Any:
    """The need's latest order, which must name the taker the caller acts for."""
    access.require(Permission.TAKE_ORDERS)
    order = conn.execute(
        text(
            "SELECT id, state, taker_kind, coalesce(unit_id, member_id, team_id) AS taker_pk "
            "FROM need_order WHERE need_id = :n ORDER BY id DESC LIMIT 1"
        ),
        {"n": need.id},
    ).first()
    mine = taker_of(conn, access=access)
    if order is None or (not access.is_system and (order.taker_kind, order.taker_pk) != mine):
        raise Forbidden(
            f"需求 {code} 没有派给您 (need {code} was not dispatched to you)", need=code
        )
    return order


def _answer(conn: Connection, code: str, *, access: Access, now: dt.datetime, accept: bool,
            reason: str = "") -> NeedView:  # fmt: skip
    action = "accept" if accept else "decline"
    need = _lock(conn, code, access, staff=False)
    order = _my_order(conn, need, code, access)
    if order.state != "dispatched" or need.status != "dispatched":
        raise _illegal(code, need.status, action)
    conn.execute(
        text("UPDATE need_order SET state = :s, answered_at = :now, note = :note WHERE id = :id"),
        {"s": "accepted" if accept else "declined", "now": now, "note": reason, "id": order.id},
    )
    _move(conn, need, code, "accepted" if accept else "open", action, access, now, reason)
    return get_need(conn, code, access=access, now=now)


def accept(conn: Connection, code: str, *, access: Access, now: dt.datetime) -> NeedView:
    """The taker accepts the order dispatched to them (接单); twice is 409."""
    return _answer(conn, code, access=access, now=now, accept=True)


def decline(
    conn: Connection, code: str, *, access: Access, now: dt.datetime, reason: str
) -> NeedView:
    """The taker declines, saying why; the need goes back to the community (待派单)."""
    if not reason.strip():
        raise Invalid("拒单须说明原因 (say why the order is declined)")
    return _answer(conn, code, access=access, now=now, accept=False, reason=reason.strip())


def complete(
    conn: Connection, code: str, *, access: Access, now: dt.datetime, hours: float, note: str = ""
) -> NeedView:
    """The taker reports the need done, with the hours it took."""
    if not 0 < hours <= 200:
        raise Invalid(f"服务时长须大于 0、至多 200 小时，而不是 {hours} (hours are 0 to 200)")
    need = _lock(conn, code, access, staff=False)
    order = _my_order(conn, need, code, access)
    if order.state != "accepted":
        raise _illegal(code, need.status, "complete")
    conn.execute(
        text("UPDATE need_order SET state = 'done', done_at = :now, hours_given = :h, "
             "note = :note WHERE id = :id"),
        {"now": now, "h": hours, "note": note, "id": order.id},
    )  # fmt: skip
    _move(conn, need, code, "done", "complete", access, now, note)
    return get_need(conn, code, access=access, now=now)


def evaluate(
    conn: Connection, code: str, *, access: Access, now: dt.datetime, rating: int, note: str = ""
) -> NeedView:
    """The resident's verdict (1–5), recorded by the community on its call-back (回访)."""
    access.require(Permission.DISPATCH_NEEDS)
    if rating not in range(1, 6):
        raise Invalid(f"评分须为 1 至 5，而不是 {rating} (a rating is 1 to 5)", rating=rating)
    need = _lock(conn, code, access, staff=True)
    if need.status != "done":
        raise _illegal(code, need.status, "evaluate")
    conn.execute(
        text("UPDATE need_order SET rating = :r WHERE need_id = :n AND state = 'done'"),
        {"r": rating, "n": need.id},
    )
    _move(conn, need, code, "evaluated", "evaluate", access, now, note or f"{rating}")
    return get_need(conn, code, access=access, now=now)


def cancel(
    conn: Connection, code: str, *, access: Access, now: dt.datetime, reason: str
) -> NeedView:
    """Withdraw a need that nobody has accepted yet (the resident no longer needs it)."""
    access.require(Permission.DISPATCH_NEEDS)
    need = _lock(conn, code, access, staff=True)
    if need.status not in ("open", "dispatched"):
        raise _illegal(code, need.status, "cancel")
    conn.execute(
        text("UPDATE need_order SET state = 'withdrawn', answered_at = :now "
             "WHERE need_id = :n AND state = 'dispatched'"),
        {"now": now, "n": need.id},
    )  # fmt: skip
    _move(conn, need, code, "cancelled", "cancel", access, now, reason)
    return get_need(conn, code, access=access, now=now)
