"""议事协商 and 项目清单: council venues, councils (topics), the five parties invited, the four
steps with dates and minutes, who does what; projects grouping needs.

A council moves through 了解诉求 → 分析研判 → 议事会商 → 落实问效; each step is one row of
``council_step`` (unique per council and step, so a step cannot be recorded twice even by two
requests at once) and the council's ``status`` says how far it has gone. A topic comes from a need,
an incident or the community (``origin``), and names the one it came from; an incident is raised
as a council topic at most once (a partial unique index).

A project (项目清单) groups needs of one community that a paired unit funds or runs; a need
belongs to one project at most (the primary key of ``project_need`` is the need).

``need_intake`` counts the needs residents post through the public form (a digest of the
client's address and the time, nothing else), so that the form can be rate-limited across
server processes.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

# Spelled out here, not imported: a migration must keep meaning what it meant when written.
VENUE_KINDS = "'home', 'hall', 'lawn'"
ORIGINS = "'need', 'incident', 'community'"
STATUSES = "'raised', 'understood', 'analysed', 'deliberated', 'settled'"
STEPS = "'understand', 'analyse', 'deliberate', 'follow_up'"
PARTIES = "'party_committee', 'owners_committee', 'property', 'residents', 'paired_unit'"


def _geom() -> sa.Column[Any]:
    return sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False)


def _fk(name: str, table: str, ondelete: str = "CASCADE", **kw: Any) -> sa.Column[Any]:
    return sa.Column(name, sa.Integer, sa.ForeignKey(f"{table}.id", ondelete=ondelete), **kw)


def upgrade() -> None:
    op.create_table(
        "council_venue",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(24), nullable=False, unique=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        _fk("community_id", "community", nullable=False),
        _geom(),
        sa.CheckConstraint(f"kind IN ({VENUE_KINDS})", name="council_venue_kind"),
    )
    op.create_index("ix_council_venue_community_id", "council_venue", ["community_id"])
    op.create_index("ix_council_venue_geom", "council_venue", ["geom"], postgresql_using="gist")
    op.create_table(
        "council",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(24), nullable=False, unique=True),
        sa.Column("title", sa.String(128), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("origin", sa.String(12), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        _fk("community_id", "community", nullable=False),
        _fk("grid_id", "grid", "SET NULL"),
        _fk("venue_id", "council_venue", "SET NULL"),
        _fk("need_id", "need", "SET NULL"),
        _fk("incident_id", "incident", "SET NULL"),
        sa.Column("decision", sa.Text, nullable=False, server_default=""),
        sa.Column("rating", sa.SmallInteger),
        sa.Column("raised_by", sa.String(80), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("held_on", sa.Date),
        sa.Column("settled_on", sa.Date),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _geom(),
        sa.CheckConstraint(f"origin IN ({ORIGINS})", name="council_origin"),
        sa.CheckConstraint(f"status IN ({STATUSES})", name="council_status"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="council_rating"),
        sa.CheckConstraint(
            "(status = 'settled') = (settled_on IS NOT NULL)", name="council_settled_on"
        ),
    )
    op.create_index("ix_council_community_status", "council", ["community_id", "status"])
    op.create_index("ix_council_grid_id", "council", ["grid_id"])
    op.create_index("ix_council_need_id", "council", ["need_id"])
    op.create_index("ix_council_venue_id", "council", ["venue_id"])
    op.create_index(
        "ix_council_incident_once",
        "council",
        ["incident_id"],
        unique=True,
        postgresql_where=sa.text("incident_id IS NOT NULL"),
    )
    op.create_index("ix_council_geom", "council", ["geom"], postgresql_using="gist")
    op.create_table(
        "council_party",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("council_id", "council", nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        _fk("unit_id", "paired_unit", "SET NULL"),
        sa.Column("attended", sa.Boolean),
        sa.CheckConstraint(f"role IN ({PARTIES})", name="council_party_role"),
        sa.UniqueConstraint("council_id", "role", name="council_party_once"),
    )
    op.create_index("ix_council_party_unit_id", "council_party", ["unit_id"])
    op.create_table(
        "council_step",
        sa.Column("id", sa.BigInteger, primary_key=True),
        _fk("council_id", "council", nullable=False),
        sa.Column("step", sa.String(12), nullable=False),
        sa.Column("held_on", sa.Date, nullable=False),
        sa.Column("minutes", sa.Text, nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"step IN ({STEPS})", name="council_step_step"),
        sa.UniqueConstraint("council_id", "step", name="council_step_once"),
    )
    op.create_table(
        "council_assignment",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("council_id", "council", nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("task", sa.Text, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("done", sa.Boolean, nullable=False, server_default="false"),
        sa.CheckConstraint(f"role IN ({PARTIES})", name="council_assignment_role"),
    )
    op.create_index("ix_council_assignment_council_id", "council_assignment", ["council_id"])
    op.create_table(
        "project",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(24), nullable=False, unique=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        _fk("community_id", "community", nullable=False),
        _fk("unit_id", "paired_unit", nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('funds', 'runs')", name="project_role"),
    )
    op.create_index("ix_project_community_id", "project", ["community_id"])
    op.create_index("ix_project_unit_id", "project", ["unit_id"])
    op.create_table(
        "project_need",
        sa.Column(
            "need_id",
            sa.Integer,
            sa.ForeignKey("need.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        _fk("project_id", "project", nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_project_need_project_id", "project_need", ["project_id"])
    op.create_table(
        "need_intake",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("client_key", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_need_intake_client_at", "need_intake", ["client_key", "at"])
    op.create_index("ix_need_intake_at", "need_intake", ["at"])


def downgrade() -> None:
    for table in (
        "need_intake",
        "project_need",
        "project",
        "council_assignment",
        "council_step",
        "council_party",
        "council",
        "council_venue",
    ):
        op.drop_table(table)
