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

TIMES_SQL = f"""
WITH t AS (
    SELECT i.id, c.sign_hours, c.handle_hours,
           i.reported_at + {_HOURS.format(h="0.1 + 3.9 * " + _u("d"))} AS dispatched_at,
           c.sign_hours * (0.05 + 1.25 * power({_u("s")}, 2.5)
               * (0.6 + 0.8 * {_u("c", "coalesce(i.community_id, 0)::text")})) AS sign_delay,
           c.handle_hours * (0.1 + 1.1 * power({_u("h")}, 2)
               * (0.6 + 0.8 * {_u("p", "coalesce(i.department, '')")})) AS handle_delay,
           0.5 + 23.5 * {_u("f")} AS feedback_delay,
           1 + 47 * {_u("e")} AS evaluate_delay,
           {_u("b")} * (0.6 + 0.8 * {_u("p", "coalesce(i.department, '')")}) AS back,
           {_u("r")} AS reject
    FROM incident i JOIN incident_category c ON c.code = i.category
    WHERE i.h3_cell IS NULL
)
UPDATE incident i SET
    source = :source,
    dispatched_at = CASE WHEN i.state IN {_REACHED["dispatched"]} THEN t.dispatched_at END,
    sign_due_at = CASE WHEN i.state IN {_REACHED["dispatched"]}
        THEN t.dispatched_at + {_HOURS.format(h="t.sign_hours")} END,
    due_at = CASE WHEN i.state IN {_REACHED["dispatched"]}
        THEN t.dispatched_at + {_HOURS.format(h="t.handle_hours")} END,
    signed_at = CASE WHEN i.state IN {_REACHED["signed"]}
        THEN t.dispatched_at + {_HOURS.format(h="t.sign_delay")} END,
    handled_at = CASE WHEN i.state IN {_REACHED["handled"]}
        THEN t.dispatched_at + {_HOURS.format(h="t.sign_delay + t.handle_delay")} END,
    fed_back_at = CASE WHEN i.state IN {_REACHED["fed_back"]}
        THEN t.dispatched_at
             + {_HOURS.format(h="t.sign_delay + t.handle_delay + t.feedback_delay")} END,
    evaluated_at = CASE WHEN i.state = 'evaluated'
        THEN t.dispatched_at + {
    _HOURS.format(h="t.sign_delay + t.handle_delay + t.feedback_delay + t.evaluate_delay")
} END,
    satisfied = CASE WHEN i.state = 'evaluated' THEN true END,
    send_backs = CASE WHEN i.state <> 'evaluated' THEN 0
                      WHEN t.back < 0.012 THEN 2 WHEN t.back < 0.06 THEN 1 ELSE 0 END,
    rejections = CASE WHEN i.state IN {_REACHED["dispatched"]} AND t.reject < 0.03 THEN 1
                      ELSE 0 END,
    updated_at = i.reported_at
FROM t WHERE t.id = i.id
"""

GRID_SQL = """
UPDATE incident i SET grid_id = gu.grid_id
FROM grid_unit gu JOIN grid_layer l ON l.id = gu.layer_id AND l.code = 'unified'
WHERE gu.unit_id = i.base_unit_id AND i.h3_cell IS NULL
"""

BUILDING_SQL = """
UPDATE incident i SET building_id = b.id
FROM incident j CROSS JOIN LATERAL (
    SELECT b.id FROM building b
    WHERE ST_DWithin(b.geom, j.geom, :deg)
      AND ST_DWithin(b.geom::geography, j.geom::geography, :snap)
    ORDER BY ST_Distance(b.geom::geography, j.geom::geography), b.id LIMIT 1
) b
WHERE j.id = i.id AND i.h3_cell IS NULL
"""


def backfill_loaded(conn: Connection, source: str = "package") -> int:
    """Fill grid, building, timestamps and H3 cell of incidents that have no cell yet (those
    just loaded from a package, or imported from a file: ``source``); returns how many."""
    conn.execute(text(GRID_SQL))
    conn.execute(text(BUILDING_SQL), {"deg": _SNAP_DEGREES, "snap": SNAP_METRES})
    conn.execute(text(TIMES_SQL), {"source": source})
    rows = conn.execute(
        text("SELECT id, ST_X(geom), ST_Y(geom) FROM incident WHERE h3_cell IS NULL ORDER BY id")
    ).all()
    if not rows:
        return 0
    data = np.array(rows, dtype=float)
    cells = cells_of(data[:, 1], data[:, 2])
    conn.execute(
        text(
            "UPDATE incident i SET h3_cell = v.cell FROM unnest(CAST(:ids AS int[]), "
            "CAST(:cells AS bigint[])) AS v(id, cell) WHERE i.id = v.id"
        ),
        {"ids": data[:, 0].astype(int).tolist(), "cells": cells.tolist()},
    )
    return len(rows)
