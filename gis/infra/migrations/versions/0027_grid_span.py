"""A grid's span: the admin code all its units share, so a scope's reach is read off the row.

Whether a scope (a code prefix: ``36``, ``3601``, ``360102``…) reaches a grid was a join of
every membership of every layer to its unit and its community (``Scope.grid_sql``): at province
scale (scale 0.2: 150,000 units, 72,709 grids of all layers) the provincial office's
``GET /layers`` spent 2–3 s in that join. ``grid.span`` is the longest admin code (12, 9, 6, 4,
2 digits or '') that every unit's community starts with, NULL for a grid with no unit; a scope
``P`` reaches the grid when ``span`` starts with ``P`` (entirely inside), never when neither is
a prefix of the other, and only the few grids whose span is coarser than ``P`` (a grid across a
county line, for a county) are checked unit by unit. :func:`gis.grids.refresh_grids` keeps it
with the rest of a grid's derived values, in the writer's transaction.

The covering index on (layer, span) gives the layer list its figures from the index alone.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

# A frozen copy of gis.grids.SPAN_SQL as it was at this revision (the code may move on).
_SPAN = """CASE WHEN {lo} IS NULL THEN NULL WHEN {lo} = {hi} THEN {lo}
    WHEN left({lo}, 9) = left({hi}, 9) THEN left({lo}, 9)
    WHEN left({lo}, 6) = left({hi}, 6) THEN left({lo}, 6)
    WHEN left({lo}, 4) = left({hi}, 4) THEN left({lo}, 4)
    WHEN left({lo}, 2) = left({hi}, 2) THEN left({lo}, 2) ELSE '' END"""


def upgrade() -> None:
    op.add_column("grid", sa.Column("span", sa.String(12)))
    op.execute(
        f"""UPDATE grid SET span = {_SPAN.format(lo="t.lo", hi="t.hi")}
            FROM (SELECT gu.grid_id, min(c.code) AS lo, max(c.code) AS hi
                  FROM grid_unit gu JOIN base_unit u ON u.id = gu.unit_id
                  JOIN community c ON c.id = u.community_id GROUP BY 1) t
            WHERE grid.id = t.grid_id"""
    )
    op.drop_index("ix_grid_layer_figures", table_name="grid")
    op.create_index(
        "ix_grid_layer_span_figures",
        "grid",
        ["layer_id", "span"],
        postgresql_include=["id", "workload", "unit_count", "community_count"],
    )


def downgrade() -> None:
    op.drop_index("ix_grid_layer_span_figures", table_name="grid")
    op.create_index(
        "ix_grid_layer_figures",
        "grid",
        ["layer_id"],
        postgresql_include=["id", "workload", "unit_count", "community_count"],
    )
    op.drop_column("grid", "span")
