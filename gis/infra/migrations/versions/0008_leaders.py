"""Leaders and incidents survive merges, reverts and adoptions.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

- ``assignment_archive.reason``: why an assignment was filed away — 网格删除 (its grid was
  deleted: what the trigger of migration 0005 files) or 网格合并 (two grids became one and the
  other grid's leader stays, see :mod:`gis.party.succession`).
- ``grid_edit_assignment``: what an edit did to the party assignments of the grids it touched
  (moved to the grid that took the units over, archived, restored from the archive), in order,
  so that undo and revert can run it backwards and bring a restored grid's leader back.
- An incident's grid is the unified grid that holds its base unit, kept so by the database in
  the same transaction as whatever changes it: a row trigger on ``incident`` derives it when the
  incident is written or its unit changes; statement triggers on ``grid_unit`` re-point the
  incidents of every unit that joins, moves within or leaves the unified layer (editor edits,
  undo, revert, imports); a trigger on ``grid_layer`` re-points them all when another layer
  becomes the unified one (adoption). Nothing that writes these tables can leave a link stale.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Spelled out here, not imported: a migration must keep meaning what it meant when written.
GRID_OF_UNIT = """
CREATE FUNCTION incident_grid_of_unit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.base_unit_id IS NOT NULL THEN
        NEW.grid_id := (SELECT gu.grid_id FROM grid_unit gu
                        JOIN grid_layer l ON l.id = gu.layer_id AND l.code = 'unified'
                        WHERE gu.unit_id = NEW.base_unit_id);
    END IF;
    RETURN NEW;
END
$$
"""
UNITS_CHANGED = """
CREATE FUNCTION incident_grid_units_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE incident i SET grid_id = n.grid_id
    FROM changed_units n JOIN grid_layer l ON l.id = n.layer_id AND l.code = 'unified'
    WHERE i.base_unit_id = n.unit_id AND i.grid_id IS DISTINCT FROM n.grid_id;
    RETURN NULL;
END
$$
"""
UNITS_LEFT = """
CREATE FUNCTION incident_grid_units_left() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE incident i SET grid_id = NULL
    FROM left_units o
    WHERE i.base_unit_id = o.unit_id AND i.grid_id = o.grid_id;
    RETURN NULL;
END
$$
"""
LAYER_PROMOTED = """
CREATE FUNCTION incident_grid_layer_promoted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE incident i SET grid_id = gu.grid_id FROM grid_unit gu
    WHERE gu.layer_id = NEW.id AND gu.unit_id = i.base_unit_id
      AND i.grid_id IS DISTINCT FROM gu.grid_id;
    UPDATE incident i SET grid_id = NULL
    WHERE i.grid_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM grid_unit gu WHERE gu.layer_id = NEW.id AND gu.unit_id = i.base_unit_id);
    RETURN NULL;
END
$$
"""
TRIGGERS = {
    "incident_grid_of_unit": (
        "BEFORE INSERT OR UPDATE OF base_unit_id ON incident FOR EACH ROW",
        "incident_grid_of_unit",
    ),
    "grid_unit_incidents_inserted": (
        "AFTER INSERT ON grid_unit REFERENCING NEW TABLE AS changed_units FOR EACH STATEMENT",
        "incident_grid_units_changed",
    ),
    "grid_unit_incidents_moved": (
        "AFTER UPDATE ON grid_unit REFERENCING NEW TABLE AS changed_units FOR EACH STATEMENT",
        "incident_grid_units_changed",
    ),
    "grid_unit_incidents_left": (
        "AFTER DELETE ON grid_unit REFERENCING OLD TABLE AS left_units FOR EACH STATEMENT",
        "incident_grid_units_left",
    ),
    "grid_layer_incidents_promoted": (
        "AFTER UPDATE OF code ON grid_layer FOR EACH ROW "
        "WHEN (NEW.code = 'unified' AND OLD.code IS DISTINCT FROM 'unified')",
        "incident_grid_layer_promoted",
    ),
}
FUNCTIONS = (GRID_OF_UNIT, UNITS_CHANGED, UNITS_LEFT, LAYER_PROMOTED)
# Links that went stale before this revision: every incident's grid is its unit's unified grid.
RELINK = """
UPDATE incident i SET grid_id = gu.grid_id FROM grid_unit gu
JOIN grid_layer l ON l.id = gu.layer_id AND l.code = 'unified'
WHERE gu.unit_id = i.base_unit_id AND i.grid_id IS DISTINCT FROM gu.grid_id
"""


def upgrade() -> None:
    op.add_column(
        "assignment_archive",
        sa.Column("reason", sa.String(32), nullable=False, server_default="网格删除"),
    )
    op.create_table(
        "grid_edit_assignment",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "edit_id",
            sa.BigInteger,
            sa.ForeignKey("grid_edit.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("assignment_id", sa.Integer, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_code", sa.String(15)),  # the grid it was on, code before the edit
        sa.Column("to_code", sa.String(15)),  # moved: the grid it is on, code after the edit
        sa.Column("ends_on", sa.Date),  # archived: its end before it was archived (NULL: open)
        sa.Column("reason", sa.String(32)),
        sa.CheckConstraint(
            "action IN ('moved', 'archived', 'restored')", name="grid_edit_assignment_action"
        ),
    )
    for function in FUNCTIONS:
        op.execute(function)
    for name, (when, function) in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION {function}()")
    op.execute(RELINK)


def downgrade() -> None:
    for name, (when, _function) in TRIGGERS.items():
        table = when.split(" ON ")[1].split()[0]
        op.execute(f"DROP TRIGGER {name} ON {table}")
    for function in (
        "incident_grid_of_unit",
        "incident_grid_units_changed",
        "incident_grid_units_left",
        "incident_grid_layer_promoted",
    ):
        op.execute(f"DROP FUNCTION {function}()")
    op.drop_table("grid_edit_assignment")
    op.drop_column("assignment_archive", "reason")
