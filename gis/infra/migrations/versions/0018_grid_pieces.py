"""Units' shared boundaries, a grid's pieces counted with a minimum shared length, and
planners' comments on a scenario's grids.

Two units that touch along 0.2 m are one polygon to ``ST_Union`` and one piece to
``ST_NumGeometries``, but nobody can walk through that corner. ``unit_link`` keeps, once per
load, how much boundary every pair of touching base units shares (metres); ``grid.pieces``
counts the connected components of a grid's units, linked only where they share at least
``Settings.min_shared_m`` (default 3 m). :func:`gis.grids.refresh_grids` keeps it with the rest
of a grid's derived values; the editor's connectivity check, the topology check and the
optimizer's graph use the same rule. Existing data are measured here with the default.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


# Frozen copies of gis.grids' statements as they were at this revision (the code may move on).
_LINK = """
    WITH fresh AS (SELECT u.id, u.geom FROM base_unit u WHERE u.id IN (SELECT id FROM base_unit)),
    pairs AS (
        SELECT least(f.id, o.id) AS a, greatest(f.id, o.id) AS b,
               ST_Length(ST_CollectionExtract(ST_Intersection(f.geom, o.geom), 2)::geography)
                   AS shared_m
        FROM fresh f JOIN base_unit o ON o.id <> f.id AND ST_Intersects(f.geom, o.geom)
        WHERE f.id < o.id OR o.id NOT IN (SELECT id FROM fresh)
    )
    INSERT INTO unit_link (a, b, shared_m)
    SELECT a, b, shared_m FROM pairs WHERE shared_m > 0
"""

_PIECES = """
    WITH RECURSIVE members AS (
        SELECT gu.grid_id, gu.unit_id
        FROM grid g JOIN grid_unit gu ON gu.grid_id = g.id
        WHERE g.geom IS NOT NULL
    ), edges AS (
        SELECT a.grid_id, l.a, l.b
        FROM members a
        JOIN unit_link l ON l.a = a.unit_id AND l.shared_m >= :min_shared
        JOIN members b ON b.grid_id = a.grid_id AND b.unit_id = l.b
    ), steps AS (
        SELECT grid_id, a, b FROM edges UNION ALL SELECT grid_id, b, a FROM edges
    ), reach(grid_id, root, node) AS (
        SELECT grid_id, unit_id, unit_id FROM members
        UNION
        SELECT r.grid_id, r.root, s.b
        FROM reach r JOIN steps s ON s.grid_id = r.grid_id AND s.a = r.node
    ), component AS (
        SELECT grid_id, node, min(root) AS id FROM reach GROUP BY grid_id, node
    ), counted AS (
        SELECT grid_id, count(DISTINCT id) AS pieces FROM component GROUP BY grid_id
    )
    UPDATE grid SET pieces = coalesce(counted.pieces, 0)
    FROM grid g LEFT JOIN counted ON counted.grid_id = g.id
    WHERE grid.id = g.id AND g.geom IS NOT NULL
"""


def upgrade() -> None:
    op.create_table(
        "unit_link",
        sa.Column(
            "a", sa.Integer, sa.ForeignKey("base_unit.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "b", sa.Integer, sa.ForeignKey("base_unit.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("shared_m", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("a", "b"),
        sa.CheckConstraint("a < b", name="ck_unit_link_ordered"),
    )
    op.create_index("ix_unit_link_b", "unit_link", ["b"])
    op.add_column(
        "grid", sa.Column("pieces", sa.SmallInteger(), nullable=False, server_default="0")
    )
    op.create_table(
        "scenario_comment",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "scenario_id",
            sa.Integer,
            sa.ForeignKey("scenario.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("grid_code", sa.String(15)),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("body", sa.String(2000), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )
    op.create_index("ix_scenario_comment_scenario_id", "scenario_comment", ["scenario_id"])
    op.execute(sa.text(_LINK))
    op.execute(sa.text(_PIECES).bindparams(min_shared=3.0))


def downgrade() -> None:
    op.drop_table("scenario_comment")
    op.drop_column("grid", "pieces")
    op.drop_table("unit_link")
