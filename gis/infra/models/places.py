"""Places: the admin hierarchy (区县 → 街道 → 社区), base units, buildings and their entrances."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gis.infra.models.base import Base, geom, gist, gist_3857, mercator


class City(Base):
    """市: a city's name (its counties' codes start with its four digits; no outline stored).

    Filled from a province package's ``cities`` layer (migration 0026); a single-city package
    has none, and roll-ups then name a city by its code.
    """

    __tablename__ = "city"
    __table_args__ = (CheckConstraint("code ~ '^[0-9]{4}$'", name="city_code_digits"),)
    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))


class District(Base):
    """区县: the real county outline."""

    __tablename__ = "district"
    __table_args__ = (gist("district"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    geom: Mapped[Any] = mapped_column(geom("MULTIPOLYGON"))
    streets: Mapped[list[Street]] = relationship(back_populates="district")


class Street(Base):
    """街道 / 乡镇."""

    __tablename__ = "street"
    __table_args__ = (gist("street"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(9), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    district_id: Mapped[int] = mapped_column(
        ForeignKey("district.id", ondelete="CASCADE"), index=True
    )
    geom: Mapped[Any] = mapped_column(geom("MULTIPOLYGON"))
    district: Mapped[District] = relationship(back_populates="streets")


class Community(Base):
    """社区 (urban) / 村 (village): the boundary no grid of the unified net may cross."""

    __tablename__ = "community"
    __table_args__ = (
        CheckConstraint("kind IN ('urban', 'village')", name="community_kind"),
        gist("community"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8), default="urban")
    street_id: Mapped[int] = mapped_column(ForeignKey("street.id", ondelete="CASCADE"), index=True)
    geom: Mapped[Any] = mapped_column(geom("MULTIPOLYGON"))


class CommunityTally(Base):
    """How many base units and party members each community holds, kept exact by statement
    triggers on ``base_unit`` and ``party_member`` in the writer's own transaction (migration
    0032): the province's roll-ups sum 20,000 of these rows instead of counting 750,000 units
    and 1.2 million members on every request."""

    __tablename__ = "community_tally"
    community_id: Mapped[int] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), primary_key=True
    )
    units: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    party_members: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class BaseUnit(Base):
    """The smallest polygon a city has; belongs to one community and never changes shape.

    The workload attributes are what the unit holds; a grid's workload is their weighted sum.
    """

    __tablename__ = "base_unit"
    __table_args__ = (
        gist("base_unit"),
        gist_3857("base_unit"),
        # Scope checks (unit → community) without reading geometry (migration 0011).
        Index("ix_base_unit_community_cover", "id", postgresql_include=["community_id"]),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), index=True
    )
    households: Mapped[int] = mapped_column(Integer, default=0)
    population: Mapped[int] = mapped_column(Integer, default=0)
    buildings: Mapped[int] = mapped_column(Integer, default=0)
    incidents_per_year: Mapped[int] = mapped_column(Integer, default=0)
    care_people: Mapped[int] = mapped_column(Integer, default=0)
    area_m2: Mapped[float] = mapped_column(Float, default=0.0)
    geom: Mapped[Any] = mapped_column(geom("POLYGON"))
    geom_3857: Mapped[Any] = mercator("POLYGON")


class Building(Base):
    """A building (楼栋) with its households; entrance units (单元) are rows of their own."""

    __tablename__ = "building"
    __table_args__ = (gist("building"), gist_3857("building"))
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    base_unit_id: Mapped[int] = mapped_column(
        ForeignKey("base_unit.id", ondelete="CASCADE"), index=True
    )
    households: Mapped[int] = mapped_column(Integer, default=0)
    population: Mapped[int] = mapped_column(Integer, default=0)
    floors: Mapped[int] = mapped_column(Integer, default=1)
    entrance_units: Mapped[int] = mapped_column(Integer, default=1)
    geom: Mapped[Any] = mapped_column(geom("POLYGON"))
    geom_3857: Mapped[Any] = mercator("POLYGON")


class BuildingEntrance(Base):
    """单元: an entrance unit of a building, which can have its own unit leader (单元长)."""

    __tablename__ = "building_entrance"
    __table_args__ = (UniqueConstraint("building_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    households: Mapped[int] = mapped_column(Integer, default=0)
