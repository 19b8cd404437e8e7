"""考核 weights: how much each measure of a grid worker's monthly score weighs, per county.

A county (区县, a 6-digit code) that has written no row uses the defaults of
:data:`gis.assessment.weights.DEFAULT_WEIGHTS`; a row here overrides one measure's weight for
that county. Who changed it and when is kept on the row and in the audit log.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

# Spelled out here, not imported: a migration keeps meaning what it meant when written.
MEASURES = "'time_in_grid', 'buildings', 'found', 'on_time', 'satisfied', 'needs'"


def upgrade() -> None:
    op.create_table(
        "assessment_weight",
        sa.Column("county_code", sa.String(6), primary_key=True),
        sa.Column("measure", sa.String(16), primary_key=True),
        sa.Column("weight", sa.Float, nullable=False),
        sa.Column("updated_by", sa.String(80), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"measure IN ({MEASURES})", name="assessment_weight_measure"),
        sa.CheckConstraint("weight >= 0 AND weight <= 100", name="assessment_weight_range"),
        sa.CheckConstraint("county_code ~ '^[0-9]{6}$'", name="assessment_weight_county"),
    )


def downgrade() -> None:
    op.drop_table("assessment_weight")
