"""An index under every foreign key.

Deleting a row checks, nulls or deletes every row that points at it; without an index on the
pointing column that is a scan of the whole pointing table for each deleted row. Reloading the
sample city (``gridmap load-sample --replace``) spent over 15 minutes in one statement deleting
30,000 incidents, scanning 110,000 needs each time for ``need.incident_id``.
``tests/test_migrations.py::test_every_foreign_key_has_an_index`` keeps it so.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

#: (table, column): the foreign keys that had no index leading with their column.
COLUMNS = [
    ("assignment_archive", "organisation_id"),
    ("check_in", "building_id"),
    ("check_in", "grid_id"),
    ("grid_edit", "undoes"),
    ("grid_edit", "undone_by"),
    ("grid_edit_move", "unit_id"),
    ("grid_unit", "unit_id"),
    ("need", "building_id"),
    ("need", "entrance_id"),
    ("need", "incident_id"),
    ("paired_unit", "organisation_id"),
    ("party_organisation", "community_id"),
    ("patrol", "grid_id"),
    ("patrol_day", "grid_id"),
    ("taker_account", "member_id"),
    ("taker_account", "team_id"),
    ("taker_account", "unit_id"),
]


def upgrade() -> None:
    for table, column in COLUMNS:
        op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade() -> None:
    for table, column in reversed(COLUMNS):
        op.drop_index(f"ix_{table}_{column}", table_name=table)
