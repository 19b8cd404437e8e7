"""What incidents loaded from a city package need after loading (:func:`gis.loader.load_city`).

A city package holds each incident's point, category, department and current state, but not its
history. Decision: loaded incidents get **plausible workflow timestamps** (dispatched, signed,
handled, fed back, evaluated as far as their state goes, and the deadlines of their category), so
that the figures of a year of incidents mean something on the demo city; they get **no history
rows** (``incident_transition``), since nobody recorded one — the API says so
(``history_recorded: false``), and ``source`` is ``'package'``. The timestamps are drawn from a
hash of the incident's code, so a reload gives the same figures; their spread depends on the
community (signing) and the department (handling), so the choropleth has something to show.

Also filled: the unified grid (through the unit found spatially at load), the building within
5 m (``ST_DWithin`` on the GiST index; the point is not moved) and the resolution-15 H3 cell.
Only incidents with no H3 cell yet are touched: the ones just loaded.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import Connection, text

from gis.incidents.hexagons import cells_of
from gis.incidents.reporting import _SNAP_DEGREES, SNAP_METRES


def _u(salt: str, key: str = "i.code") -> str:
    """A uniform number in [0, 1) drawn from a hash of ``key``: deterministic per incident."""
    return f"(('x' || substr(md5({key} || '{salt}'), 1, 8))::bit(32)::bigint / 4294967296.0)"


_REACHED = {
    "dispatched": "('dispatched', 'signed', 'handled', 'fed_back', 'evaluated')",
    "signed": "('signed', 'handled', 'fed_back', 'evaluated')",
    "handled": "('handled', 'fed_back', 'evaluated')",
    "fed_back": "('fed_back', 'evaluated')",
}

_HOURS = "make_interval(secs => ({h}) * 3600)"

_BACKFILL = f"""
WITH t AS (
    SELECT i.id, c.code IS NOT NULL AS known, c.sign_hours, c.handle_hours, v.cell, gu.grid_id,
           nb.id AS building_id,
           i.reported_at + {_HOURS.format(h="0.1 + 3.9 * " + _u("d"))} AS dispatched_at,
           c.sign_hours * (0.05 + 1.25 * power({_u("s")}, 2.5)
               * (0.6 + 0.8 * {_u("c", "coalesce(i.community_id, 0)::text")})) AS sign_delay,
           c.handle_hours * (0.1 + 1.1 * power({_u("h")}, 2)
               * (0.6 + 0.8 * {_u("p", "coalesce(i.department, '')")})) AS handle_delay,
           0.5 + 23.5 * {_u("f")} AS feedback_delay,
           1 + 47 * {_u("e")} AS evaluate_delay,
           {_u("b")} * (0.6 + 0.8 * {_u("p", "coalesce(i.department, '')")}) AS back,
           {_u("r")} AS reject
    FROM incident i
    LEFT JOIN incident_category c ON c.code = i.category
    JOIN unnest(CAST(:ids AS int[]), CAST(:cells AS bigint[])) AS v(id, cell) ON v.id = i.id
    -- the unified grid, through the unit found spatially at load
    LEFT JOIN (grid_unit gu JOIN grid_layer l ON l.id = gu.layer_id AND l.code = 'unified')
           ON gu.unit_id = i.base_unit_id
    -- the building within SNAP_METRES, nearest first (GiST box, then geodesic distance)
    LEFT JOIN LATERAL (
        SELECT b.id FROM building b
        WHERE ST_DWithin(b.geom, i.geom, :deg)
          AND ST_DWithin(b.geom::geography, i.geom::geography, :snap)
        ORDER BY ST_Distance(b.geom::geography, i.geom::geography), b.id LIMIT 1
    ) nb ON true
    WHERE i.h3_cell IS NULL
)
UPDATE incident i SET
    h3_cell = t.cell,
    grid_id = coalesce(t.grid_id, i.grid_id),
    building_id = coalesce(t.building_id, i.building_id),
    {{workflow}}
FROM t WHERE t.id = i.id
"""

_DELAYS = {
    "sign": "t.sign_delay",
    "handle": "t.sign_delay + t.handle_delay",
    "feed_back": "t.sign_delay + t.handle_delay + t.feedback_delay",
    "evaluate": "t.sign_delay + t.handle_delay + t.feedback_delay + t.evaluate_delay",
}


def _after(state: str, delay: str) -> str:
    then = f"t.dispatched_at + {_HOURS.format(h=delay)}"
    return f"CASE WHEN i.state IN {_REACHED[state]} THEN {then} END"


#: The workflow columns and what a loaded incident gets in them (when its category is known).
_WORKFLOW = {
    "source": ":source",
    "dispatched_at": f"CASE WHEN i.state IN {_REACHED['dispatched']} THEN t.dispatched_at END",
    "sign_due_at": _after("dispatched", "t.sign_hours"),
    "due_at": _after("dispatched", "t.handle_hours"),
    "signed_at": _after("signed", _DELAYS["sign"]),
    "handled_at": _after("handled", _DELAYS["handle"]),
    "fed_back_at": _after("fed_back", _DELAYS["feed_back"]),
    "evaluated_at": f"CASE WHEN i.state = 'evaluated' THEN t.dispatched_at + "
    f"{_HOURS.format(h=_DELAYS['evaluate'])} END",
    "satisfied": "CASE WHEN i.state = 'evaluated' THEN true END",
    "send_backs": "CASE WHEN i.state <> 'evaluated' THEN 0 WHEN t.back < 0.012 THEN 2 "
    "WHEN t.back < 0.06 THEN 1 ELSE 0 END",
    "rejections": f"CASE WHEN i.state IN {_REACHED['dispatched']} AND t.reject < 0.03 THEN 1 "
    "ELSE 0 END",
    "updated_at": "i.reported_at",
}

#: One UPDATE for grid, building, H3 cell and the workflow times; an incident whose category
#: the database does not know keeps its workflow columns (``t.known``).
BACKFILL_SQL = _BACKFILL.replace(
    "{workflow}",
    ",\n    ".join(
        f"{column} = CASE WHEN t.known THEN {value} ELSE i.{column} END"
        for column, value in _WORKFLOW.items()
    ),
)


def backfill_loaded(conn: Connection, source: str = "package") -> int:
    """Fill grid, building, timestamps and H3 cell of incidents that have no cell yet (those
    just loaded from a package, or imported from a file: ``source``); returns how many.

    One UPDATE, not one per column group: each pass rewrote every loaded row (a new row version
    and its index entries), and at province scale the four passes were a quarter of the load.
    An incident of a category the database does not know gets its grid, building and cell but
    no workflow times (``known``), as before.
    """
    rows = conn.execute(
        text("SELECT id, ST_X(geom), ST_Y(geom) FROM incident WHERE h3_cell IS NULL ORDER BY id")
    ).all()
    if not rows:
        return 0
    data = np.array(rows, dtype=float)
    cells = cells_of(data[:, 1], data[:, 2])
    conn.execute(
        text(BACKFILL_SQL),
        {
            "ids": data[:, 0].astype(int).tolist(),
            "cells": cells.tolist(),
            "source": source,
            "deg": _SNAP_DEGREES,
            "snap": SNAP_METRES,
        },
    )
    return len(rows)
