"""Party members and grid roles by location (党员网格角色): assignments, coverage, suggestions,
the field worker's own grid, and exports.

- :mod:`gis.party.common` — roles, targets, scope SQL, how a person is shown (full or masked);
- :mod:`gis.party.assignments` — read who leads what, where (a page, one, a map);
- :mod:`gis.party.changes` — assign, end, hand over, send cadres down (checks in
  :mod:`gis.party.targets`);
- :mod:`gis.party.succession` — who leads a grid when grids merge (adoption, the editor);
- :mod:`gis.party.coverage` — what has no leader, per grid, community and street; the map;
- :mod:`gis.party.suggest` — the nearest members with free capacity for a building;
- :mod:`gis.party.field` — one grid as its field worker sees it;
- :mod:`gis.party.export` — CSV/XLSX of assignments that say which fields they carry.
"""

from gis.party.archive import archived_assignments
from gis.party.assignments import (
    AssignmentQuery,
    assignments_geojson,
    get_assignment,
    list_assignments,
)
from gis.party.changes import assign, end_assignment, send_cadres
from gis.party.common import ROLE_LABELS, PartyRole, Target
from gis.party.coverage import coverage, coverage_geojson
from gis.party.export import export_assignments
from gis.party.field import field_view
from gis.party.suggest import suggest_leaders
from gis.party.uncovered import uncovered

__all__ = [
    "ROLE_LABELS",
    "AssignmentQuery",
    "PartyRole",
    "Target",
    "archived_assignments",
    "assign",
    "assignments_geojson",
    "coverage",
    "coverage_geojson",
    "end_assignment",
    "export_assignments",
    "field_view",
    "get_assignment",
    "list_assignments",
    "send_cadres",
    "suggest_leaders",
    "uncovered",
]
