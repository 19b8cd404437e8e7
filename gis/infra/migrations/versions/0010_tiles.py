"""Vector tiles: geometry kept in Web Mercator beside the stored one, and a tile cache.

``geom_3857`` on ``grid``, ``base_unit`` and ``building`` is a stored generated column
(``ST_Transform(geom, 3857)``) with its own GiST index: PostgreSQL keeps it in step with every
write to ``geom``, so no code that writes geometry changes, and a tile query neither transforms
every candidate row nor filters through a transformed envelope. Measured on the sample city's
unified layer, SQL only (``bench/tiles.py --mercator``, bench/README.md; a shared, loaded machine,
so five runs): at z11, where a tile holds ~700 grids of ~130 vertices, the p50 fell in every run
(9.2 → 3.9, 12.9 → 5.6, 22.9 → 5.8, 8.8 → 7.4, 5.8 → 5.4 ms) and the p95 by 0–60 %; at z13 and
z15 (a few grids a tile) it changes nothing measurable. It pays where tiles are heavy, which is
the zoom that decides the p95 goal (≤ 50 ms).

``tile_cache`` keeps made tiles keyed by (source, version, scope, z, x, y). The version is part of
the key, so an edit or an adoption never serves an old tile: it changes the version, and the old
rows are pruned (gis.tiles.cache). The table is UNLOGGED: a cache needs no write-ahead log (a
tile written costs no WAL flush at commit), and after a crash PostgreSQL empties it, which for a
cache is right.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

MERCATOR = {"grid": "MULTIPOLYGON", "base_unit": "POLYGON", "building": "POLYGON"}


def upgrade() -> None:
    for table, kind in MERCATOR.items():
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN geom_3857 geometry({kind}, 3857) "
            "GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED"
        )
        op.execute(f"CREATE INDEX ix_{table}_geom_3857 ON {table} USING gist (geom_3857)")
    op.create_table(
        "tile_cache",
        sa.Column("source", sa.String(80), primary_key=True),
        sa.Column("version", sa.String(40), primary_key=True),
        sa.Column("scope", sa.String(120), primary_key=True),
        sa.Column("z", sa.SmallInteger, primary_key=True),
        sa.Column("x", sa.Integer, primary_key=True),
        sa.Column("y", sa.Integer, primary_key=True),
        sa.Column("tile", sa.LargeBinary, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        prefixes=["UNLOGGED"],
    )


def downgrade() -> None:
    op.drop_table("tile_cache")
    for table in MERCATOR:
        op.execute(f"DROP INDEX ix_{table}_geom_3857")
        op.execute(f"ALTER TABLE {table} DROP COLUMN geom_3857")
