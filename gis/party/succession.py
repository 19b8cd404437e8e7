"""Who leads a grid that took over other grids' units (网格合并), and what becomes of the others.

When grids merge — a scenario is adopted, or the editor merges or empties a grid — the
assignments over a grid that goes (grid leaders and cadres sent down, current or still to
come) follow to the grid that takes its units over. Two grid leaders cannot lead one grid, so
the rule a party office accepts decides, grid by grid:

1. the leader of the old grid with the larger share of the new grid's **workload** stays;
2. ties: the larger share of its **units**; then the **older assignment** (earlier start, then
   the lower id);
3. every other leader's assignment **ends on the day** and is **archived** with the reason
   网格合并 (:data:`MERGED`), so the record of who led what outlives it.

A cadre sent down to both grids keeps one assignment, by the same order. Assignments that had
already ended stay where they were: they are the history of the old grid.

Callers describe the merge as a *succession relation*: SQL that yields, for every grid whose
assignments may move (``origin_id``), the grid that takes them (``target_id``), the origin's
part of the target (``workload``, ``units``) and the target's totals (``target_workload``,
``target_units``), with the codes to show (``origin_code`` before, ``target_code`` after). A
target that was there before the merge (the editor's kept grid) is its own origin. Planning
only reads (a preview), :func:`carry_out` writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from gis.personal import mask_name

#: The reason an assignment archived by a merge is filed under.
MERGED = "网格合并"
#: The roles that follow a grid (the others are over buildings and entrances, which stay put).
GRID_ROLES = ("grid_leader", "cadre")

_CANDIDATES = """
    SELECT s.origin_id, s.target_id, s.origin_code, s.target_code,
           s.workload, s.units, s.target_workload, s.target_units,
           a.id, a.role, a.member_id, a.starts_on, a.ends_on,
           m.code AS member, m.name
    FROM ({relation}) s
    JOIN assignment a ON a.grid_id = s.origin_id
    JOIN party_member m ON m.id = a.member_id
    WHERE a.role = ANY(:roles) AND (a.ends_on IS NULL OR a.ends_on >= :on)
    ORDER BY s.target_id, a.role, CASE WHEN a.role = 'cadre' THEN a.member_id END,
             s.workload DESC, s.units DESC, a.starts_on, a.id
