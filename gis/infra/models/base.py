"""The declarative base and the column helpers every table module uses."""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import Index
from sqlalchemy.orm import DeclarativeBase

SRID = 4326


def geom(kind: str) -> Geometry:
    # Indexes are created explicitly (GiST) in the migration, so GeoAlchemy2 must not add its own.
    return Geometry(kind, srid=SRID, spatial_index=False)


def gist(table: str) -> Index:
    return Index(f"ix_{table}_geom", "geom", postgresql_using="gist")


class Base(DeclarativeBase):
    pass


def one_of(column: str, values: tuple[str, ...]) -> str:
    """The SQL of a CHECK that ``column`` holds one of ``values``."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"
