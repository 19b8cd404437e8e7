"""track_point without a per-row foreign key: the ingest of 17,000 workers' day (16.3 million
points, bench/patrols.py) spent about half its time in the foreign-key check on patrol (one
lookup per point).

Integrity is kept, set-based:

- on insert, :func:`gis.patrols.ingest.ingest` looks the upload's patrols up once each (``FOR
  KEY SHARE``, the lock a foreign key takes per row, so a patrol cannot be deleted while its
  points go in) and refuses the whole upload when one names no patrol;
- on delete, a statement trigger on patrol deletes the points of the patrols deleted (what
  ``ON DELETE CASCADE`` did; it also runs when deleting a user cascades to their patrols).

The ``(patrol_id, at)`` index stays (~20 % of the insert): a worker's page, score and late
re-roll find the period's points of the worker's patrols with it (EXPLAIN of FIGURES_SQL); by
the primary key alone they would read every point of every patrol still kept (a patrol left
open has no end, so its start does not bound its points).

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-08
"""

from __future__ import annotations

from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

CASCADE_FUNCTION = """
CREATE FUNCTION track_point_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM track_point t USING gone WHERE t.patrol_id = gone.id;
    RETURN NULL;
END $$
"""
CASCADE_TRIGGER = """
CREATE TRIGGER patrol_delete_points AFTER DELETE ON patrol
REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION track_point_cascade()
"""


def upgrade() -> None:
    op.drop_constraint("track_point_patrol_id_fkey", "track_point", type_="foreignkey")
    op.execute(CASCADE_FUNCTION)
    op.execute(CASCADE_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER patrol_delete_points ON patrol")
    op.execute("DROP FUNCTION track_point_cascade()")
    # The trigger and the ingest's check leave no orphan; should one exist (a row written by
    # hand), it could not satisfy the foreign key restored below: it goes, as a cascade would
    # have taken it.
    op.execute(
        "DELETE FROM track_point t "
        "WHERE NOT EXISTS (SELECT 1 FROM patrol p WHERE p.id = t.patrol_id)"
    )
    op.create_foreign_key(
        "track_point_patrol_id_fkey",
        "track_point",
        "patrol",
        ["patrol_id"],
        ["id"],
        ondelete="CASCADE",
    )
