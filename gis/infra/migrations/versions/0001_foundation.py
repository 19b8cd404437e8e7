"""Foundation: admin hierarchy, base units, buildings, grid layers, incidents, party, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _geom(kind: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column("geom", Geometry(kind, srid=4326, spatial_index=False), nullable=nullable)


def _gist(table: str, column: str = "geom") -> None:
    op.create_index(f"ix_{table}_{column}", table, [column], postgresql_using="gist")


def _pk() -> sa.Column[Any]:
    return sa.Column("id", sa.Integer, primary_key=True)


def _counts() -> list[sa.Column[Any]]:
    return [
        sa.Column(name, sa.Integer, nullable=False, server_default="0")
        for name in ("households", "population", "buildings", "incidents_per_year", "care_people")
    ]


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    op.create_table(
        "district",
        _pk(),
        sa.Column("code", sa.String(6), nullable=False, unique=True),
        sa.Column("name", sa.String(64), nullable=False),
        _geom("MULTIPOLYGON"),
    )
    op.create_table(
        "street",
        _pk(),
        sa.Column("code", sa.String(9), nullable=False, unique=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column(
            "district_id",
            sa.Integer,
            sa.ForeignKey("district.id", ondelete="CASCADE"),
            nullable=False,
        ),
        _geom("MULTIPOLYGON"),
    )
    op.create_table(
        "community",
        _pk(),
        sa.Column("code", sa.String(12), nullable=False, unique=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False, server_default="urban"),
        sa.Column(
            "street_id", sa.Integer, sa.ForeignKey("street.id", ondelete="CASCADE"), nullable=False
        ),
        _geom("MULTIPOLYGON"),
        sa.CheckConstraint("kind IN ('urban', 'village')", name="community_kind"),
    )
    op.create_table(
        "base_unit",
        _pk(),
        sa.Column("code", sa.String(24), nullable=False, unique=True),
        sa.Column(
            "community_id",
            sa.Integer,
            sa.ForeignKey("community.id", ondelete="CASCADE"),
            nullable=False,
        ),
        *_counts(),
        sa.Column("area_m2", sa.Float, nullable=False, server_default="0"),
        _geom("POLYGON"),
    )
    op.create_table(
        "building",
        _pk(),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column(
            "base_unit_id",
            sa.Integer,
            sa.ForeignKey("base_unit.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("households", sa.Integer, nullable=False, server_default="0"),
        sa.Column("population", sa.Integer, nullable=False, server_default="0"),
        sa.Column("floors", sa.Integer, nullable=False, server_default="1"),
        sa.Column("entrance_units", sa.Integer, nullable=False, server_default="1"),
        _geom("POLYGON"),
    )
    op.create_table(
        "building_entrance",
        _pk(),
        sa.Column(
            "building_id",
            sa.Integer,
            sa.ForeignKey("building.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("households", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("building_id", "number"),
    )
    op.create_table(
        "grid_layer",
        _pk(),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("department", sa.String(64)),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint("kind IN ('department', 'unified', 'scenario')", name="grid_layer_kind"),
    )
    op.create_table(
        "grid",
        _pk(),
        sa.Column(
            "layer_id",
            sa.Integer,
            sa.ForeignKey("grid_layer.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("code", sa.String(15), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("community.id", ondelete="SET NULL")),
        sa.Column("unit_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("community_count", sa.Integer, nullable=False, server_default="0"),
        *_counts(),
        sa.Column("workload", sa.Float, nullable=False, server_default="0"),
        sa.Column("area_m2", sa.Float, nullable=False, server_default="0"),
        _geom("MULTIPOLYGON", nullable=True),
        sa.UniqueConstraint("layer_id", "code"),
    )
    op.create_table(
        "grid_unit",
        sa.Column(
            "layer_id",
            sa.Integer,
            sa.ForeignKey("grid_layer.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "unit_id",
            sa.Integer,
            sa.ForeignKey("base_unit.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "grid_id", sa.Integer, sa.ForeignKey("grid.id", ondelete="CASCADE"), nullable=False
        ),
    )
    op.create_table(
        "incident",
        _pk(),
        sa.Column("code", sa.String(16), nullable=False, unique=True),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reporter_kind", sa.String(16), nullable=False),
        sa.Column("department", sa.String(64)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("base_unit_id", sa.Integer, sa.ForeignKey("base_unit.id", ondelete="SET NULL")),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("community.id", ondelete="SET NULL")),
        _geom("POINT"),
    )
    op.create_table(
        "party_organisation",
        _pk(),
        sa.Column("code", sa.String(16), nullable=False, unique=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("community.id", ondelete="SET NULL")),
    )
    op.create_table(
        "party_member",
        _pk(),
        sa.Column("code", sa.String(16), nullable=False, unique=True),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column(
            "organisation_id",
            sa.Integer,
            sa.ForeignKey("party_organisation.id", ondelete="SET NULL"),
        ),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("community.id", ondelete="SET NULL")),
        _geom("POINT"),
    )
    op.create_table(
        "assignment",
        _pk(),
        sa.Column(
            "member_id",
            sa.Integer,
            sa.ForeignKey("party_member.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("role", sa.String(24), nullable=False),
        sa.Column("grid_id", sa.Integer, sa.ForeignKey("grid.id", ondelete="CASCADE")),
        sa.Column("building_id", sa.Integer, sa.ForeignKey("building.id", ondelete="CASCADE")),
        sa.Column(
            "entrance_id", sa.Integer, sa.ForeignKey("building_entrance.id", ondelete="CASCADE")
        ),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date),
        sa.CheckConstraint(
            "(grid_id IS NOT NULL)::int + (building_id IS NOT NULL)::int"
            " + (entrance_id IS NOT NULL)::int = 1",
            name="assignment_one_target",
        ),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="assignment_period"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(64)),
        sa.Column("before", JSONB),
        sa.Column("after", JSONB),
    )

    for table in (
        "district",
        "street",
        "community",
        "base_unit",
        "building",
        "grid",
        "incident",
        "party_member",
    ):
        _gist(table)
    for table, column in (
        ("street", "district_id"),
        ("community", "street_id"),
        ("base_unit", "community_id"),
        ("building", "base_unit_id"),
        ("grid", "community_id"),
        ("grid_unit", "grid_id"),
        ("incident", "category"),
        ("incident", "reported_at"),
        ("incident", "state"),
        ("incident", "base_unit_id"),
        ("incident", "community_id"),
        ("party_member", "organisation_id"),
        ("party_member", "community_id"),
        ("assignment", "member_id"),
        ("assignment", "grid_id"),
        ("assignment", "building_id"),
        ("audit_log", "at"),
    ):
        op.create_index(f"ix_{table}_{column}", table, [column])

    # The audit log is append-only: the database itself refuses to rewrite history.
    op.execute(
        """
        CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP;
        END $$;
        CREATE TRIGGER audit_log_no_rewrite BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_rewrite ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    for table in (
        "audit_log",
        "assignment",
        "party_member",
        "party_organisation",
        "incident",
        "grid_unit",
        "grid",
        "grid_layer",
        "building_entrance",
        "building",
        "base_unit",
        "community",
        "street",
        "district",
    ):
        op.drop_table(table)
