"""Server hardening: failed log-ins counted in the database, forced password changes.

``login_failure`` holds one row per failed log-in (user name, client address, time) for as long as
the throttle's window, so that every server process counts the same failures (before, each
process counted on its own, in memory). ``app_user.must_change_password`` is set when an
administrator resets someone's password: that user must choose their own at the next log-in.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failure",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("client_ip", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_login_failure_ip_at", "login_failure", ["client_ip", "at"])
    op.create_index("ix_login_failure_user_ip", "login_failure", ["username", "client_ip"])
    op.create_index("ix_login_failure_at", "login_failure", ["at"])
    op.add_column(
        "app_user",
        sa.Column("must_change_password", sa.Boolean, nullable=False, server_default="false"),
    )


def downgrade() -> None:
    op.drop_column("app_user", "must_change_password")
    op.drop_table("login_failure")
