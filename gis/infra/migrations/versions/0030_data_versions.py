"""Data versions: a counter per subject (grids, places, incidents) that every committed write
to one of its tables bumps, so that an answer computed once can be served again until the data
under it change (gis.infra.answers).

Triggers rather than calls in each write path: editor applies, undos, reverts, adoptions,
imports, loads and a hand-run ``psql`` all count, and a write path added later cannot forget.
A statement trigger notes the subject in a transaction-local setting (``gridmap.dirty``; and
``gridmap.wrote``, which tells a reader that this transaction's answers are its own) and, on
the transaction's first write, queues one *deferred* event; at commit that event bumps the
noted counters in name order. So a counter row is locked only for the instant of a commit,
never for the length of a long import, and two commits cannot deadlock on them; a rolled-back
transaction bumps nothing.

Revision ID: 0030
Revises: 0026
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0026"
branch_labels = None
depends_on = None

#: subject → the tables whose writes change it (gis.infra.versions.SUBJECTS says the same)
SUBJECTS = {
    "grids": ("grid_layer", "grid", "grid_unit"),
    "places": ("district", "street", "community", "base_unit", "building"),
    "incidents": ("incident", "incident_transition"),
}

NOTE = """
CREATE FUNCTION gridmap_note_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    dirty text := coalesce(current_setting('gridmap.dirty', true), '');
BEGIN
    IF position(';' || TG_ARGV[0] || ';' IN ';' || dirty) = 0 THEN
        PERFORM set_config('gridmap.dirty', dirty || TG_ARGV[0] || ';', true);
        PERFORM set_config('gridmap.wrote', 'yes', true);
        IF dirty = '' THEN
            INSERT INTO data_change DEFAULT VALUES;  -- one deferred event per transaction
        END IF;
    END IF;
    RETURN NULL;
END $$;
"""

BUMP = """
CREATE FUNCTION gridmap_bump_versions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    subjects text[] := array_remove(
        string_to_array(coalesce(current_setting('gridmap.dirty', true), ''), ';'), '');
BEGIN
    PERFORM 1 FROM data_version WHERE subject = ANY (subjects) ORDER BY subject FOR UPDATE;
    UPDATE data_version SET version = version + 1 WHERE subject = ANY (subjects);
    DELETE FROM data_change;  -- only this transaction's row is visible to it
    -- fired early (SET CONSTRAINTS ... IMMEDIATE), later writes queue a new event
    PERFORM set_config('gridmap.dirty', '', true);
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("subject", sa.String(20), primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.execute(
        "INSERT INTO data_version (subject) VALUES "
        + ", ".join(f"('{s}')" for s in sorted(SUBJECTS))
    )
    op.create_table("data_change", sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True))
    op.execute(NOTE)
    op.execute(BUMP)
    op.execute(
        "CREATE CONSTRAINT TRIGGER data_change_bump AFTER INSERT ON data_change "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gridmap_bump_versions()"
    )
    for subject, tables in SUBJECTS.items():
        for table in tables:
            op.execute(
                f"CREATE TRIGGER {table}_note_write "
                f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION gridmap_note_write('{subject}')"
            )


def downgrade() -> None:
    for tables in SUBJECTS.values():
        for table in tables:
            op.execute(f"DROP TRIGGER {table}_note_write ON {table}")
    op.execute("DROP TRIGGER data_change_bump ON data_change")
    op.execute("DROP FUNCTION gridmap_bump_versions()")
    op.execute("DROP FUNCTION gridmap_note_write()")
    op.drop_table("data_change")
    op.drop_table("data_version")
