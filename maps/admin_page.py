"""The administrator's page at ``/admin`` (用户与审计): the users in scope, a form that creates
one, and the latest entries of the audit log.

Plain HTML forms, no script: the page works wherever a browser does. The data come from
:mod:`gis.accounts` and :mod:`gis.audit` through ``api/routers/admin_pages.py``; the layout is
``templates/admin.html``. Times are shown in China time, as everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gis.accounts import ROLE_LABELS, Role, User
from gis.chinatime import china_time
from maps.assets import HEADER_CSS
from maps.nav import PageViewer
from maps.shell import render

ADMIN_CSS = "gridmap/admin.css"
TITLE = "用户与审计 Users & audit · Gridmap"


@dataclass(frozen=True)
class AdminView:
    """What the page shows: the users, the newest audit rows, and the last form's outcome."""

    viewer: PageViewer
    users: Sequence[User]
    audit: Sequence[Mapping[str, Any]]
    form: Mapping[str, str]  # the values to show again after a refusal
    error: str | None = None
    notice: str | None = None


def _user_row(user: User) -> dict[str, Any]:
    """A user as the table shows them: labels, not codes; the last log-in in China time."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": ROLE_LABELS[user.role],
        "scope": user.scope.label,
        "department": user.department or "",
        "active": user.active,
        "last_login": china_time(user.last_login_at, empty="–"),
    }


def _audit_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "at": china_time(row["at"], empty="–"),
        "actor": row["actor"],
        "action": row["action"],
        "entity": row["entity"] or "",
        "entity_id": row["entity_id"] or "",
    }


def admin_page_html(view: AdminView) -> str:
    return render(
        "admin.html",
        title=TITLE,
        viewer=view.viewer,
        css=[HEADER_CSS, ADMIN_CSS],
        body_class="ad-page",
        users=[_user_row(u) for u in view.users],
        audit=[_audit_row(r) for r in view.audit],
        roles=[(r.value, ROLE_LABELS[r]) for r in Role],
        form=view.form,
        error=view.error,
        notice=view.notice,
    )
