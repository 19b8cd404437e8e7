"""The data model, as SQLAlchemy 2 + GeoAlchemy2 mappings.

Geometry is stored in EPSG:4326; lengths and areas are computed in metres (geography casts).
The tables are created by Alembic migrations only (``gis/infra/migrations``), never ``create_all``.

The admin hierarchy (district → street → community) carries DB11-style codes: 6 digits for the
district, +3 for the street, +3 for the community, +3 for a grid. A grid layer is one department's
set of grids (or the unified net, or a scenario); a grid's geometry is the union of its base units,
computed in PostGIS, so every plan is topologically clean by construction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, ExcludeConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

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


class BaseUnit(Base):
    """The smallest polygon a city has; belongs to one community and never changes shape.

    The workload attributes are what the unit holds; a grid's workload is their weighted sum.
    """

    __tablename__ = "base_unit"
    __table_args__ = (gist("base_unit"), gist_3857("base_unit"))
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


# --- Merge scenarios (gis.scenarios): a county's workload definition, scenarios, their jobs.

SCENARIO_STATES = ("queued", "running", "done", "failed", "cancelled", "adopted")
JOB_STATES = ("queued", "running", "done", "failed", "cancelled")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class WorkloadProfile(Base):
    """A county's workload: the weight of each unit attribute and the band, per district.

    A scenario copies the profile of its district when it is made, so changing the profile later
    never changes what a finished scenario meant.
    """

    __tablename__ = "workload_profile"
    __table_args__ = (
        CheckConstraint("band_low >= 0 AND band_low < band_high", name="workload_profile_band"),
    )
    district_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    households: Mapped[float] = mapped_column(Float, default=1.0)
    population: Mapped[float] = mapped_column(Float, default=0.0)
    buildings: Mapped[float] = mapped_column(Float, default=0.0)
    incidents_per_year: Mapped[float] = mapped_column(Float, default=0.0)
    care_people: Mapped[float] = mapped_column(Float, default=0.0)
    band_low: Mapped[float] = mapped_column(Float)
    band_high: Mapped[float] = mapped_column(Float)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Scenario(Base):
    """A merge scenario: parameters, who made it, and (when done) its proposed grid layer."""

    __tablename__ = "scenario"
    __table_args__ = (CheckConstraint(_one_of("state", SCENARIO_STATES), name="scenario_state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    #: admin codes (district, street or community) whose base units the scenario covers
    area_codes: Mapped[list[str]] = mapped_column(ARRAY(String(12)))
    #: target_count, band, weights, seed, from_unified, keep_locked — as used by the run
    params: Mapped[dict[str, Any]] = mapped_column(JSONB)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    layer_id: Mapped[int | None] = mapped_column(
        ForeignKey("grid_layer.id", ondelete="SET NULL"), unique=True
    )
    #: the unified layer's version the run started from (the stale check of adoption)
    base_version: Mapped[int | None] = mapped_column(Integer)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    #: what adoption left to do by hand: leaders without a grid, grids without a leader …
    adoption: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    adopted_by: Mapped[str | None] = mapped_column(String(64))
    adopted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ScenarioJob(Base):
    """The durable background run of a scenario: state, progress, a cancel request."""

    __tablename__ = "scenario_job"
    __table_args__ = (CheckConstraint(_one_of("state", JOB_STATES), name="scenario_job_state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(
        ForeignKey("scenario.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(16), default="queued")
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Grid(Base):
    """A grid of one layer. Geometry and totals are derived from its units in PostGIS."""

    __tablename__ = "grid"
    __table_args__ = (UniqueConstraint("layer_id", "code"), gist("grid"), gist_3857("grid"))
    id: Mapped[int] = mapped_column(primary_key=True)
    layer_id: Mapped[int] = mapped_column(ForeignKey("grid_layer.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(15))
    name: Mapped[str] = mapped_column(String(128))
    # The community holding most of the grid's households (departmental grids may cross lines).
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("community.id", ondelete="SET NULL"), index=True
    )
    unit_count: Mapped[int] = mapped_column(Integer, default=0)
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
    geom: Mapped[Any] = mapped_column(geom("MULTIPOLYGON"), nullable=True)
    geom_3857: Mapped[Any] = mercator("MULTIPOLYGON")


class GridUnit(Base):
    """Membership: which grid of a layer a base unit belongs to (exactly one per layer)."""

    __tablename__ = "grid_unit"
    layer_id: Mapped[int] = mapped_column(
        ForeignKey("grid_layer.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("base_unit.id", ondelete="CASCADE"), primary_key=True
    )
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id", ondelete="CASCADE"), index=True)


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
    undoes: Mapped[int | None] = mapped_column(ForeignKey("grid_edit.id", ondelete="SET NULL"))
    undone_by: Mapped[int | None] = mapped_column(ForeignKey("grid_edit.id", ondelete="SET NULL"))


class GridEditMove(Base):
    """A base unit an edit moved, from one grid of the layer to another (by grid code)."""

    __tablename__ = "grid_edit_move"
    edit_id: Mapped[int] = mapped_column(
        ForeignKey("grid_edit.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("base_unit.id", ondelete="CASCADE"), primary_key=True
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


class Incident(Base):
    """An incident (事件) reported at a place, and where it stands in the 吹哨报到 loop.

    The workflow lives in :mod:`gis.incidents`: ``state`` moves reported → dispatched → signed →
    handled → fed_back → evaluated, every move is a row of ``incident_transition``. The
    timestamps of the moves are also kept here (denormalised) so that the figures of a year of
    incidents are one scan; ``grid_id`` is the unified grid found spatially when it was reported.
    """

    __tablename__ = "incident"
    __table_args__ = (
        gist("incident"),
        CheckConstraint(
            "state IN ('reported', 'dispatched', 'signed', 'handled', 'fed_back', 'evaluated')",
            name="incident_state",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    reported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    reporter_kind: Mapped[str] = mapped_column(String(16))
    department: Mapped[str | None] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    base_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("base_unit.id", ondelete="SET NULL"), index=True
    )
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("community.id", ondelete="SET NULL"), index=True
    )
    geom: Mapped[Any] = mapped_column(geom("POINT"))
    # --- 0004_incidents
    grid_id: Mapped[int | None] = mapped_column(
        ForeignKey("grid.id", ondelete="SET NULL"), index=True
    )
    building_id: Mapped[int | None] = mapped_column(
        ForeignKey("building.id", ondelete="SET NULL"), index=True
    )
    # The H3 cell (resolution 15) of the point; coarser cells are its parents, found in SQL.
    h3_cell: Mapped[int | None] = mapped_column(BigInteger)
    # Personal data (see gis.personal): masked for users without VIEW_PERSONAL_DATA.
    reporter_name: Mapped[str | None] = mapped_column(String(32))
    reporter_phone: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(16), default="app", server_default="app")
    source_client: Mapped[str | None] = mapped_column(String(64))
    routing_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    sign_due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    signed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    handled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    fed_back_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    evaluated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    # Times a department sent it back before signing (退回), and times a reporter was not
    # satisfied (each returns it to handling; the third escalates it to the street).
    rejections: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    send_backs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    escalated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class IncidentCategory(Base):
    """An incident category: the department it is routed to and its deadlines (by category)."""

    __tablename__ = "incident_category"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)  # e.g. 环境卫生
    name_en: Mapped[str] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(64))
    # Open311 GeoReport v2 service_code (ASCII, stable for hotline apps).
    service_code: Mapped[str] = mapped_column(String(32), unique=True)
    sign_hours: Mapped[float] = mapped_column(Float)  # to sign for it after dispatch
    handle_hours: Mapped[float] = mapped_column(Float)  # to handle it after dispatch


class AdmissionItem(Base):
    """One item of the four admission lists (四张清单) of grid tasks.

    ``kind`` is the list: basic (基础任务), assisted (协助任务), service (部门服务事项) or
    negative (负面清单: what grid workers may refuse). An item may name an incident category;
    a category on the negative list goes straight to its department when reported, with
    ``reason`` recorded.
    """

    __tablename__ = "admission_item"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('basic', 'assisted', 'service', 'negative')", name="admission_item_kind"
        ),
        UniqueConstraint("kind", "position"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(128))
    category: Mapped[str | None] = mapped_column(
        ForeignKey("incident_category.code", ondelete="SET NULL", onupdate="CASCADE"), index=True
    )
    department: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")


class IncidentTransition(Base):
    """One move of an incident through the workflow: who, when, from and to, and why."""

    __tablename__ = "incident_transition"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    department: Mapped[str | None] = mapped_column(String(64))


class IncidentPhoto(Base):
    """A photo of an incident: the file lives under the data directory, checked by its bytes."""

    __tablename__ = "incident_photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(String(256))  # relative to the data directory
    media_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Open311Client(Base):
    """A 12345-hotline or reporting app allowed to post incidents over Open311.

    It proves itself with an API key; only the key's SHA-256 is stored (the key is 256 random
    bits, so no slow hash is needed). ``scope_code`` limits where it may report and read.
    """

    __tablename__ = "open311_client"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    scope_code: Mapped[str] = mapped_column(String(12), default="", server_default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class PartyOrganisation(Base):
    """党组织: a community party committee, an agency or an enterprise branch."""

    __tablename__ = "party_organisation"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("community.id", ondelete="SET NULL")
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
        ForeignKey("party_organisation.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    archived_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    #: 网格删除 (the grid was deleted) or 网格合并 (merged: the other grid's leader stays).
    reason: Mapped[str] = mapped_column(String(32), server_default="网格删除")


class AuditLog(Base):
    """Append-only record of every change: who, when, what, before and after."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


