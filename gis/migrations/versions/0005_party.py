"""Party members and assignments: roles, periods, one leader at a time, the sending organisation.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

The rules that must hold whatever writes the table are constraints here, not only checks in
gis/party: a role names the kind of target it is over, and exclusion constraints (btree_gist)
refuse two grid leaders of one grid, two leaders of one building or one entrance, or one member
leading two grids, over periods that overlap. A period is ``[starts_on, ends_on]`` (both days
included; an open end is NULL). History is kept: ending an assignment sets ``ends_on``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Spelled out here, not imported: a migration must keep meaning what it meant when written.
ROLES = "'grid_leader', 'building_leader', 'unit_leader', 'cadre'"
PERIOD = "daterange(starts_on, ends_on, '[]')"
EXCLUSIONS = {
    "assignment_one_grid_leader": ("grid_id WITH =", "grid_leader"),
    "assignment_one_building_leader": ("building_id WITH =", "building_leader"),
    "assignment_one_unit_leader": ("entrance_id WITH =", "unit_leader"),
    "assignment_leads_one_grid": ("member_id WITH =", "grid_leader"),
    "assignment_cadre_once": ("member_id WITH =, grid_id WITH =", "cadre"),
}


def upgrade() -> None:
    # btree_gist lets a GiST exclusion constraint compare plain ids with "=" next to "&&".
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.add_column(
        "assignment",
        sa.Column(
            "organisation_id",
            sa.Integer,
            sa.ForeignKey("party_organisation.id", ondelete="SET NULL"),
        ),
    )
    op.add_column(
        "assignment",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_check_constraint("assignment_role", "assignment", f"role IN ({ROLES})")
    op.create_check_constraint(
        "assignment_role_target",
        "assignment",
        "(role IN ('grid_leader', 'cadre')) = (grid_id IS NOT NULL)"
        " AND (role = 'building_leader') = (building_id IS NOT NULL)"
        " AND (role = 'unit_leader') = (entrance_id IS NOT NULL)",
    )
    for name, (columns, role) in EXCLUSIONS.items():
        op.execute(
            f"ALTER TABLE assignment ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"({columns}, {PERIOD} WITH &&) WHERE (role = '{role}')"
        )
    op.create_index("ix_assignment_entrance_id", "assignment", ["entrance_id"])
    op.create_index("ix_assignment_organisation_id", "assignment", ["organisation_id"])
    # Nearest members in metres: KNN (<->) on geography walks this index in distance order.
    op.execute("CREATE INDEX ix_party_member_geog ON party_member USING gist ((geom::geography))")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_party_member_geog")
    op.drop_index("ix_assignment_organisation_id", "assignment")
    op.drop_index("ix_assignment_entrance_id", "assignment")
    for name in reversed(EXCLUSIONS):
        op.drop_constraint(name, "assignment")
    op.drop_constraint("assignment_role_target", "assignment")
    op.drop_constraint("assignment_role", "assignment")
    op.drop_column("assignment", "created_at")
    op.drop_column("assignment", "organisation_id")
    # btree_gist stays: another schema object may have come to use it.
