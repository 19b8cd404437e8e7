"""The four steps of a council (邻里会商): 了解诉求 → 分析研判 → 议事会商 → 落实问效.

Each step is recorded once, in order, with the day it was held and its minutes:

=============  ==================  ===========================================================
step           status before→after  also records
=============  ==================  ===========================================================
understand     raised → understood  the residents' demand as heard (the minutes)
analyse        understood→analysed  the analysis: whose fault, which departments (the minutes)
deliberate     analysed→deliberated the decision, which of the five parties attended (at least
                                    three), and who does what by when (one task or more)
follow_up      deliberated→settled  the follow-up evaluated: the residents' rating (1–5); the
                                    tasks are done
=============  ==================  ===========================================================

Any other step is refused with :class:`~gis.errors.IllegalTransition` (409) naming the step asked
for, the council's status and the one step allowed next; a day before the previous step's or after
today (China time) is 422. The council's row is locked (``FOR UPDATE``) and a refused step changes
nothing. Only ``hold_councils`` staff whose scope reaches the council record steps.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission
from gis.audit import record
from gis.chinatime import CHINA
from gis.councils.common import NEXT_STEP, STEP_MOVES, STEPS, check_party, council_scope_sql
from gis.councils.councils import CouncilView, get_council
from gis.errors import Forbidden, IllegalTransition, Invalid, NotFound
from gis.labels import COUNCIL_STATUSES, COUNCIL_STEPS, chinese, label

QUORUM = 3
MAX_MINUTES = 4000


@dataclass(frozen=True)
class Task:
    """Who does what by when (a party by role)."""

    role: str
    task: str
    due_on: dt.date

    def __post_init__(self) -> None:
        check_party(self.role)
        if not self.task.strip() or len(self.task) > 500:
            raise Invalid("任务须为 1 至 500 个字 (a task of 1 to 500 characters)")


@dataclass(frozen=True)
class StepIn:
    """A step as recorded: which, when, the minutes; for 议事会商 the decision, who attended
    and the tasks; for 落实问效 the residents' rating."""

    step: str
    held_on: dt.date
    minutes: str
    decision: str = ""
    attended: list[str] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    rating: int | None = None

    def __post_init__(self) -> None:
        if self.step not in STEP_MOVES:
            raise Invalid(
                f"未知的步骤 {self.step!r}：可选 {', '.join(STEPS)} ("
                f"unknown step {self.step!r}: one of {', '.join(STEPS)})",
                step=self.step,
            )
        if not self.minutes.strip() or len(self.minutes) > MAX_MINUTES:
            raise Invalid(f"请填写会议纪要（至多 {MAX_MINUTES} 字） (the minutes are needed)")
        for role in self.attended:
            check_party(role)
        if self.step == "deliberate":
            if not self.decision.strip():
                raise Invalid("议事会商须写明决定 (the deliberation records its decision)")
            if len(set(self.attended)) < QUORUM:
                raise Invalid(
                    f"议事会商须至少 {QUORUM} 方到会，收到 {len(set(self.attended))} 方 ("
                    f"at least {QUORUM} of the five parties attend a deliberation)",
                    attended=",".join(self.attended),
                )
            if not self.tasks:
                raise Invalid("议事会商须明确谁做什么（至少一项任务） (say who does what)")
            late = [t for t in self.tasks if t.due_on < self.held_on]
            if late:
                raise Invalid(
                    f"任务「{late[0].task}」的期限早于会商日期 (a task is due before the meeting)"
                )
        if self.step == "follow_up" and self.rating not in range(1, 6):
            raise Invalid(
                f"落实问效须记录居民评分 1 至 5，而不是 {self.rating} (the follow-up records the "
                "residents' rating, 1 to 5)",
                rating=str(self.rating),
            )


