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

# The layer is looked up with a LEFT JOIN: when a whole layer is deleted, its row is gone by the
# time the cascade reaches its grids, and the assignments are still worth keeping.
ARCHIVE_FUNCTION = """
CREATE FUNCTION archive_grid_assignments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO assignment_archive (id, member_id, role, layer_code, grid_code, starts_on,
                                    ends_on, organisation_id, created_at)
    SELECT a.id, a.member_id, a.role, l.code, OLD.code, a.starts_on,
           coalesce(a.ends_on, greatest(a.starts_on, (now() AT TIME ZONE 'Asia/Shanghai')::date)),
           a.organisation_id,
           a.created_at
    FROM assignment a LEFT JOIN grid_layer l ON l.id = OLD.layer_id
    WHERE a.grid_id = OLD.id;
    RETURN OLD;
END
$$
"""


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
    # A grid can go (an editor merge empties it, a layer is re-imported); its assignments would go
    # with it (ON DELETE CASCADE), and with them the record of who led it. A trigger files them
    # here first, under the grid's layer and code, ended on the day (China time) the grid went.
    op.create_table(
        "assignment_archive",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column(
            "member_id",
            sa.Integer,
            sa.ForeignKey("party_member.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("role", sa.String(24), nullable=False),
        sa.Column("layer_code", sa.String(64)),
        sa.Column("grid_code", sa.String(15), nullable=False, index=True),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column(
            "organisation_id",
            sa.Integer,
            sa.ForeignKey("party_organisation.id", ondelete="SET NULL"),
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "archived_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.execute(ARCHIVE_FUNCTION)
    op.execute(
        "CREATE TRIGGER grid_archive_assignments BEFORE DELETE ON grid "
        "FOR EACH ROW EXECUTE FUNCTION archive_grid_assignments()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER grid_archive_assignments ON grid")
    op.execute("DROP FUNCTION archive_grid_assignments()")
    op.drop_table("assignment_archive")
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
