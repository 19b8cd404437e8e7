"""Telling people: subscriptions, the notification outbox and deadline alerts (migration 0017;
the rules live in :mod:`gis.notify` and :mod:`gis.incidents.deadlines`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gis.infra.models.base import Base, one_of

CHANNELS = ("email", "webhook")
OUTBOX_STATES = ("pending", "sending", "sent", "failed")
DEADLINES = ("sign", "handle")
ALERT_LEVELS = ("warning", "escalated")


class IncidentSubscription(Base):
    """A user asks to be told when an incident of a grid or a community changes state."""

    __tablename__ = "incident_subscription"
    __table_args__ = (
        CheckConstraint(one_of("channel", CHANNELS), name="incident_subscription_channel"),
        CheckConstraint(
            "(grid_id IS NULL) <> (community_id IS NULL)", name="incident_subscription_target"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    grid_id: Mapped[int | None] = mapped_column(
        ForeignKey("grid.id", ondelete="CASCADE"), index=True
    )
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(8))
    # An email address or a webhook URL: personal data, never logged.
    address: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class NotificationOutbox(Base):
    """One message to send, written in the transaction of the change it tells of."""

    __tablename__ = "notification_outbox"
    __table_args__ = (
        CheckConstraint(one_of("status", OUTBOX_STATES), name="notification_outbox_status"),
        CheckConstraint(one_of("channel", CHANNELS), name="notification_outbox_channel"),
        Index("ix_notification_outbox_due", "status", "available_at"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(512))
    subject: Mapped[str] = mapped_column(Text)
    payload: Mapped[Any] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(8), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    available_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)


class IncidentDeadlineAlert(Base):
    """A warning before a deadline, or the escalation once it is missed: one of each per
    deadline (the unique key makes the tick idempotent)."""

    __tablename__ = "incident_deadline_alert"
    __table_args__ = (
        CheckConstraint(one_of("deadline", DEADLINES), name="incident_deadline_alert_deadline"),
        CheckConstraint(one_of("level", ALERT_LEVELS), name="incident_deadline_alert_level"),
        UniqueConstraint(
            "incident_id", "deadline", "due_at", "level", name="incident_deadline_alert_once"
        ),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    deadline: Mapped[str] = mapped_column(String(8))
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    level: Mapped[str] = mapped_column(String(10))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
