"""Party organisations, members and their assignments over grids, buildings and entrances."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gis.infra.models.base import Base, geom, gist


class PartyOrganisation(Base):
    """党组织: a community party committee, an agency or an enterprise branch."""

    __tablename__ = "party_organisation"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("community.id", ondelete="SET NULL"), index=True
    )


class PartyMember(Base):
    """A party member. Name and phone are personal data: masked outside the roles that need them."""

    __tablename__ = "party_member"
    __table_args__ = (
        gist("party_member"),
        # Migration 0005: nearest members in metres (KNN on geography).
        Index("ix_party_member_geog", text("(geom::geography)"), postgresql_using="gist"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("party_organisation.id", ondelete="SET NULL"), index=True
    )
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("community.id", ondelete="SET NULL"), index=True
    )
    geom: Mapped[Any] = mapped_column(geom("POINT"))


#: A period is [starts_on, ends_on], both days included; an open end is NULL (still serving).
ASSIGNMENT_PERIOD = "daterange(starts_on, ends_on, '[]')"


def _exclusions() -> list[ExcludeConstraint]:
    """No two assignments of these kinds over one target (or one member) in overlapping periods."""
    rules = {
        "assignment_one_grid_leader": (("grid_id",), "grid_leader"),
        "assignment_one_building_leader": (("building_id",), "building_leader"),
        "assignment_one_unit_leader": (("entrance_id",), "unit_leader"),
        "assignment_leads_one_grid": (("member_id",), "grid_leader"),
        "assignment_cadre_once": (("member_id", "grid_id"), "cadre"),
    }
    return [
        ExcludeConstraint(
            *((column, "=") for column in columns),
            (text(ASSIGNMENT_PERIOD), "&&"),
            using="gist",
            where=text(f"role = '{role}'"),
            name=name,
        )
        for name, (columns, role) in rules.items()
    ]


class Assignment(Base):
    """A role (grid / building / unit leader, cadre sent down) over one target, for a period."""

    __tablename__ = "assignment"
    __table_args__ = (
        CheckConstraint(
            "(grid_id IS NOT NULL)::int + (building_id IS NOT NULL)::int"
            " + (entrance_id IS NOT NULL)::int = 1",
            name="assignment_one_target",
        ),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="assignment_period"),
        # Migration 0005: the role names its kind of target; one leader per target at a time.
        CheckConstraint(
            "role IN ('grid_leader', 'building_leader', 'unit_leader', 'cadre')",
            name="assignment_role",
        ),
        CheckConstraint(
            "(role IN ('grid_leader', 'cadre')) = (grid_id IS NOT NULL)"
            " AND (role = 'building_leader') = (building_id IS NOT NULL)"
            " AND (role = 'unit_leader') = (entrance_id IS NOT NULL)",
            name="assignment_role_target",
        ),
        *_exclusions(),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("party_member.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(24))
    grid_id: Mapped[int | None] = mapped_column(
        ForeignKey("grid.id", ondelete="CASCADE"), index=True
    )
    building_id: Mapped[int | None] = mapped_column(
        ForeignKey("building.id", ondelete="CASCADE"), index=True
    )
    entrance_id: Mapped[int | None] = mapped_column(
        ForeignKey("building_entrance.id", ondelete="CASCADE"), index=True
    )
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    # The organisation the member serves under (for cadres sent down: the one that sent them).
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("party_organisation.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class AssignmentArchive(Base):
    """Assignments of a grid that was deleted, filed by a trigger (migration 0005) before the
    cascade removes them: who led which grid (by layer and code), from when until the day it went.
    """

    __tablename__ = "assignment_archive"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("party_member.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(24))
    layer_code: Mapped[str | None] = mapped_column(String(64))
    grid_code: Mapped[str] = mapped_column(String(15), index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("party_organisation.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    archived_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    #: 网格删除 (the grid was deleted) or 网格合并 (merged: the other grid's leader stays).
    reason: Mapped[str] = mapped_column(String(32), server_default="网格删除")
