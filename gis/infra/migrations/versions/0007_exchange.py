"""Import and export: import batches and their reports.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("options", JSONB, nullable=False),
        sa.Column("written", JSONB, nullable=False),
        sa.Column("report", JSONB, nullable=False),
    )
    op.create_index("ix_import_batch_at", "import_batch", ["at"])


def downgrade() -> None:
    op.drop_index("ix_import_batch_at", table_name="import_batch")
    op.drop_table("import_batch")
