"""How near and how soon a new report may repeat an open incident of its category.

FixMyStreet suggests open reports of the category within about 50 m before a new one is filed;
12345 hotlines see the same complaint again within days. Each category gets its own distance and
time window (a blocked drain stays one problem for longer than a parked car), read by
gis.incidents.duplicates. Defaults: 50 m, 72 hours.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "incident_category",
        sa.Column("duplicate_metres", sa.Float(), server_default="50", nullable=False),
    )
    op.add_column(
        "incident_category",
        sa.Column("duplicate_hours", sa.Float(), server_default="72", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("incident_category", "duplicate_hours")
    op.drop_column("incident_category", "duplicate_metres")
