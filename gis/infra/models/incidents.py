"""Incidents (吹哨报到): categories, admission items, transitions, photos, Open311 clients."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from gis.infra.models.base import Base, geom, gist


class Incident(Base):
    """An incident (事件) reported at a place, and where it stands in the 吹哨报到 loop.

    The workflow lives in :mod:`gis.incidents`: ``state`` moves reported → dispatched → signed →
    handled → fed_back → evaluated, every move is a row of ``incident_transition``. The
    timestamps of the moves are also kept here (denormalised) so that the figures of a year of
    incidents are one scan; ``grid_id`` is the unified grid found spatially when it was reported.
    """

    __tablename__ = "incident"
    __table_args__ = (
        gist("incident"),
        CheckConstraint(
            "state IN ('reported', 'dispatched', 'signed', 'handled', 'fed_back', 'evaluated')",
            name="incident_state",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    reported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    reporter_kind: Mapped[str] = mapped_column(String(16))
    department: Mapped[str | None] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    base_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("base_unit.id", ondelete="SET NULL"), index=True
    )
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("community.id", ondelete="SET NULL"), index=True
    )
    geom: Mapped[Any] = mapped_column(geom("POINT"))
    # --- 0004_incidents
    grid_id: Mapped[int | None] = mapped_column(
        ForeignKey("grid.id", ondelete="SET NULL"), index=True
    )
    building_id: Mapped[int | None] = mapped_column(
        ForeignKey("building.id", ondelete="SET NULL"), index=True
    )
    # The H3 cell (resolution 15) of the point; coarser cells are its parents, found in SQL.
    h3_cell: Mapped[int | None] = mapped_column(BigInteger)
    # Personal data (see gis.personal): masked for users without VIEW_PERSONAL_DATA.
    reporter_name: Mapped[str | None] = mapped_column(String(32))
    reporter_phone: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(16), default="app", server_default="app")
    source_client: Mapped[str | None] = mapped_column(String(64))
    routing_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    sign_due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    signed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    handled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    fed_back_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    evaluated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    # Times a department sent it back before signing (退回), and times a reporter was not
    # satisfied (each returns it to handling; the third escalates it to the street).
    rejections: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    send_backs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    escalated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # --- 0017_outbox: a duplicate merged into its primary follows the primary's state
    # (gis.incidents.merging); the reporter's email, if given, is told of progress (personal).
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("incident.id", ondelete="SET NULL"), index=True
    )
    merged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    reporter_email: Mapped[str | None] = mapped_column(String(254))


class IncidentCategory(Base):
    """An incident category: the department it is routed to and its deadlines (by category)."""

    __tablename__ = "incident_category"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)  # e.g. 环境卫生
    name_en: Mapped[str] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(64))
    # Open311 GeoReport v2 service_code (ASCII, stable for hotline apps).
    service_code: Mapped[str] = mapped_column(String(32), unique=True)
    sign_hours: Mapped[float] = mapped_column(Float)  # to sign for it after dispatch
    handle_hours: Mapped[float] = mapped_column(Float)  # to handle it after dispatch
    # A new report this close to an open one of the category, this soon after it, may be the
    # same problem (gis.incidents.duplicates; migration 0013).
    duplicate_metres: Mapped[float] = mapped_column(Float, server_default="50")
    duplicate_hours: Mapped[float] = mapped_column(Float, server_default="72")
    # Warn this many hours before a sign/handle deadline (gis.incidents.deadlines; 0017).
    warn_hours: Mapped[float] = mapped_column(Float, server_default="2")


class AdmissionItem(Base):
    """One item of the four admission lists (四张清单) of grid tasks.

    ``kind`` is the list: basic (基础任务), assisted (协助任务), service (部门服务事项) or
    negative (负面清单: what grid workers may refuse). An item may name an incident category;
    a category on the negative list goes straight to its department when reported, with
    ``reason`` recorded.
    """

    __tablename__ = "admission_item"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('basic', 'assisted', 'service', 'negative')", name="admission_item_kind"
        ),
        UniqueConstraint("kind", "position"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(128))
    category: Mapped[str | None] = mapped_column(
        ForeignKey("incident_category.code", ondelete="SET NULL", onupdate="CASCADE"), index=True
    )
    department: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")


class IncidentTransition(Base):
    """One move of an incident through the workflow: who, when, from and to, and why."""

    __tablename__ = "incident_transition"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    department: Mapped[str | None] = mapped_column(String(64))


class IncidentPhoto(Base):
    """A photo of an incident: the file lives under the data directory, checked by its bytes."""

    __tablename__ = "incident_photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(String(256))  # relative to the data directory
    media_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # Where the photo's own GPS tags said it was taken, kept here once stripped from the file
    # (gis.incidents.photo_clean; migration 0012).
    location: Mapped[Any] = mapped_column(geom("POINT"), nullable=True)


class Open311Client(Base):
    """A 12345-hotline or reporting app allowed to post incidents over Open311.

    It proves itself with an API key; only the key's SHA-256 is stored (the key is 256 random
    bits, so no slow hash is needed). ``scope_code`` limits where it may report and read.
    """

    __tablename__ = "open311_client"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    scope_code: Mapped[str] = mapped_column(String(12), default="", server_default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
