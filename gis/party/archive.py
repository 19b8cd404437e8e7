"""Assignments of grids that no longer exist (filed by a trigger, migration 0005).

An editor merge or a re-imported layer can delete a grid; the cascade would take its
assignments with it, so a trigger files them first in ``assignment_archive`` under the grid's
layer and code. This module reads them back, so a grid's history outlives the grid.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission
from gis.party.common import ROLE_LABELS, PartyRole
from gis.personal import mask_name, mask_phone


def archived_assignments(
    conn: Connection,
    layer: str,
    grid_code: str,
    *,
    access: Access,
) -> list[dict[str, Any]]:
    """Who held a role over the grid ``layer/grid_code`` before it was deleted, newest first.

    A grid's code starts with its community's, so the scope is checked on the code itself.
    """
    access.require(Permission.VIEW_MAP)
    scope = access.scope
    reach = scope.filter_sql("x.grid_code")  # a grid scope reaches no archived grid
    rows = conn.execute(
        text(
            f"""SELECT x.id, x.role, x.layer_code, x.grid_code, x.starts_on, x.ends_on,
                       x.archived_at, m.code AS member_code, m.name, m.phone
                FROM assignment_archive x JOIN party_member m ON m.id = x.member_id
                WHERE x.layer_code = :layer AND x.grid_code = :code AND ({reach.sql})
                ORDER BY x.starts_on DESC, x.id DESC"""
        ),
        {"layer": layer, "code": grid_code} | reach.params,
    ).all()
    full = access.personal_data
    return [
        {
            "id": r.id,
            "role": r.role,
            "role_label": ROLE_LABELS[PartyRole(r.role)],
            "target": {"kind": "grid", "layer": r.layer_code, "code": r.grid_code},
            "member": {
                "code": r.member_code,
                "name": r.name if full else mask_name(r.name),
                "phone": r.phone if full else mask_phone(r.phone),
            },
            "starts_on": r.starts_on.isoformat(),
            "ends_on": r.ends_on.isoformat(),
            "grid_deleted_at": r.archived_at.isoformat(),
        }
        for r in rows
    ]