def _refuse(code: str, status: str, step: str) -> IllegalTransition:
    nxt = NEXT_STEP[status]
    hint = (
        f"下一步应为「{chinese(COUNCIL_STEPS, nxt)}」 next: {nxt}"
        if nxt
        else "议题已办结，不能再推进 it is settled: no step is left"
    )
    return IllegalTransition(
        f"议题 {code} 当前为「{chinese(COUNCIL_STATUSES, status)}」，不能进行「"
        f"{chinese(COUNCIL_STEPS, step)}」; {hint} (council {code} is {status}: step '{step}' "
        "is not allowed now)",
        council=code,
        council_status=status,
        step=step,
        allowed=nxt or "",
    )


def record_step(
    conn: Connection, code: str, step: StepIn, *, access: Access, now: dt.datetime
) -> CouncilView:
    """Record ``step`` of council ``code`` (see the module table); returns the council."""
    access.require(Permission.HOLD_COUNCILS)
    seen = council_scope_sql(access.scope)
    row = conn.execute(
        text(
            f"SELECT k.id, k.status, k.raised_at, ({seen.sql}) AS inside, "
            "(SELECT max(s.held_on) FROM council_step s WHERE s.council_id = k.id) AS last_on "
            "FROM council k JOIN community c ON c.id = k.community_id WHERE k.code = :code "
            "FOR UPDATE OF k"
        ),
        {"code": code} | seen.params,
    ).first()
    if row is None:
        raise NotFound(f"没有议题 {code!r} (no council {code!r})", council=code)
    if not row.inside:
        raise Forbidden(f"议题 {code} 不在您的权限范围内 (council {code} is outside your scope)")
    if NEXT_STEP[row.status] != step.step:
        raise _refuse(code, row.status, step.step)
    earliest = row.last_on or row.raised_at.astimezone(CHINA).date()
    today = now.astimezone(CHINA).date()
    if not earliest <= step.held_on <= today:
        raise Invalid(
            f"「{chinese(COUNCIL_STEPS, step.step)}」的日期须在 {earliest} 至 {today} 之间，"
            f"而不是 {step.held_on} (the step's day lies from {earliest} to {today})",
            held_on=str(step.held_on),
        )
    after = STEP_MOVES[step.step][1]
    conn.execute(
        text(
            "INSERT INTO council_step (council_id, step, held_on, minutes, actor, at) "
            "VALUES (:k, :step, :on, :minutes, :actor, :now)"
        ),
        {"k": row.id, "step": step.step, "on": step.held_on, "minutes": step.minutes.strip(),
         "actor": access.name[:80], "now": now},
    )  # fmt: skip
    changes = "status = :status, updated_at = :now"
    if step.step == "deliberate":
        changes += ", decision = :decision, held_on = :on"
        conn.execute(
            text("UPDATE council_party SET attended = (role = ANY(:roles)) WHERE council_id = :k"),
            {"roles": list(step.attended), "k": row.id},
        )
        for task in step.tasks:
            conn.execute(
                text("INSERT INTO council_assignment (council_id, role, task, due_on) "
                     "VALUES (:k, :role, :task, :due)"),
                {"k": row.id, "role": task.role, "task": task.task.strip(), "due": task.due_on},
            )  # fmt: skip
    if step.step == "follow_up":
        changes += ", rating = :rating, settled_on = :on"
        conn.execute(
            text("UPDATE council_assignment SET done = true WHERE council_id = :k"), {"k": row.id}
        )
    conn.execute(
        text(f"UPDATE council SET {changes} WHERE id = :k"),
        {"status": after, "now": now, "decision": step.decision.strip(), "on": step.held_on,
         "rating": step.rating, "k": row.id},
    )  # fmt: skip
    record(conn, access.actor, f"councils.{step.step}", "council", code,
           before={"status": row.status},
           after={"status": after, "held_on": step.held_on.isoformat(),
                  "step": label(COUNCIL_STEPS, step.step)})  # fmt: skip
    return get_council(conn, code, access=access)
