"""The 吹哨报到 state machine: which move is allowed from which state, by whom, and what it records.

=========== ===================== ============================================ ====================
action      from → to             who                                          records
=========== ===================== ============================================ ====================
dispatch    reported → dispatched command centre (DISPATCH_INCIDENTS)         department, deadlines
sign        dispatched → signed   the department (HANDLE_INCIDENTS)            signed_at
reject      dispatched → reported the department, with a reason (退回)         rejections + 1
handle      signed → handled      the department, saying what was done         handled_at
feed_back   handled → fed_back    the department or the command centre         fed_back_at
evaluate    fed_back → evaluated  command centre or grid worker (satisfied)    evaluated_at, closed
evaluate    fed_back → signed     … not satisfied: back to handling            send_backs + 1
evaluate    fed_back → reported   … not satisfied the third time: escalated    escalated_at
                                  to the street's command centre (to dispatch
                                  again, with the flag set)
=========== ===================== ============================================ ====================

Every move writes a row of ``incident_transition`` (actor, time, note) and one of the audit log
(``incident.<action>``) in the caller's transaction. Any other move is refused with
:class:`~gis.errors.IllegalTransition` (409) naming the current state and the allowed next ones.
Deadlines run from dispatch: ``sign_due_at`` (by the category's sign hours) and ``due_at`` (its
handle hours); an open incident past one of them is overdue (see :data:`OVERDUE_SQL`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypedDict

from sqlalchemy import Connection, text

from gis import audit
from gis.access import Access
from gis.accounts import Permission
from gis.errors import Forbidden, IllegalTransition, Invalid, NotFound
from gis.incidents.access import require_any, require_own_department, visible_sql
from gis.incidents.catalogue import get_category
from gis.incidents.merging import after_move, refuse_if_merged
from gis.labels import INCIDENT_ACTIONS, INCIDENT_STATES, label

STATES = ("reported", "dispatched", "signed", "handled", "fed_back", "evaluated")
OPEN_STATES = STATES[:-1]
STATE_NAMES = INCIDENT_STATES
#: action → {from state: to state}; ``evaluate`` lists its satisfied outcome.
ACTIONS: dict[str, dict[str, str]] = {
    "dispatch": {"reported": "dispatched"},
    "sign": {"dispatched": "signed"},
    "reject": {"dispatched": "reported"},
    "handle": {"signed": "handled"},
    "feed_back": {"handled": "fed_back"},
    "evaluate": {"fed_back": "evaluated"},
}
NEEDS_REASON = "退回须写明理由 a department sends an incident back with a reason"
NEEDS_HANDLING_NOTE = "请填写处置说明：做了什么 say what was done (the handling note)"
#: Not satisfied this many times, an incident escalates to the street.
ESCALATE_AFTER = 3
MAX_NOTE = 2000

#: SQL (incident alias ``i``, bound ``:now``): open and past a deadline it still has to meet.
OVERDUE_SQL = (
    "(i.state = 'dispatched' AND i.sign_due_at < :now) "
    "OR (i.state IN ('dispatched', 'signed') AND i.due_at < :now)"
)


def allowed_actions(state: str) -> list[tuple[str, str]]:
    """(action, next state) pairs allowed from ``state``."""
    moves = [(action, moves[state]) for action, moves in ACTIONS.items() if state in moves]
    if state == "fed_back":  # not satisfied
        moves.append(("evaluate", "signed"))
    return moves


def _move_label(action: str, target: str) -> str:
    """「处置 Handle → 已处置 Handled」: a move as a user reads it."""
    if action == "evaluate":
        action = "evaluate_yes" if target == "evaluated" else "evaluate_no"
    return f"{label(INCIDENT_ACTIONS, action)} → {label(INCIDENT_STATES, target)}"


def _refuse(code: str, state: str, action: str) -> IllegalTransition:
    moves = allowed_actions(state)
    allowed = sorted({target for _, target in moves})
    if moves:
        nexts = "、".join(_move_label(a, t) for a, t in moves)
        hint = f"下一步可以 next: {nexts}"
    else:
        hint = "事件已办结，不能再流转 it is closed: no move is allowed"
    return IllegalTransition(
        f"事件 {code} 当前为「{label(INCIDENT_STATES, state)}」，不能「"
        f"{label(INCIDENT_ACTIONS, action)}」; {hint} "
        f"(incident {code} is {state}: '{action}' is not allowed from there)",
        incident=code,
        state=state,
        action=action,
        allowed=",".join(allowed),
        allowed_actions=",".join(sorted({a for a, _ in moves})),
    )


def _load(conn: Connection, code: str, *, access: Access) -> dict[str, Any]:
    row = (
        conn.execute(
            text(
                "SELECT id, code, state, category, department, send_backs, rejections "
                "FROM incident WHERE code = :code FOR UPDATE"
            ),
            {"code": code},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(
            f"没有编号为 {code!r} 的事件 (no incident with code {code!r})", incident=code
        )
    seen = visible_sql(access=access)
    visible = conn.execute(
        text(f"SELECT 1 FROM incident i WHERE i.id = :id AND {seen.sql}"),
        {"id": row["id"]} | seen.params,
    ).first()
    if visible is None:
        raise Forbidden(
            f"事件 {code} 不在您的范围内 incident {code} is outside your scope", incident=code
        )
    return dict(row)


def _note(note: str | None, *, required: str | None = None) -> str:
    text_ = (note or "").strip()
    if required and not text_:
        raise Invalid(required)
    if len(text_) > MAX_NOTE:
        raise Invalid(
            f"说明最多 {MAX_NOTE} 字 a note has at most {MAX_NOTE} characters", length=len(text_)
        )
    return text_


def record_transition(
    conn: Connection,
    incident_id: int,
    action: str,
    from_state: str | None,
    to_state: str,
    at: dt.datetime,
    note: str = "",
    department: str | None = None,
    *,
    access: Access,
) -> None:
    conn.execute(
        text(
            "INSERT INTO incident_transition (incident_id, action, from_state, to_state, actor, "
            "at, note, department) VALUES (:id, :action, :src, :dst, :actor, :at, :note, :dept)"
        ),
        {
            "id": incident_id,
            "action": action,
            "src": from_state,
            "dst": to_state,
            "actor": access.name,
            "at": at,
            "note": note,
            "dept": department,
        },
    )


class NextMove(TypedDict):
    action: str
    state: str


class IncidentMove(TypedDict):
    """What a transition did, and the moves allowed from the new state. A TypedDict: the
    answer of ``POST /incidents/{code}/transitions``, sent as it is."""

    code: str
    state: str
    previous_state: str
    action: str
    department: str | None
    allowed_next: list[NextMove]


@dataclass(frozen=True)
class _Step:
    """What an action does: the state it leads to, the action recorded (an evaluation that
    sends an incident back for the last time is recorded as an escalation), the department,
    the note kept in the history, and the columns it sets."""

    target: str
    action: str
    department: str | None
    note: str
    changes: dict[str, Any]


def _dispatch(
    conn: Connection,
    row: Any,
    target: str,
    note: str | None,
    department: str | None,
    now: dt.datetime,
    *,
    access: Access,
) -> _Step:
    """Route to a department (the category's unless one is named) with fresh deadlines."""
    require_any("dispatch incidents", Permission.DISPATCH_INCIDENTS, access=access)
    category = get_category(conn, row["category"])
    dept = (department or "").strip() or category.department
    if len(dept) > 64:
        raise Invalid("部门名称最多 64 个字符 (a department name has at most 64 characters)")
    changes = {
        "department": dept,
        "dispatched_at": now,
        "sign_due_at": now + dt.timedelta(hours=category.sign_hours),
        "due_at": now + dt.timedelta(hours=category.handle_hours),
        "signed_at": None,
        "handled_at": None,
        "fed_back_at": None,
    }
    return _Step(target, "dispatch", dept, _note(note), changes)


def _by_department(
    row: Any,
    code: str,
    action: str,
    target: str,
    note: str | None,
    now: dt.datetime,
    *,
    access: Access,
) -> _Step:
    """Sign, reject, handle or feed back: the department's own moves (its staff only)."""
    if action == "feed_back":
        require_any(
            "feed back", Permission.HANDLE_INCIDENTS, Permission.DISPATCH_INCIDENTS, access=access
        )
    else:
        require_any(f"{action} incidents", Permission.HANDLE_INCIDENTS, access=access)
    dept = row["department"]
    require_own_department(dept, code, access=access)
    changes: dict[str, Any] = {}
    if action == "reject":
        note = _note(
            note, required="退回须写明理由 a department sends an incident back with a reason"
        )
        changes["rejections"] = row["rejections"] + 1
    elif action == "handle":
        note = _note(
            note, required="请填写处置说明：做了什么 say what was done (the handling note)"
        )
        changes["handled_at"] = now
    else:
        note = _note(note)
        changes["signed_at" if action == "sign" else "fed_back_at"] = now
    return _Step(target, action, dept, note, changes)


def _evaluate(
    row: Any,
    target: str,
    note: str | None,
    satisfied: bool | None,
    now: dt.datetime,
    *,
    access: Access,
) -> _Step:
    """The reporter's verdict: satisfied closes; not satisfied sends it back to handling, and
    the :data:`ESCALATE_AFTER`-th time up to the street."""
    require_any(
        "evaluate incidents",
        Permission.DISPATCH_INCIDENTS,
        Permission.REPORT_INCIDENTS,
        access=access,
    )
    if satisfied is None:
        raise Invalid("评价须选择满意或不满意 an evaluation says whether the reporter is satisfied")
    text_ = _note(note)
    dept = row["department"]
    if satisfied:
        return _Step(target, "evaluate", dept, text_, {"satisfied": True, "evaluated_at": now})
    send_backs = row["send_backs"] + 1
    changes: dict[str, Any] = {
        "satisfied": False,
        "send_backs": send_backs,
        "handled_at": None,
        "fed_back_at": None,
    }
    if send_backs == ESCALATE_AFTER:
        changes["escalated_at"] = now
        text_ = (
            f"不满意第 {send_backs} 次，升级至街道 Not satisfied {send_backs} times: "
            f"escalated to the street. {text_}"
        ).strip()
        return _Step("reported", "escalate", dept, text_, changes)
    text_ = (f"不满意，退回处置 Not satisfied: back to handling. {text_}").strip()
    return _Step("signed", "evaluate", dept, text_, changes)


def transition(
    conn: Connection,
    code: str,
    action: str,
    *,
    access: Access,
    note: str | None = None,
    department: str | None = None,
    satisfied: bool | None = None,
    now: dt.datetime | None = None,
) -> IncidentMove:
    """Move incident ``code`` by ``action`` (see the module table); returns the new state.

    Raises
    ------
    IllegalTransition
        ``action`` is not allowed from the incident's current state.
    Forbidden
        The role may not do ``action``, the incident is outside the actor's scope, or (for
        department staff) it is routed to another department.
    Invalid
        An unknown action, or a missing reason, handling note or evaluation.
    """
    if action not in ACTIONS:
        raise Invalid(
            f"未知的操作 {action!r}：可选 {', '.join(ACTIONS)} ("
            f"unknown action {action!r}: one of {', '.join(ACTIONS)})",
            action=action,
        )
    now = now or dt.datetime.now(dt.UTC)
    row = _load(conn, code, access=access)
    refuse_if_merged(conn, row["id"], code)
    state = row["state"]
    if state not in ACTIONS[action]:
        raise _refuse(code, state, action)
    target = ACTIONS[action][state]
    if action == "dispatch":
        step = _dispatch(conn, row, target, note, department, now, access=access)
    elif action == "evaluate":
        step = _evaluate(row, target, note, satisfied, now, access=access)
    else:
        step = _by_department(row, code, action, target, note, now, access=access)
    target, recorded_action, dept, note = step.target, step.action, step.department, step.note
    changes: dict[str, Any] = {"updated_at": now} | step.changes
    changes["state"] = target
    assignments = ", ".join(f"{k} = :{k}" for k in changes)
    conn.execute(
        text(f"UPDATE incident SET {assignments} WHERE id = :id"), changes | {"id": row["id"]}
    )
    record_transition(
        conn, row["id"], recorded_action, state, target, now, note, dept, access=access
    )
    after_move(conn, row["id"], recorded_action, target, note, now, access=access)
    audit.record(
        conn,
        access.actor,
        f"incident.{recorded_action}",
        "incident",
        code,
        {"state": state, "department": row["department"]},
        {"state": target, "department": dept, "note": note[:200]}
        | ({"satisfied": satisfied} if action == "evaluate" else {}),
    )
    return {
        "code": code,
        "state": target,
        "previous_state": state,
        "action": recorded_action,
        "department": dept,
        "allowed_next": [{"action": a, "state": t} for a, t in allowed_actions(target)],
    }
