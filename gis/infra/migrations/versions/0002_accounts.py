"""Accounts: users with a role and a scope, and their log-in sessions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Spelled out here, not imported: a migration must keep meaning what it meant when written.
ROLES = "'admin', 'planner', 'county', 'department', 'party', 'field_worker'"
SCOPE_LEVELS = "'city', 'district', 'street', 'community', 'grid'"


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(64), nullable=False, server_default=""),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("scope_level", sa.String(12), nullable=False),
        sa.Column("scope_code", sa.String(24), nullable=False, server_default=""),
        sa.Column("scope_layer", sa.String(64)),
        sa.Column("department", sa.String(64)),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("last_login_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(f"role IN ({ROLES})", name="app_user_role"),
        sa.CheckConstraint(f"scope_level IN ({SCOPE_LEVELS})", name="app_user_scope_level"),
        sa.CheckConstraint(
            "(scope_level = 'grid') = (scope_layer IS NOT NULL)", name="app_user_grid_layer"
        ),
    )
    op.create_table(
        "user_session",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("token_digest", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("app_user.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("client_ip", sa.String(64)),
        sa.Column("user_agent", sa.String(256)),
    )
    op.create_index("ix_user_session_user_id", "user_session", ["user_id"])
    # Who did what is asked of the audit log by actor and by kind of change, newest first.
    op.create_index("ix_audit_log_actor", "audit_log", ["actor"])
    op.create_index("ix_audit_log_action", "audit_log", ["action"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_action", "audit_log")
    op.drop_index("ix_audit_log_actor", "audit_log")
    op.drop_table("user_session")
    op.drop_table("app_user")
