"""Grid layers, their grids and which base unit is in which grid."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from gis.infra.models.base import Base, geom, gist, gist_3857, mercator


class GridLayer(Base):
    """A set of grids: one department's, the unified net, a scenario's proposal, or a unified net
    that an adopted scenario replaced (kind 'history', kept read-only under a new code)."""

    __tablename__ = "grid_layer"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('department', 'unified', 'scenario', 'history')", name="grid_layer_kind"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    department: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Grid(Base):
    """A grid of one layer. Geometry and totals are derived from its units in PostGIS."""

    __tablename__ = "grid"
    __table_args__ = (
        UniqueConstraint("layer_id", "code"),
        gist("grid"),
        gist_3857("grid"),
        # A layer's figures, per scope, without reading its geometry (migrations 0011, 0032).
        Index(
            "ix_grid_layer_span_figures",
            "layer_id",
            "span",
            postgresql_include=["id", "workload", "unit_count", "community_count", "community_id"],
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    layer_id: Mapped[int] = mapped_column(ForeignKey("grid_layer.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(15))
    name: Mapped[str] = mapped_column(String(128))
    # The community holding most of the grid's households (departmental grids may cross lines).
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("community.id", ondelete="SET NULL"), index=True
    )
    unit_count: Mapped[int] = mapped_column(Integer, default=0)
    # The admin code every unit's community starts with (gis.grids.SPAN_SQL; NULL: no unit).
    span: Mapped[str | None] = mapped_column(String(12))
    community_count: Mapped[int] = mapped_column(Integer, default=0)
    households: Mapped[int] = mapped_column(Integer, default=0)
    population: Mapped[int] = mapped_column(Integer, default=0)
    buildings: Mapped[int] = mapped_column(Integer, default=0)
    incidents_per_year: Mapped[int] = mapped_column(Integer, default=0)
    care_people: Mapped[int] = mapped_column(Integer, default=0)
    workload: Mapped[float] = mapped_column(Float, default=0.0)
    area_m2: Mapped[float] = mapped_column(Float, default=0.0)
    # A locked grid keeps its units: the editor refuses to move them, the optimizer keeps it whole.
    locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # Connected pieces of its units, linked where they share ≥ Settings.min_shared_m (0018).
    pieces: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    geom: Mapped[Any] = mapped_column(geom("MULTIPOLYGON"), nullable=True)
    geom_3857: Mapped[Any] = mercator("MULTIPOLYGON")


class GridUnit(Base):
    """Membership: which grid of a layer a base unit belongs to (exactly one per layer)."""

    __tablename__ = "grid_unit"
    layer_id: Mapped[int] = mapped_column(
        ForeignKey("grid_layer.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("base_unit.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id", ondelete="CASCADE"), index=True)
