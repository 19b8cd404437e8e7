"""Merge scenarios (方案比选): run the optimizer with a county's parameters, compare, adopt.

A scenario is a row in PostGIS (``scenario``) with its durable job (``scenario_job``) and, once
its run is done, a proposed grid layer of kind ``scenario``. The modules, in the order of a
scenario's life:

- :mod:`.profiles` — a county's workload weights and band (saved into every scenario);
- :mod:`.store` — create, list, read, cancel, delete, within the user's scope;
- :mod:`.run` — one run: read units, optimize (locked grids kept), write the proposed layer;
- :mod:`.worker` — the in-process worker that runs queued jobs and survives restarts;
- :mod:`.compare` — metrics of scenarios and today's layers, histograms, "what changed";
- :mod:`.crosswalk` — 多网合一: which new grid took over every departmental grid, county figures;
- :mod:`.impact` — a community's buildings and grid leaders before and after;
- :mod:`.adopt` — make a scenario the unified layer, in one transaction.
"""

from __future__ import annotations
