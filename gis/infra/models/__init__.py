"""The data model, as SQLAlchemy 2 + GeoAlchemy2 mappings.

Geometry is stored in EPSG:4326; lengths and areas are computed in metres (geography casts).
The tables are created by Alembic migrations only (``gis/infra/migrations``), never ``create_all``.

The admin hierarchy (district → street → community) carries DB11-style codes: 6 digits for the
district, +3 for the street, +3 for the community, +3 for a grid. A grid layer is one department's
set of grids (or the unified net, or a scenario); a grid's geometry is the union of its base units,
computed in PostGIS, so every plan is topologically clean by construction.
"""

from gis.infra.models.accounts import ROLES, SCOPE_LEVELS, AppUser, LoginFailure, UserSession
from gis.infra.models.assessment import AssessmentWeight
from gis.infra.models.base import SRID, Base
from gis.infra.models.councils import (
    Council,
    CouncilAssignment,
    CouncilParty,
    CouncilStep,
    CouncilVenue,
    NeedIntake,
    Project,
    ProjectNeed,
)
from gis.infra.models.editing import GRID_EDIT_KINDS, GridEdit, GridEditAssignment, GridEditMove
from gis.infra.models.facilities import FACILITY_KINDS, Facility, WalkEdge, WalkNode
from gis.infra.models.incidents import (
    AdmissionItem,
    Incident,
    IncidentCategory,
    IncidentPhoto,
    IncidentTransition,
    Open311Client,
)
from gis.infra.models.layers import Grid, GridLayer, GridUnit
from gis.infra.models.needs import (
    NEED_KINDS,
    NEED_STATUSES,
    MemberRegistration,
    Need,
    NeedEvent,
    NeedOrder,
    PairedUnit,
    TakerAccount,
    UnitPairing,
    VolunteerTeam,
)
from gis.infra.models.notifications import (
    IncidentDeadlineAlert,
    IncidentSubscription,
    NotificationOutbox,
)
from gis.infra.models.party import (
    ASSIGNMENT_PERIOD,
    Assignment,
    AssignmentArchive,
    PartyMember,
    PartyOrganisation,
)
from gis.infra.models.patrols import (
    ABSENCE_KINDS,
    CHECK_IN_KINDS,
    Absence,
    CheckIn,
    Patrol,
    PatrolDay,
    PatrolRollup,
    TrackPoint,
)
from gis.infra.models.places import (
    BaseUnit,
    Building,
    BuildingEntrance,
    City,
    Community,
    District,
    Street,
)
from gis.infra.models.records import AuditLog, ImportBatch
from gis.infra.models.scenarios import (
    JOB_STATES,
    SCENARIO_STATES,
    Scenario,
    ScenarioComment,
    ScenarioJob,
    ScenarioShare,
    WorkloadProfile,
)
from gis.infra.models.streets import EDGE_KINDS, LINEAR_KINDS, LinearFeature, UnitEdge
from gis.infra.models.tiles import TileCache
from gis.infra.models.versions import DataChange, DataVersion

__all__ = [
    "FACILITY_KINDS",
    "Facility",
    "WalkEdge",
    "WalkNode",
    "Council",
    "CouncilAssignment",
    "CouncilParty",
    "CouncilStep",
    "CouncilVenue",
    "NeedIntake",
    "Project",
    "ProjectNeed",
    "AssessmentWeight",
    "NEED_KINDS",
    "NEED_STATUSES",
    "MemberRegistration",
    "Need",
    "NeedEvent",
    "NeedOrder",
    "PairedUnit",
    "TakerAccount",
    "UnitPairing",
    "VolunteerTeam",
    "ABSENCE_KINDS",
    "CHECK_IN_KINDS",
    "EDGE_KINDS",
    "LINEAR_KINDS",
    "LinearFeature",
    "UnitEdge",
    "Absence",
    "CheckIn",
    "Patrol",
    "PatrolDay",
    "PatrolRollup",
    "TrackPoint",
    "ASSIGNMENT_PERIOD",
    "GRID_EDIT_KINDS",
    "JOB_STATES",
    "ROLES",
    "SCENARIO_STATES",
    "SCOPE_LEVELS",
    "SRID",
    "AdmissionItem",
    "AppUser",
    "Assignment",
    "AssignmentArchive",
    "AuditLog",
    "Base",
    "BaseUnit",
    "Building",
    "BuildingEntrance",
    "City",
    "Community",
    "District",
    "Grid",
    "GridEdit",
    "GridEditAssignment",
    "GridEditMove",
    "GridLayer",
    "GridUnit",
    "ImportBatch",
    "Incident",
    "IncidentCategory",
    "IncidentDeadlineAlert",
    "IncidentSubscription",
    "NotificationOutbox",
    "IncidentPhoto",
    "IncidentTransition",
    "LoginFailure",
    "Open311Client",
    "PartyMember",
    "PartyOrganisation",
    "Scenario",
    "ScenarioComment",
    "ScenarioShare",
    "ScenarioJob",
    "Street",
    "TileCache",
    "DataChange",
    "DataVersion",
    "UserSession",
    "WorkloadProfile",
]
