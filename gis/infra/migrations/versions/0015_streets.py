"""Streets and rivers (道路、河流) and what every shared unit boundary runs along.

``linear_feature`` holds roads (主干道, 次干道, 支路, 巷道) and rivers (河流) from a city package
or an imported file. ``unit_edge`` is the shared boundary of two adjacent base units, measured
once, with the class of what it runs along ('none': nothing visible — a wall, a row of
buildings): a layer's or scenario's boundary is the edges whose two units are in different
grids, so "how much of it runs along a road or the river" is a join and a sum, not a geometry
union per request (gis/boundaries.py).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

KINDS = "'primary', 'secondary', 'branch', 'lane', 'river'"


def upgrade() -> None:
    op.create_table(
        "linear_feature",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.String(128), nullable=False, server_default=""),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("district_id", sa.Integer, sa.ForeignKey("district.id", ondelete="CASCADE")),
        sa.Column(
            "geom",
            Geometry("MULTILINESTRING", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.CheckConstraint(f"kind IN ({KINDS})", name="linear_feature_kind"),
    )
    op.create_index("ix_linear_feature_geom", "linear_feature", ["geom"], postgresql_using="gist")
    op.create_index("ix_linear_feature_district_id", "linear_feature", ["district_id"])
    op.create_table(
        "unit_edge",
        sa.Column(
            "unit_a",
            sa.Integer,
            sa.ForeignKey("base_unit.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "unit_b",
            sa.Integer,
            sa.ForeignKey("base_unit.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("length_m", sa.Float, nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.CheckConstraint("unit_a < unit_b", name="unit_edge_order"),
        sa.CheckConstraint(f"kind IN ({KINDS}, 'none')", name="unit_edge_kind"),
    )
    op.create_index("ix_unit_edge_unit_b", "unit_edge", ["unit_b"])


def downgrade() -> None:
    op.drop_table("unit_edge")
    op.drop_table("linear_feature")
