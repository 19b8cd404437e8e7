"""Service points and the walking network (migration 0021; the rules live in
:mod:`gis.facilities`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gis.infra.models.base import Base, geom, gist, one_of

#: The kinds of service point the seeds count (labels in gis/facilities/kinds.py).
FACILITY_KINDS = (
    "meal",
    "elderly_child",
    "rider_station",
    "party_centre",
    "residents_home",
    "council",
)


class Facility(Base):
    """A service point of one kind (助餐点, 一老一小幸福院…) in one community."""

    __tablename__ = "facility"
    __table_args__ = (
        CheckConstraint(one_of("kind", FACILITY_KINDS), name="facility_kind"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="facility_capacity"),
        gist("facility"),
        Index("ix_facility_kind", "kind"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128))
    capacity: Mapped[int | None] = mapped_column(Integer)
    opening_hours: Mapped[str] = mapped_column(String(64), server_default="")
    community_id: Mapped[int] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), index=True
    )
    geom: Mapped[Any] = mapped_column(geom("POINT"), nullable=False)


class WalkNode(Base):
    """A node of the walking network; ``component``: its connected piece (islands)."""

    __tablename__ = "walk_node"
    __table_args__ = (gist("walk_node"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    component: Mapped[int | None] = mapped_column(BigInteger)
    geom: Mapped[Any] = mapped_column(geom("POINT"), nullable=False)


class WalkEdge(Base):
    """A noded piece of a road with its walking time (seconds), both ways."""

    __tablename__ = "walk_edge"
    __table_args__ = (gist("walk_edge"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source: Mapped[int] = mapped_column(BigInteger)
    target: Mapped[int] = mapped_column(BigInteger)
    length_m: Mapped[float] = mapped_column(Float)
    cost_s: Mapped[float] = mapped_column(Float)
    road_id: Mapped[int | None] = mapped_column(
        ForeignKey("linear_feature.id", ondelete="CASCADE"), index=True
    )
    geom: Mapped[Any] = mapped_column(geom("LINESTRING"), nullable=False)
