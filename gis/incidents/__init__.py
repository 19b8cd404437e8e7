"""Incidents (事件) and the 吹哨报到 closed loop: report, dispatch, sign, handle, feed back,
evaluate.

A grid "blows the whistle" (an incident is reported at a point, found in its grid, community and
building in PostGIS) and a department "reports for duty" (it signs for the incident, handles it and
feeds back); the reporter's evaluation closes the loop or sends it back. Modules:

- :mod:`~gis.incidents.workflow` — the state machine and its transitions (history + audit);
- :mod:`~gis.incidents.reporting` — creating an incident: location, snapping, routing;
- :mod:`~gis.incidents.catalogue` — categories, deadlines and the four admission lists;
- :mod:`~gis.incidents.access` — who sees which incidents, and masking the reporter;
- :mod:`~gis.incidents.queries` — lists, points, a department's queue, one incident's history;
- :mod:`~gis.incidents.figures` — per-grid and per-department figures, the grid choropleth;
- :mod:`~gis.incidents.hexagons` — H3 aggregation;
- :mod:`~gis.incidents.photos` — photo files with size and type limits;
- :mod:`~gis.incidents.importer` — a year of incidents from CSV/XLSX;
- :mod:`~gis.incidents.open311` — Open311 GeoReport v2: the mapping of services and requests;
- :mod:`~gis.incidents.open311_clients` — Open311 client apps: keys, scopes, public reads;
- :mod:`~gis.incidents.backfill` — what a loaded city package's incidents need after loading.
"""

from __future__ import annotations

from gis.incidents.workflow import ACTIONS, OPEN_STATES, STATES, transition

__all__ = ["ACTIONS", "OPEN_STATES", "STATES", "transition"]
