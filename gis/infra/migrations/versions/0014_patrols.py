"""Patrols (巡查): tracks, check-ins, absences and the daily figures kept after pruning.

A field worker's phone records a patrol's track in batches of points numbered by the phone
(``UNIQUE (patrol_id, seq)``: a batch sent again adds nothing); the figures (time in one's own
grid, distance, buildings passed) are computed in PostGIS from the points, and once the points
are older than the retention period they are reduced to one ``patrol_day`` row per worker and day.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _geom() -> sa.Column[Any]:
    return sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False)


def _user() -> sa.Column[Any]:
    return sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False
    )


def _grid() -> sa.Column[Any]:
    return sa.Column("grid_id", sa.Integer, sa.ForeignKey("grid.id", ondelete="SET NULL"))


def _at(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "patrol",
        sa.Column("id", sa.Integer, primary_key=True),
        _user(),
        _grid(),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        _at("started_at"),
        _at("ended_at", nullable=True),
        sa.CheckConstraint("state IN ('open', 'ended')", name="patrol_state"),
        sa.CheckConstraint("source IN ('phone', 'gpx')", name="patrol_source"),
        sa.CheckConstraint("(state = 'ended') = (ended_at IS NOT NULL)", name="patrol_ended"),
    )
    op.create_index("ix_patrol_user_id", "patrol", ["user_id"])
    op.create_table(
        "track_point",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column(
            "patrol_id",
            sa.Integer,
            sa.ForeignKey("patrol.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("seq", sa.BigInteger, nullable=False),
        _at("at"),
        sa.Column("accuracy", sa.Float),
        _geom(),
        sa.UniqueConstraint("patrol_id", "seq", name="track_point_seq"),
    )
    op.create_index("ix_track_point_patrol_at", "track_point", ["patrol_id", "at"])
    op.create_index("ix_track_point_at", "track_point", ["at"])
    op.create_index("ix_track_point_geom", "track_point", ["geom"], postgresql_using="gist")
    op.create_table(
        "check_in",
        sa.Column("id", sa.Integer, primary_key=True),
        _user(),
        _grid(),
        sa.Column("building_id", sa.Integer, sa.ForeignKey("building.id", ondelete="SET NULL")),
        sa.Column("kind", sa.String(16), nullable=False),
        _at("at"),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        _geom(),
        sa.CheckConstraint("kind IN ('visit', 'inspection', 'key_place')", name="check_in_kind"),
    )
    op.create_index("ix_check_in_user_at", "check_in", ["user_id", "at"])
    op.create_index("ix_check_in_geom", "check_in", ["geom"], postgresql_using="gist")
    op.create_table(
        "absence",
        sa.Column("id", sa.Integer, primary_key=True),
        _user(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        _at("starts_at"),
        _at("ends_at"),
        _at("reported_at"),
        sa.CheckConstraint("kind IN ('outing', 'training', 'leave')", name="absence_kind"),
        sa.CheckConstraint("ends_at > starts_at", name="absence_period"),
    )
    op.create_index("ix_absence_user_starts", "absence", ["user_id", "starts_at"])
    op.create_table(
        "patrol_day",
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("app_user.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("day", sa.Date, primary_key=True),
        _grid(),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("seconds_tracked", sa.Float, nullable=False),
        sa.Column("seconds_in_grid", sa.Float, nullable=False),
        sa.Column("metres", sa.Float, nullable=False),
        sa.Column("buildings_passed", sa.Integer, nullable=False),
        sa.Column("jumps", sa.Integer, nullable=False, server_default="0"),
        _at("pruned_at"),
    )


def downgrade() -> None:
    for table in ("patrol_day", "absence", "check_in", "track_point", "patrol"):
        op.drop_table(table)
