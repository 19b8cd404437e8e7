"""Merged duplicates, the notification outbox, subscriptions and deadline alerts.

- ``incident.merged_into_id``: a duplicate report merged by a dispatcher into its primary; from
  then on it follows the primary's state (gis.incidents.merging). ``reporter_email``: where a
  reporter who gave one is told of progress (personal data, masked like the phone).
- ``incident_subscription``: a user asks to be told of the incidents of a grid or community.
- ``notification_outbox``: one row per message to send, written in the transaction of the change
  it tells of (never lost on a crash, never sent for a change rolled back); a worker claims rows
  with ``FOR UPDATE SKIP LOCKED`` and marks them sending before it sends (at most once).
- ``incident_deadline_alert``: a warning before a sign/handle deadline and the escalation after
  it, one row each per deadline (so the tick that writes them is idempotent).
- ``incident_category.warn_hours``: how long before a deadline the warning goes out.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "incident",
        sa.Column("merged_into_id", sa.Integer, sa.ForeignKey("incident.id", ondelete="SET NULL")),
    )
    op.add_column("incident", sa.Column("merged_at", TZ))
    op.add_column("incident", sa.Column("reporter_email", sa.String(254)))
    op.create_index("ix_incident_merged_into_id", "incident", ["merged_into_id"])
    op.add_column(
        "incident_category",
        sa.Column("warn_hours", sa.Float(), server_default="2", nullable=False),
    )
    op.create_table(
        "incident_subscription",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("app_user.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("grid_id", sa.Integer, sa.ForeignKey("grid.id", ondelete="CASCADE"), index=True),
        sa.Column(
            "community_id",
            sa.Integer,
            sa.ForeignKey("community.id", ondelete="CASCADE"),
            index=True,
        ),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("address", sa.String(512), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.CheckConstraint("channel IN ('email', 'webhook')", name="incident_subscription_channel"),
        sa.CheckConstraint(
            "(grid_id IS NULL) <> (community_id IS NULL)", name="incident_subscription_target"
        ),
    )
    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column(
            "incident_id",
            sa.Integer,
            sa.ForeignKey("incident.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("address", sa.String(512), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("payload", postgresql.JSONB, nullable=False),
        sa.Column("status", sa.String(8), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("available_at", TZ, nullable=False),
        sa.Column("claimed_at", TZ),
        sa.Column("sent_at", TZ),
        sa.Column("last_error", sa.Text),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed')", name="notification_outbox_status"
        ),
        sa.CheckConstraint("channel IN ('email', 'webhook')", name="notification_outbox_channel"),
    )
    op.create_index("ix_notification_outbox_due", "notification_outbox", ["status", "available_at"])
    op.create_table(
        "incident_deadline_alert",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column(
            "incident_id",
            sa.Integer,
            sa.ForeignKey("incident.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("deadline", sa.String(8), nullable=False),
        sa.Column("due_at", TZ, nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.CheckConstraint(
            "deadline IN ('sign', 'handle')", name="incident_deadline_alert_deadline"
        ),
        sa.CheckConstraint(
            "level IN ('warning', 'escalated')", name="incident_deadline_alert_level"
        ),
        sa.UniqueConstraint(
            "incident_id", "deadline", "due_at", "level", name="incident_deadline_alert_once"
        ),
    )


def downgrade() -> None:
    op.drop_table("incident_deadline_alert")
    op.drop_table("notification_outbox")
    op.drop_table("incident_subscription")
    op.drop_column("incident_category", "warn_hours")
    op.drop_index("ix_incident_merged_into_id", "incident")
    for name in ("reporter_email", "merged_at", "merged_into_id"):
        op.drop_column("incident", name)
