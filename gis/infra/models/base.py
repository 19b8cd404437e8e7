"""The declarative base and the column helpers every table module uses."""

from __future__ import annotations

from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import Computed, Index
from sqlalchemy.orm import DeclarativeBase, mapped_column

SRID = 4326


def geom(kind: str) -> Geometry:
    # Indexes are created explicitly (GiST) in the migration, so GeoAlchemy2 must not add its own.
    return Geometry(kind, srid=SRID, spatial_index=False)


def gist(table: str) -> Index:
    return Index(f"ix_{table}_geom", "geom", postgresql_using="gist")


def mercator(kind: str) -> Any:
    """``geom`` in Web Mercator, kept by PostgreSQL (a stored generated column, migration 0010):
    what vector tiles clip and filter by (gis.tiles)."""
    return mapped_column(
        Geometry(kind, srid=3857, spatial_index=False),
        Computed("ST_Transform(geom, 3857)", persisted=True),
        nullable=True,
    )


def gist_3857(table: str) -> Index:
    return Index(f"ix_{table}_geom_3857", "geom_3857", postgresql_using="gist")


class Base(DeclarativeBase):
    pass


def one_of(column: str, values: tuple[str, ...]) -> str:
    """The SQL of a CHECK that ``column`` holds one of ``values``."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"
