"""The CLI's access: every command acts as one explicit system access (DESIGN.md convention 13).

A console operator is not a Gridmap user: a command reaches the whole city, sees personal data
in full and is recorded in the audit log as ``system:<os user>`` — unless it offers ``--scope``,
which narrows it to that part of the city (``district:361002``, ``grid:unified/…``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a command runs, so that `gridmap --help` stays quick
    from gis.access import Access


def system_access(scope_text: str | None = None, *, personal_data: bool = True) -> Access:
    """The system access of this command, limited to ``--scope`` when one is given.

    ``personal_data=False`` masks names and phone numbers (an export without
    ``--personal-data``). A malformed scope raises :class:`gis.errors.Invalid` (exit 2, naming
    the problem).
    """
    from gis.access import Access
    from gis.scope import Scope

    scope = Scope.parse(scope_text) if scope_text else None
    access = Access.system(scope=scope)
    return access if personal_data else replace(access, personal_data=False)