"""


@dataclass(frozen=True)
class Holder:
    """One assignment in a merge: whose, from which grid, and its share of the new grid."""

    assignment: int
    role: str
    member: str
    name: str
    grid_before: str
    workload_share: float
    units_share: float
    starts_on: dt.date
    ends_on: dt.date | None
    origin_id: int
    target_id: int

    def to_json(self, *, masked: bool, reason: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "assignment": self.assignment,
            "member": self.member,
            "name": mask_name(self.name) if masked else self.name,
            "grid_before": self.grid_before,
            "workload_share": round(self.workload_share, 4),
            "units_share": round(self.units_share, 4),
            "starts_on": self.starts_on.isoformat(),
        }
        if reason is not None:
            out["reason"] = reason
        return out

    def overlaps(self, other: Holder) -> bool:
        far = dt.date.max
        return self.starts_on <= (other.ends_on or far) and other.starts_on <= (self.ends_on or far)


@dataclass(frozen=True)
class Decision:
    """For one new grid: the grid leader who stays, and those whose assignment ends."""

    grid: str
    stays: Holder
    ends: tuple[Holder, ...] = ()

    def to_json(self, *, masked: bool) -> dict[str, Any]:
        return {
            "grid": self.grid,
            "stays": self.stays.to_json(masked=masked),
            "ends": [h.to_json(masked=masked, reason=MERGED) for h in self.ends],
            "text": self.text(masked=masked),
        }

    def text(self, *, masked: bool) -> str:
        """The decision in a sentence, Chinese first."""

        def who(h: Holder) -> str:
            return f"{mask_name(h.name) if masked else h.name}（原网格 {h.grid_before}）"

        line = f"网格 {self.grid}：网格长 {who(self.stays)} 留任"
        if self.ends:
            line += "；" + "、".join(who(h) for h in self.ends) + f" 任职结束并归档（{MERGED}）"
        return line


@dataclass
class Succession:
    """What a merge does to assignments: who moves where, who is archived, and the decisions
    about grid leaders to show."""

    moves: list[Holder] = field(default_factory=list)
    archived: list[Holder] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.moves or self.archived)


def plan(conn: Connection, relation: str, params: dict[str, Any], on: dt.date) -> Succession:
    """Decide, without writing, who follows, who stays and who is archived (see module doc)."""
    rows = conn.execute(
        text(_CANDIDATES.format(relation=relation)),
        params | {"on": on, "roles": list(GRID_ROLES)},
    ).all()
    groups: dict[tuple[int, str, int | None], list[Holder]] = {}
    for r in rows:
        holder = Holder(
            assignment=int(r.id),
            role=r.role,
            member=r.member,
            name=r.name,
            grid_before=r.origin_code,
            workload_share=float(r.workload or 0) / float(r.target_workload or 1),
            units_share=float(r.units or 0) / float(r.target_units or 1),
            starts_on=r.starts_on,
            ends_on=r.ends_on,
            origin_id=int(r.origin_id),
            target_id=int(r.target_id),
        )
        key = (holder.target_id, r.role, None if r.role == "grid_leader" else int(r.member_id))
        groups.setdefault(key, []).append(holder)
    codes = {int(r.target_id): r.target_code for r in rows}
    out = Succession()
    for (target, role, _member), holders in groups.items():
        kept: list[Holder] = []
        ended: list[Holder] = []
        for h in holders:  # already in the rule's order
            (ended if any(h.overlaps(k) for k in kept) else kept).append(h)
        out.moves += [h for h in kept if h.origin_id != h.target_id]
        out.archived += ended
        # A leader who follows to a grid of another code is news; one whose grid was only
        # copied (same code, same units) is not.
        moved_in = any(h.grid_before != codes[target] for h in kept)
        if role == "grid_leader" and (ended or moved_in):
            out.decisions.append(Decision(codes[target], kept[0], tuple(ended)))
    out.decisions.sort(key=lambda d: d.grid)
    return out


def archive(
    conn: Connection,
    ids: Sequence[int],
    codes: Sequence[str],
    on: dt.date,
    layer: str,
    reason: str,
) -> None:
    """End these assignments on ``on`` (those that ended before keep their end) and file them in
    the archive under the code of the grid they were over (``codes``), with ``reason``."""
    if not ids:
        return
    conn.execute(
        text(
            """INSERT INTO assignment_archive (id, member_id, role, layer_code, grid_code,
                   starts_on, ends_on, organisation_id, created_at, reason)
               SELECT a.id, a.member_id, a.role, :layer, h.code, a.starts_on,
                      greatest(a.starts_on, least(coalesce(a.ends_on, :on), :on)),
                      a.organisation_id, a.created_at, :reason
               FROM unnest(CAST(:ids AS int[]), CAST(:codes AS varchar[])) AS h(id, code)
               JOIN assignment a ON a.id = h.id"""
        ),
        {"ids": list(ids), "codes": list(codes), "layer": layer, "on": on, "reason": reason},
    )
    conn.execute(text("DELETE FROM assignment WHERE id = ANY(:ids)"), {"ids": list(ids)})


def carry_out(conn: Connection, succession: Succession, on: dt.date, layer: str) -> None:
    """Write a planned succession: archive the assignments that end, then move the others."""
    ended = succession.archived
    archive(conn, [h.assignment for h in ended], [h.grid_before for h in ended], on, layer, MERGED)
    if succession.moves:
        conn.execute(
            text(
                "UPDATE assignment a SET grid_id = t.grid_id FROM unnest(CAST(:ids AS int[]), "
                "CAST(:grids AS int[])) AS t(id, grid_id) WHERE a.id = t.id"
            ),
            {
                "ids": [h.assignment for h in succession.moves],
                "grids": [h.target_id for h in succession.moves],
            },
        )


def restore(conn: Connection, assignment_id: int, grid_id: int, ends_on: dt.date | None) -> bool:
    """Bring an archived assignment back over ``grid_id`` with its end as it was (``ends_on``,
    NULL: open). False, changing nothing, when it is not in the archive or the grid has taken
    another holder for that period meanwhile."""
    try:
        with conn.begin_nested():
            restored = conn.execute(
                text(
                    """INSERT INTO assignment (id, member_id, role, grid_id, starts_on, ends_on,
                                               organisation_id, created_at)
                       SELECT x.id, x.member_id, x.role, :grid, x.starts_on, :ends_on,
                              x.organisation_id, x.created_at
                       FROM assignment_archive x WHERE x.id = :id"""
                ),
                {"id": assignment_id, "grid": grid_id, "ends_on": ends_on},
            ).rowcount
            if not restored:
                return False
            conn.execute(
                text("DELETE FROM assignment_archive WHERE id = :id"), {"id": assignment_id}
            )
    except IntegrityError:  # an exclusion constraint: someone else holds the role now
        return False
    return True
