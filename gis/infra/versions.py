"""Data versions: one counter per subject (grids, places, incidents) that every committed write
to one of its tables bumps — the one way Gridmap tells "has anything changed since?" for the
answers it remembers (gis.infra.answers) and the tiles it caches (gis.tiles.versions).

The counters are kept by triggers (migration 0030), not by each write path: editor applies,
undos, adoptions, imports, loads and a hand-run ``psql`` all count, and a write path added later
cannot forget. A statement trigger notes the subject in a transaction-local setting
(``gridmap.dirty``, and ``gridmap.wrote``) and queues one deferred event; at commit that event
bumps the noted counters. So a counter is locked only for the instant of a commit, and a
rolled-back transaction bumps nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

#: subject → the tables whose writes change it (the triggers of migration 0030)
SUBJECTS: dict[str, tuple[str, ...]] = {
    "grids": ("grid_layer", "grid", "grid_unit"),
    "places": ("district", "street", "community", "base_unit", "building"),
    "incidents": ("incident", "incident_transition"),
}


@dataclass(frozen=True)
class Versions:
    """The data versions of some subjects as this transaction sees them."""

    numbers: tuple[int, ...]
    #: this transaction has written to a watched table: its answers are its own
    wrote: bool


def read_versions(conn: Connection, subjects: tuple[str, ...]) -> Versions:
    row = conn.execute(
        text(
            "SELECT coalesce(current_setting('gridmap.wrote', true), '') = 'yes', "
            "array_agg(version ORDER BY array_position(CAST(:subjects AS text[]), subject)) "
            "FROM data_version WHERE subject = ANY (CAST(:subjects AS text[]))"
        ),
        {"subjects": list(subjects)},
    ).one()
    return Versions(numbers=tuple(row[1] or ()), wrote=bool(row[0]))


def version_sql(subject: str) -> str:
    """A SQL expression: ``subject``'s version as text, for a key that must change with the
    data. In a transaction that has written to the subject's tables and not yet committed, the
    counter has not moved, so the transaction's id is appended: what it makes from its own rows
    is keyed apart from what everyone else sees."""
    if subject not in SUBJECTS:
        raise ValueError(f"unknown data subject {subject!r}")
    return (
        f"(SELECT v.version::text || CASE WHEN position(';{subject};' IN ';' || "
        "coalesce(current_setting('gridmap.dirty', true), '')) > 0 "
        "THEN '+' || pg_current_xact_id()::text ELSE '' END "
        f"FROM data_version v WHERE v.subject = '{subject}')"
    )
