"""The grid editor's domain: planners redraw grid boundaries by moving whole base units.

- :mod:`gis.editing.changeset` — what an edit is (grids created, deleted, changed; units
  moved) and its exact inverse; the layer, locked, at the version the edit was made on;
- :mod:`gis.editing.writer` — one writer for every edit: resolve → check
  (:mod:`~gis.editing.checks`) → write → refresh → record (:mod:`~gis.editing.record`) in one
  transaction, dry runs in a savepoint; party assignments follow (:mod:`~gis.editing.leaders`);
- :mod:`gis.editing.operations` — move units, new grid, split along a line, merge, lock,
  rename and re-code;
- :mod:`gis.editing.history` — the history, undo and redo; :mod:`gis.editing.revert` — revert
  to any earlier version;
- :mod:`gis.editing.views` — the grids and units in view, a lasso snapped to units, a
  community brush;
- :mod:`gis.editing.suggest` — moves that bring an area's grids into the band (Suggest).
"""

from gis.editing.changeset import CrossesCommunity, GridLocked, SplitsGrid, StaleVersion
from gis.editing.grid_operations import merge_grids, rename_grid, set_locked, split_grid
from gis.editing.history import edit_detail, list_history, redo, undo
from gis.editing.operations import NEW, EditOptions, MoveGroup, move_units
from gis.editing.revert import revert
from gis.editing.suggest import Suggestions, suggest_moves
from gis.editing.views import grids_in_view, select_area, select_units, units_in_view
from gis.editing.writer import EditResult

__all__ = [
    "NEW",
    "CrossesCommunity",
    "EditOptions",
    "EditResult",
    "GridLocked",
    "MoveGroup",
    "SplitsGrid",
    "StaleVersion",
    "Suggestions",
    "edit_detail",
    "grids_in_view",
    "list_history",
    "merge_grids",
    "move_units",
    "redo",
    "rename_grid",
    "revert",
    "select_area",
    "select_units",
    "set_locked",
    "split_grid",
    "suggest_moves",
    "undo",
    "units_in_view",
]
