"""三张清单 and 双报到: needs, orders, their history, paired units, member registrations,
volunteer teams, and the ``taker`` role whose users act for one of them.

The rules that must hold whatever writes the tables are constraints here: a member is registered
with one community at a time and a unit paired once with a community (exclusion constraints over
the periods, btree_gist from 0005), an order names exactly the taker of its kind, and a need has at
most one live order (a partial unique index: a second dispatch or a double accept cannot slip in
between two requests).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# Spelled out here, not imported: a migration must keep meaning what it meant when written.
OLD_ROLES = "'admin', 'planner', 'county', 'department', 'party', 'field_worker'"
NEW_ROLES = OLD_ROLES + ", 'taker'"
PERIOD = "daterange(starts_on, ends_on, '[]')"
ONE_TAKER = (
    "(taker_kind = 'unit') = (unit_id IS NOT NULL)"
    " AND (taker_kind = 'member') = (member_id IS NOT NULL)"
    " AND (taker_kind = 'team') = (team_id IS NOT NULL)"
)
KINDS = "'wish', 'elderly', 'disabled', 'childcare', 'repair', 'legal', 'health', 'other'"
STATUSES = "'open', 'dispatched', 'accepted', 'done', 'evaluated', 'cancelled'"
SOURCES = "'resident', 'field', 'staff', 'incident'"
TAKER_KIND = "taker_kind IN ('unit', 'member', 'team')"
ORDER_STATES = "'dispatched', 'accepted', 'declined', 'done', 'withdrawn'"


def _geom() -> sa.Column[Any]:
    return sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False)


def _skills() -> sa.Column[Any]:
    return sa.Column("skills", ARRAY(sa.String(16)), nullable=False, server_default="{}")


def _fk(name: str, table: str, ondelete: str = "CASCADE", **kw: Any) -> sa.Column[Any]:
    return sa.Column(name, sa.Integer, sa.ForeignKey(f"{table}.id", ondelete=ondelete), **kw)


def _at(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _takers() -> list[sa.Column[Any]]:
    return [
        sa.Column("taker_kind", sa.String(8), nullable=False),
        _fk("unit_id", "paired_unit"),
        _fk("member_id", "party_member"),
        _fk("team_id", "volunteer_team"),
    ]


def upgrade() -> None:
    op.drop_constraint("app_user_role", "app_user")
    op.create_check_constraint("app_user_role", "app_user", f"role IN ({NEW_ROLES})")
    op.create_table(
        "paired_unit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(24), nullable=False, unique=True),
        sa.Column("name", sa.String(128), nullable=False),
        _fk("organisation_id", "party_organisation", "SET NULL"),
        sa.Column("offer", sa.Text, nullable=False, server_default=""),
        _skills(),
        sa.Column("hours_per_month", sa.Float, nullable=False),
        _geom(),
        sa.CheckConstraint("hours_per_month >= 0", name="paired_unit_hours"),
    )
    op.create_index("ix_paired_unit_geom", "paired_unit", ["geom"], postgresql_using="gist")
    op.create_table(
        "unit_pairing",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("unit_id", "paired_unit", nullable=False),
        _fk("community_id", "community", nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="unit_pairing_period"),
    )
    op.create_index("ix_unit_pairing_community_id", "unit_pairing", ["community_id"])
    op.execute(
        "ALTER TABLE unit_pairing ADD CONSTRAINT unit_pairing_once EXCLUDE USING gist "
        f"(unit_id WITH =, community_id WITH =, {PERIOD} WITH &&)"
    )
    op.create_table(
        "member_registration",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("member_id", "party_member", nullable=False),
        _fk("community_id", "community", nullable=False),
        _skills(),
        sa.Column("hours_per_month", sa.Float, nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on", name="member_registration_period"
        ),
        sa.CheckConstraint("hours_per_month >= 0", name="member_registration_hours"),
    )
    op.create_index("ix_member_registration_member_id", "member_registration", ["member_id"])
    op.create_index("ix_member_registration_community_id", "member_registration", ["community_id"])
    op.execute(
        "ALTER TABLE member_registration ADD CONSTRAINT member_registration_one_community "
        f"EXCLUDE USING gist (member_id WITH =, {PERIOD} WITH &&)"
    )
    op.create_table(
        "volunteer_team",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(24), nullable=False, unique=True),
        sa.Column("name", sa.String(128), nullable=False),
        _fk("community_id", "community", nullable=False),
        _skills(),
        sa.Column("hours_per_month", sa.Float, nullable=False),
        sa.Column("volunteers", sa.Integer, nullable=False, server_default="0"),
        _geom(),
        sa.CheckConstraint("hours_per_month >= 0", name="volunteer_team_hours"),
    )
    op.create_index("ix_volunteer_team_community_id", "volunteer_team", ["community_id"])
    op.create_index("ix_volunteer_team_geom", "volunteer_team", ["geom"], postgresql_using="gist")
    op.create_table(
        "need",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(24), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(128), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        _fk("community_id", "community", nullable=False),
        _fk("grid_id", "grid", "SET NULL"),
        _fk("building_id", "building", "SET NULL"),
        _fk("entrance_id", "building_entrance", "SET NULL"),
        _fk("incident_id", "incident", "SET NULL"),
        sa.Column("requester_name", sa.String(32), nullable=False),
        sa.Column("requester_phone", sa.String(20), nullable=False),
        sa.Column("hours", sa.Float, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("source", sa.String(12), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        _geom(),
        sa.CheckConstraint(f"kind IN ({KINDS})", name="need_kind"),
        sa.CheckConstraint(f"status IN ({STATUSES})", name="need_status"),
        sa.CheckConstraint(f"source IN ({SOURCES})", name="need_source"),
        sa.CheckConstraint("hours > 0", name="need_hours"),
    )
    op.create_index("ix_need_community_status", "need", ["community_id", "status"])
    op.create_index("ix_need_grid_id", "need", ["grid_id"])
    op.create_index("ix_need_geom", "need", ["geom"], postgresql_using="gist")
    op.create_table(
        "need_order",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("need_id", "need", nullable=False),
        *_takers(),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("hours_given", sa.Float),
        sa.Column("rating", sa.SmallInteger),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("dispatched_by", sa.String(80), nullable=False),
        _at("dispatched_at"),
        _at("answered_at", nullable=True),
        _at("done_at", nullable=True),
        sa.CheckConstraint(TAKER_KIND, name="need_order_taker_kind"),
        sa.CheckConstraint(f"state IN ({ORDER_STATES})", name="need_order_state"),
        sa.CheckConstraint(ONE_TAKER, name="need_order_one_taker"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="need_order_rating"),
        sa.CheckConstraint("hours_given >= 0", name="need_order_hours"),
    )
    for column in ("need_id", "unit_id", "member_id", "team_id"):
        op.create_index(f"ix_need_order_{column}", "need_order", [column])
    op.create_index(
        "ix_need_order_live",
        "need_order",
        ["need_id"],
        unique=True,
        postgresql_where=sa.text("state IN ('dispatched', 'accepted')"),
    )
    op.create_table(
        "need_event",
        sa.Column("id", sa.BigInteger, primary_key=True),
        _fk("need_id", "need", nullable=False),
        _at("at"),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(12)),
        sa.Column("to_status", sa.String(12), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_need_event_need_id", "need_event", ["need_id"])
    op.create_table(
        "taker_account",
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("app_user.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        *_takers(),
        sa.CheckConstraint(ONE_TAKER, name="taker_account_one_taker"),
    )


def downgrade() -> None:
    for table in (
        "taker_account",
        "need_event",
        "need_order",
        "need",
        "volunteer_team",
        "member_registration",
        "unit_pairing",
        "paired_unit",
    ):
        op.drop_table(table)
    op.execute("DELETE FROM app_user WHERE role = 'taker'")
    op.drop_constraint("app_user_role", "app_user")
    op.create_check_constraint("app_user_role", "app_user", f"role IN ({OLD_ROLES})")
