"""The editor's history: each edit, the units it moved and the leaders it touched."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gis.infra.models.base import Base

# ----------------------------------------------------------------------------- editing (0003)

GRID_EDIT_KINDS = (
    "move", "new", "split", "merge", "lock", "unlock", "rename", "undo", "redo", "revert",
)  # fmt: skip


class GridEdit(Base):
    """One edit of a layer's grids: the version it made, who, when, and what it did to grids.

    ``grids`` holds the grids the edit created, deleted or changed (name, code, lock), with
    their state before and after; the units it moved are :class:`GridEditMove` rows. Undo and
    redo link the edit they run backwards or again (``undoes``) and are linked back
    (``undone_by``), so each planner's undo and redo stacks are read from this table.
    """

    __tablename__ = "grid_edit"
    __table_args__ = (
        UniqueConstraint("layer_id", "version"),
        CheckConstraint(
            f"kind IN ({', '.join(repr(k) for k in GRID_EDIT_KINDS)})", name="grid_edit_kind"
        ),
        Index("ix_grid_edit_layer_actor", "layer_id", "actor", "id"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    layer_id: Mapped[int] = mapped_column(ForeignKey("grid_layer.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    base_version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    summary: Mapped[str] = mapped_column(Text, default="")
    grids: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    communities: Mapped[list[str]] = mapped_column(ARRAY(String(12)), default=list)
    undoes: Mapped[int | None] = mapped_column(
        ForeignKey("grid_edit.id", ondelete="SET NULL"), index=True
    )
    undone_by: Mapped[int | None] = mapped_column(
        ForeignKey("grid_edit.id", ondelete="SET NULL"), index=True
    )


class GridEditMove(Base):
    """A base unit an edit moved, from one grid of the layer to another (by grid code)."""

    __tablename__ = "grid_edit_move"
    edit_id: Mapped[int] = mapped_column(
        ForeignKey("grid_edit.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("base_unit.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    from_code: Mapped[str] = mapped_column(String(15))
    to_code: Mapped[str] = mapped_column(String(15))


class GridEditAssignment(Base):
    """What an edit did to a party assignment of a grid it touched, in order (migration
    0008): ``moved`` to the grid that took the units over, ``archived`` (a merge's other
    leader, or the grid went), ``restored`` from the archive by an undo or a revert."""

    __tablename__ = "grid_edit_assignment"
    __table_args__ = (
        CheckConstraint(
            "action IN ('moved', 'archived', 'restored')", name="grid_edit_assignment_action"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    edit_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("grid_edit.id", ondelete="CASCADE"), index=True
    )
    assignment_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    from_code: Mapped[str | None] = mapped_column(String(15))
    to_code: Mapped[str | None] = mapped_column(String(15))
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(32))
