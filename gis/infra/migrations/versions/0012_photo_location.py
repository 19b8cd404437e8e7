"""Where an incident photo was taken, kept in the row once the photo file loses its metadata.

Photos are written again without EXIF (gis.incidents.photo_clean): a phone's GPS tags place a
resident's home to a few metres, and the file is seen by everyone who handles the incident. The
position goes here instead, as a point in WGS84, read only through the incident's own access.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "incident_photo",
        sa.Column("location", Geometry("POINT", srid=4326, spatial_index=False), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("incident_photo", "location")
