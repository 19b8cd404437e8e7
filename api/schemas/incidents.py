"""What the incident routes answer (吹哨报到): categories, lists, one incident, a move, the
figures, the queue and the map's compact points."""

from __future__ import annotations

from typing import Any, Literal

from api.schemas.common import MISSING, Number, Out, Stamp


class CategoryOut(Out):
    code: str
    name_en: str
    department: str
    service_code: str
    sign_hours: Number
    handle_hours: Number
    negative_list: bool
    negative_reason: str | None


class AdmissionItemOut(Out):
    kind: str
    position: int
    title: str
    category: str | None
    department: str | None
    reason: str | None


class AdmissionListOut(Out):
    kind: str
    name: str
    items: list[AdmissionItemOut]


class AdmissionListsOut(Out):
    """The four admission lists (四张清单)."""

    lists: list[AdmissionListOut]


class PointsOut(Out):
    """Every matching incident as a row of ``fields`` (lon, lat, code, state, category,
    overdue)."""

    fields: list[str]
    points: list[list[Any]]


class FiguresRowOut(Out):
    """Counts and rates of one group (or of all: ``total``); a rate is null without a base."""

    key: str | None | MISSING = MISSING
    name: str | None | MISSING = MISSING
    total: int
    reports: int  # every report, merged duplicates included (total counts each problem once)
    open: int
    closed: int
    overdue: int
    on_time_sign_rate: Number | None
    on_time_completion_rate: Number | None
    rejection_rate: Number | None
    send_back_rate: Number | None
    satisfaction: Number | None


class FiguresOut(Out):
    by: str
    now: Stamp
    rows: list[FiguresRowOut]
    total: FiguresRowOut


class NextMoveOut(Out):
    action: str
    state: str


class QueueItemOut(Out):
    code: str
    category: str
    state: str
    state_name: str
    department: str | None
    reported_at: Stamp
    next_deadline: Stamp | None
    overdue: bool
    escalated: bool
    deadline_status: str | None  # due_soon (即将超时), overdue (已超时), escalated (已升级)
    reports: int
    allowed_next: list[NextMoveOut]


class QueueOut(Out):
    """The incidents waiting at one stage of the loop, the most urgent first."""

    stage: str
    department: str | None
    total: int
    items: list[QueueItemOut]
    now: Stamp


class ReportedOut(Out):
    """A new incident: its code, state, place and why it went where it went."""

    code: str
    state: str
    category: str
    department: str | None
    routing_note: str | None
    grid: str | None
    unit: str | None
    community: str | None
    building: str | None
    snapped: bool
    lon: Number
    lat: Number


class HistoryStepOut(Out):
    action: str
    from_state: str | None
    to_state: str
    actor: str
    at: Stamp
    note: str | None
    department: str | None


class PhotoOut(Out):
    id: int
    media_type: str
    size: int


class IncidentPhotoOut(PhotoOut):
    uploaded_by: str | None
    uploaded_at: Stamp
    url: str


class StoredPhotoOut(PhotoOut):
    sha256: str


class LinkOut(Out):
    """A need or council topic an incident was escalated to."""

    kind: Literal["need", "council"]
    code: str


class IncidentOut(Out):
    """One incident with its place, deadlines, history, photos and the moves allowed next."""

    code: str
    category: str
    description: str | None
    state: str
    state_name: str
    department: str | None
    reported_at: Stamp
    reporter_kind: str | None
    reporter_name: str | None
    reporter_phone: str | None
    lon: Number
    lat: Number
    sign_due_at: Stamp | None
    due_at: Stamp | None
    overdue: bool
    escalated: bool
    allowed_next: list[NextMoveOut]
    history: list[HistoryStepOut]
    history_recorded: bool
    photos: list[IncidentPhotoOut]
    reporter_email: str | None
    merged_into: str | None  # the primary this report was merged into
    duplicates: list[str]  # the reports merged into this one
    reports: int
    escalated_to: list[LinkOut] = []  # the need / council topic it became (议事协商)


class TransitionOut(Out):
    code: str
    state: str
    previous_state: str
    action: str
    department: str | None
    allowed_next: list[NextMoveOut]


class PossibleDuplicateOut(Out):
    code: str
    category: str
    state: str
    reported_at: Stamp
    distance_m: float
    hours_before: float
    description: str


class MergeOut(Out):
    """A merge: the primary, the reports merged into it now, and all the reports it drew."""

    primary: str
    merged: list[str]
    reports: int
    state: str
