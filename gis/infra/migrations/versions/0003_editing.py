"""Editing: grid locks (shared with the optimizer), edit history and undo.

Every edit of a layer's grids is one ``grid_edit`` row (the layer version it made, who, when,
what happened to which grids) and one ``grid_edit_move`` row per base unit it moved (from which
grid code to which). That is enough to run any edit backwards: undo, redo and revert are new
edits computed from these rows (see ``gis.editing``).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Spelled out here, not imported: a migration must keep meaning what it meant when written.
EDIT_KINDS = "'move', 'new', 'split', 'merge', 'lock', 'unlock', 'rename', 'undo', 'redo', 'revert'"


def upgrade() -> None:
    op.add_column(
        "grid", sa.Column("locked", sa.Boolean, nullable=False, server_default=sa.false())
    )
    op.create_table(
        "grid_edit",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column(
            "layer_id",
            sa.Integer,
            sa.ForeignKey("grid_layer.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("base_version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("summary", sa.Text, nullable=False, server_default=""),
        sa.Column("grids", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column(
            "communities",
            ARRAY(sa.String(12)),
            nullable=False,
            server_default=sa.text("'{}'::varchar[]"),
        ),
        sa.Column("undoes", sa.BigInteger, sa.ForeignKey("grid_edit.id", ondelete="SET NULL")),
        sa.Column("undone_by", sa.BigInteger, sa.ForeignKey("grid_edit.id", ondelete="SET NULL")),
        sa.UniqueConstraint("layer_id", "version"),
        sa.CheckConstraint(f"kind IN ({EDIT_KINDS})", name="grid_edit_kind"),
    )
    op.create_index("ix_grid_edit_layer_actor", "grid_edit", ["layer_id", "actor", "id"])
    op.create_table(
        "grid_edit_move",
        sa.Column(
            "edit_id",
            sa.BigInteger,
            sa.ForeignKey("grid_edit.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "unit_id",
            sa.Integer,
            sa.ForeignKey("base_unit.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("from_code", sa.String(15), nullable=False),
        sa.Column("to_code", sa.String(15), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("grid_edit_move")
    op.drop_table("grid_edit")
    op.drop_column("grid", "locked")
