"""The nightly roll-up of patrol tracks: ``patrol_day`` holds every rolled-up worker-day (not
only pruned ones), with the buildings passed (their ids, so a month counts each building once)
and the check-ins; ``patrol_rollup`` lists the China days whose roll-up is complete.

Readers take a rolled-up day from ``patrol_day`` and any other day (today, a day not yet rolled
up) from the raw points, so a county's month reads ~30 rows per worker instead of ~20,000
points. Days already pruned before this revision are marked rolled up (their rows are the
figures).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def _points_for_ingest() -> None:
    """track_point is written 16 million rows a day (bench/patrols.py): every index costs.
    Its GiST index served only the score's buildings-visited search, which now starts from the
    buildings' index; the ``at`` btree becomes a BRIN (points arrive in time order; retention
    and the nightly roll-up read days of it); the phone's ``(patrol_id, seq)`` is the key."""
    op.drop_index("ix_track_point_geom", "track_point")
    op.drop_index("ix_track_point_at", "track_point")
    op.create_index("ix_track_point_at", "track_point", ["at"], postgresql_using="brin")
    op.drop_constraint("track_point_seq", "track_point", type_="unique")
    op.drop_column("track_point", "id")
    op.create_primary_key("track_point_pkey", "track_point", ["patrol_id", "seq"])


def upgrade() -> None:
    _points_for_ingest()
    op.alter_column("patrol_day", "pruned_at", nullable=True)
    op.add_column(
        "patrol_day",
        sa.Column(
            "building_ids",
            postgresql.ARRAY(sa.Integer),
            nullable=False,
            server_default="{}",
        ),
    )
    for name in ("check_ins", "key_places"):
        op.add_column("patrol_day", sa.Column(name, sa.Integer, nullable=False, server_default="0"))
    op.add_column("patrol_day", sa.Column("rolled_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE patrol_day SET rolled_at = pruned_at")
    op.alter_column("patrol_day", "rolled_at", nullable=False)
    op.create_index("ix_patrol_day_day", "patrol_day", ["day"])
    op.create_table(
        "patrol_rollup",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("rolled_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute(
        "INSERT INTO patrol_rollup (day, rolled_at) "
        "SELECT day, max(rolled_at) FROM patrol_day GROUP BY day"
    )


def downgrade() -> None:
    op.drop_constraint("track_point_pkey", "track_point", type_="primary")
    op.add_column("track_point", sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True))
    op.create_primary_key("track_point_id_pkey", "track_point", ["id"])
    op.create_unique_constraint("track_point_seq", "track_point", ["patrol_id", "seq"])
    op.drop_index("ix_track_point_at", "track_point")
    op.create_index("ix_track_point_at", "track_point", ["at"])
    op.create_index("ix_track_point_geom", "track_point", ["geom"], postgresql_using="gist")
    op.drop_table("patrol_rollup")
    op.drop_index("ix_patrol_day_day", "patrol_day")
    op.execute("DELETE FROM patrol_day WHERE pruned_at IS NULL")
    for name in ("rolled_at", "key_places", "check_ins", "building_ids"):
        op.drop_column("patrol_day", name)
    op.alter_column("patrol_day", "pruned_at", nullable=False)
