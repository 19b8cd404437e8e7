"""Merge scenarios: county workload profiles, scenarios, durable jobs, adoption history.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Spelled out here, not imported: a migration must keep meaning what it meant when written.
SCENARIO_STATES = "'queued', 'running', 'done', 'failed', 'cancelled', 'adopted'"
JOB_STATES = "'queued', 'running', 'done', 'failed', 'cancelled'"


def _now() -> sa.Column[Any]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def upgrade() -> None:
    # An adopted scenario's layer becomes the unified one; the replaced layer is kept as history.
    op.drop_constraint("grid_layer_kind", "grid_layer", type_="check")
    op.create_check_constraint(
        "grid_layer_kind", "grid_layer", "kind IN ('department', 'unified', 'scenario', 'history')"
    )
    op.create_table(
        "workload_profile",
        sa.Column("district_code", sa.String(6), primary_key=True),
        *[
            sa.Column(name, sa.Float, nullable=False, server_default=default)
            for name, default in (
                ("households", "1"),
                ("population", "0"),
                ("buildings", "0"),
                ("incidents_per_year", "0"),
                ("care_people", "0"),
            )
        ],
        sa.Column("band_low", sa.Float, nullable=False),
        sa.Column("band_high", sa.Float, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint("band_low >= 0 AND band_low < band_high", name="workload_profile_band"),
    )
    op.create_table(
        "scenario",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("area_codes", ARRAY(sa.String(12)), nullable=False),
        sa.Column("params", JSONB, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="queued"),
        sa.Column(
            "layer_id",
            sa.Integer,
            sa.ForeignKey("grid_layer.id", ondelete="SET NULL"),
            unique=True,
        ),
        sa.Column("base_version", sa.Integer),
        sa.Column("report", JSONB),
        sa.Column("adoption", JSONB),
        sa.Column("created_by", sa.String(64), nullable=False),
        _now(),
        sa.Column("adopted_by", sa.String(64)),
        sa.Column("adopted_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(f"state IN ({SCENARIO_STATES})", name="scenario_state"),
    )
    op.create_table(
        "scenario_job",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "scenario_id",
            sa.Integer,
            sa.ForeignKey("scenario.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("state", sa.String(16), nullable=False, server_default="queued"),
        sa.Column("progress_done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("progress_total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("error", sa.Text),
        _now(),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(f"state IN ({JOB_STATES})", name="scenario_job_state"),
    )
    op.create_index("ix_scenario_job_scenario_id", "scenario_job", ["scenario_id"])


def downgrade() -> None:
    op.drop_index("ix_scenario_job_scenario_id", "scenario_job")
    op.drop_table("scenario_job")
    op.drop_table("scenario")
    op.drop_table("workload_profile")
    # History layers have no place in the older schema: they go, with their grids.
    op.execute("DELETE FROM grid_layer WHERE kind = 'history'")
    op.drop_constraint("grid_layer_kind", "grid_layer", type_="check")
    op.create_check_constraint(
        "grid_layer_kind", "grid_layer", "kind IN ('department', 'unified', 'scenario')"
    )
