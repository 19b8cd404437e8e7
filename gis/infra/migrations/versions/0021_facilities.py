"""Service points (助餐点, 一老一小幸福院, 暖"新"驿站, 党群服务中心, 居民之家, 议事厅) and the
walking network pgRouting reaches them on.

``facility`` is a located service point of one kind in one community. ``walk_node`` and
``walk_edge`` are the street network noded for routing (gis/facilities/network.py): every road
of ``linear_feature`` cut at every vertex it shares with another road, each piece an edge with
its length and its walking time at 4.5 km/h; rivers are not walked. They are derived data —
rebuilt from the roads by a road import or ``gridmap walk-network`` — kept in tables so that
``pgr_drivingDistance`` reads them with an index on the bounding box.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

KINDS = "'meal', 'elderly_child', 'rider_station', 'party_centre', 'residents_home', 'council'"


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pgrouting")
    op.create_table(
        "facility",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("capacity", sa.Integer),
        sa.Column("opening_hours", sa.String(64), nullable=False, server_default=""),
        sa.Column(
            "community_id",
            sa.Integer,
            sa.ForeignKey("community.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.CheckConstraint(f"kind IN ({KINDS})", name="facility_kind"),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 0", name="facility_capacity"),
    )
    op.create_index("ix_facility_geom", "facility", ["geom"], postgresql_using="gist")
    op.create_index("ix_facility_community_id", "facility", ["community_id"])
    op.create_index("ix_facility_kind", "facility", ["kind"])
    op.create_table(
        "walk_node",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("component", sa.BigInteger),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
    )
    op.create_index("ix_walk_node_geom", "walk_node", ["geom"], postgresql_using="gist")
    op.create_table(
        "walk_edge",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("source", sa.BigInteger, nullable=False),
        sa.Column("target", sa.BigInteger, nullable=False),
        sa.Column("length_m", sa.Float, nullable=False),
        sa.Column("cost_s", sa.Float, nullable=False),
        sa.Column("road_id", sa.Integer, sa.ForeignKey("linear_feature.id", ondelete="CASCADE")),
        sa.Column("geom", Geometry("LINESTRING", srid=4326, spatial_index=False), nullable=False),
    )
    op.create_index("ix_walk_edge_geom", "walk_edge", ["geom"], postgresql_using="gist")
    op.create_index("ix_walk_edge_road_id", "walk_edge", ["road_id"])


def downgrade() -> None:
    op.drop_table("walk_edge")
    op.drop_table("walk_node")
    op.drop_table("facility")
    op.execute("DROP EXTENSION IF EXISTS pgrouting")
