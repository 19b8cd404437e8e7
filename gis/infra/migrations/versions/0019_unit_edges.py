"""One table for the boundaries adjacent units share: ``unit_link`` folds into ``unit_edge``.

Two tables described the same boundaries: ``unit_edge`` (0015: what each runs along, only
where roads are known, cut by a self-join of every unit in SQL at each load) and ``unit_link``
(0018: its length, for counting a grid's pieces, measured in Python). ``unit_edge`` now holds
every touching pair with its length; ``kind`` is NULL where nothing was judged and ``geom`` (the
shared line) is cut once, when first judged (gis/unit_edges.py). Pairs only ``unit_link`` knew
are carried over unjudged; ``unit_link`` is dropped.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("unit_edge", "kind", existing_type=sa.String(12), nullable=True)
    op.add_column(
        "unit_edge",
        sa.Column(
            "geom",
            geoalchemy2.Geometry("MULTILINESTRING", srid=4326, spatial_index=False),
            nullable=True,
        ),
    )
    op.execute(
        """INSERT INTO unit_edge (unit_a, unit_b, length_m)
           SELECT a, b, shared_m FROM unit_link
           ON CONFLICT (unit_a, unit_b) DO UPDATE SET length_m = EXCLUDED.length_m"""
    )
    op.drop_table("unit_link")


def downgrade() -> None:
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
    op.execute(
        "INSERT INTO unit_link (a, b, shared_m) SELECT unit_a, unit_b, length_m FROM unit_edge"
    )
    op.execute("DELETE FROM unit_edge WHERE kind IS NULL")
    op.drop_column("unit_edge", "geom")
    op.alter_column("unit_edge", "kind", existing_type=sa.String(12), nullable=False)
