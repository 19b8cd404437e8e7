"""Roads and rivers (道路、河流) and the shared boundaries of base units (migration 0015; the
rules live in :mod:`gis.boundaries`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gis.infra.models.base import Base, geom, gist, one_of

#: What a line is: four road classes and the river.
LINEAR_KINDS = ("primary", "secondary", "branch", "lane", "river")
#: What a shared unit boundary runs along: a linear kind, or nothing visible.
EDGE_KINDS = (*LINEAR_KINDS, "none")


class LinearFeature(Base):
    """A road (主干道, 次干道, 支路, 巷道) or a river (河流), from a package or an imported file."""

    __tablename__ = "linear_feature"
    __table_args__ = (
        CheckConstraint(one_of("kind", LINEAR_KINDS), name="linear_feature_kind"),
        gist("linear_feature"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128), server_default="")
    kind: Mapped[str] = mapped_column(String(12))
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("district.id", ondelete="CASCADE"), index=True
    )
    geom: Mapped[Any] = mapped_column(geom("MULTILINESTRING"), nullable=False)


class UnitEdge(Base):
    """The boundary two adjacent base units share (``unit_a < unit_b``), its length in metres
    and what it runs along (``none``: nothing visible; NULL: not judged, no road or river is
    known there); ``geom`` is the shared line, cut once when it is first judged
    (gis/unit_edges.py)."""

    __tablename__ = "unit_edge"
    __table_args__ = (
        CheckConstraint("unit_a < unit_b", name="unit_edge_order"),
        CheckConstraint(one_of("kind", EDGE_KINDS), name="unit_edge_kind"),
        Index("ix_unit_edge_unit_b", "unit_b"),
    )
    unit_a: Mapped[int] = mapped_column(
        ForeignKey("base_unit.id", ondelete="CASCADE"), primary_key=True
    )
    unit_b: Mapped[int] = mapped_column(
        ForeignKey("base_unit.id", ondelete="CASCADE"), primary_key=True
    )
    length_m: Mapped[float] = mapped_column(Float)
    kind: Mapped[str | None] = mapped_column(String(12), nullable=True)
    geom: Mapped[Any] = mapped_column(geom("MULTILINESTRING"), nullable=True)
