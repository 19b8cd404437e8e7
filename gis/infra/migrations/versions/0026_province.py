"""The provincial office: a ``province`` role and scope level, and the names of cities.

A province user (省级工作人员) holds a ``province:36`` scope (or a ``city:3610`` one) and compares
the cities, counties and streets under it. Cities have no outline table of their own (a county's
code starts with its city's four digits); ``city`` keeps their names, filled from a province
package's ``cities`` layer, so that a roll-up by city reads 抚州市 rather than 3610.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

# Spelled out here, not imported: a migration keeps meaning what it meant when written.
OLD_ROLES = "'admin', 'planner', 'county', 'department', 'party', 'field_worker', 'taker'"
NEW_ROLES = OLD_ROLES + ", 'province'"
OLD_LEVELS = "'city', 'district', 'street', 'community', 'grid'"
NEW_LEVELS = OLD_LEVELS + ", 'province'"


def upgrade() -> None:
    op.drop_constraint("app_user_role", "app_user")
    op.create_check_constraint("app_user_role", "app_user", f"role IN ({NEW_ROLES})")
    op.drop_constraint("app_user_scope_level", "app_user")
    op.create_check_constraint("app_user_scope_level", "app_user", f"scope_level IN ({NEW_LEVELS})")
    op.create_table(
        "city",
        sa.Column("code", sa.String(4), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.CheckConstraint("code ~ '^[0-9]{4}$'", name="city_code_digits"),
    )


def downgrade() -> None:
    op.drop_table("city")
    op.execute("DELETE FROM app_user WHERE role = 'province' OR scope_level = 'province'")
    op.drop_constraint("app_user_scope_level", "app_user")
    op.create_check_constraint("app_user_scope_level", "app_user", f"scope_level IN ({OLD_LEVELS})")
    op.drop_constraint("app_user_role", "app_user")
    op.create_check_constraint("app_user_role", "app_user", f"role IN ({OLD_ROLES})")