ROLES = ("admin", "planner", "county", "department", "party", "field_worker")
SCOPE_LEVELS = ("city", "district", "street", "community", "grid")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class AppUser(Base):
    """A person who logs in: a role, and a scope in the admin hierarchy (see gis.accounts).

    Users are deactivated, never deleted: the audit log names them for as long as it is kept.
    """

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="app_user_role"),
        CheckConstraint(_in("scope_level", SCOPE_LEVELS), name="app_user_scope_level"),
        CheckConstraint(
            "(scope_level = 'grid') = (scope_layer IS NOT NULL)", name="app_user_grid_layer"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    scope_level: Mapped[str] = mapped_column(String(12))
    scope_code: Mapped[str] = mapped_column(String(24), default="")
    scope_layer: Mapped[str | None] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Set by an administrator's reset: the user must choose their own password at next log-in.
    must_change_password: Mapped[bool] = mapped_column(Boolean, server_default="false")


class UserSession(Base):
    """A log-in session. Only a keyed digest of its token is stored, never the token itself."""

    __tablename__ = "user_session"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(256))


class LoginFailure(Base):
    """A failed log-in, kept for the throttle's window (gis.accounts.throttle): every server
    process counts the same failures."""

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_ip_at", "client_ip", "at"),
        Index("ix_login_failure_user_ip", "username", "client_ip"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    client_ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class ImportBatch(Base):
    """One import that landed (gis.exchange): who, which file (by SHA-256), what it wrote.

    Dry runs and refused imports leave no row: they changed nothing.
    """

    __tablename__ = "import_batch"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    options: Mapped[dict[str, Any]] = mapped_column(JSONB)
    written: Mapped[dict[str, Any]] = mapped_column(JSONB)
    report: Mapped[dict[str, Any]] = mapped_column(JSONB)


class TileCache(Base):
    """A vector tile made once (gis.tiles.cache), keyed by source, version, scope and z/x/y.

    The version is in the key, so a tile of an edited layer is never served again; an empty
    tile is kept as zero bytes (the cheap 204 is cached too)."""

    __tablename__ = "tile_cache"
    __table_args__ = {"prefixes": ["UNLOGGED"]}  # a cache: no WAL, emptied after a crash
    source: Mapped[str] = mapped_column(String(80), primary_key=True)
    version: Mapped[str] = mapped_column(String(40), primary_key=True)
    scope: Mapped[str] = mapped_column(String(120), primary_key=True)
    z: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    x: Mapped[int] = mapped_column(Integer, primary_key=True)
    y: Mapped[int] = mapped_column(Integer, primary_key=True)
    tile: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
