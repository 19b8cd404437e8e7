"""The projects list (项目清单): a project groups needs of one community that a paired unit
funds (出资) or runs (承办); its progress is the share of its needs done.

=========  =====================================================================================
figure     definition
=========  =====================================================================================
needs      needs in the project, cancelled ones aside
done       of them, done or evaluated
progress   done / needs (0 for a project without needs)
=========  =====================================================================================

Rules: the unit must be paired with the community (结对共建) on the day the project is made
(else 422); a need must lie in the project's community (422 naming it) and belongs to one project
at most (409 naming the other). Community staff (``dispatch_needs``) in scope make projects and add
needs; everyone whose scope reaches the community reads them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission
from gis.audit import record
from gis.chinatime import CHINA
from gis.errors import Conflict, Forbidden, Invalid, NotFound
from gis.labels import PROJECT_ROLES, label

_CODE = re.compile(r"[0-9A-Za-z_-]{1,24}")


@dataclass(frozen=True)
class ProjectView:
    code: str
    name: str
    description: str
    community_code: str
    community_name: str
    unit: str
    unit_name: str
    role: str
    role_label: str
    needs: int
    done: int
    progress: float
    need_codes: list[str]


_SELECT = """
SELECT p.id, p.code, p.name, p.description, c.code AS community_code, c.name AS community_name,
       u.code AS unit, u.name AS unit_name, p.role,
       count(n.id) FILTER (WHERE n.status <> 'cancelled') AS needs,
       count(n.id) FILTER (WHERE n.status IN ('done', 'evaluated')) AS done,
       coalesce(array_agg(n.code ORDER BY n.code) FILTER (WHERE n.id IS NOT NULL), '{}')
           AS need_codes
FROM project p JOIN community c ON c.id = p.community_id JOIN paired_unit u ON u.id = p.unit_id
LEFT JOIN project_need pn ON pn.project_id = p.id LEFT JOIN need n ON n.id = pn.need_id
"""


def _view(r: Any) -> ProjectView:
    needs, done = int(r.needs), int(r.done)
    return ProjectView(
        code=r.code, name=r.name, description=r.description,
        community_code=r.community_code, community_name=r.community_name,
        unit=r.unit, unit_name=r.unit_name, role=r.role,
        role_label=label(PROJECT_ROLES, r.role), needs=needs, done=done,
        progress=round(done / needs, 4) if needs else 0.0,
        need_codes=list(r.need_codes),
    )  # fmt: skip


def _scoped(access: Access, where: str, params: dict[str, object]) -> tuple[str, dict[str, object]]:
    """A project is read where the scope reaches its community (a grid scope: none whole)."""
    seen = access.scope.filter_sql("c.code")
    return f"({seen.sql}) AND {where}", params | seen.params


def list_projects(
    conn: Connection, *, access: Access, community: str | None = None
) -> list[ProjectView]:
    """The projects the caller's scope reaches (optionally under a community code)."""
    access.require(Permission.VIEW_MAP)
    where, params = _scoped(
        access, "starts_with(c.code, :community)", {"community": community or ""}
    )
    rows = conn.execute(
        text(f"{_SELECT} WHERE {where} GROUP BY p.id, c.id, u.id ORDER BY p.code"), params
    )
    return [_view(r) for r in rows]


def get_project(conn: Connection, code: str, *, access: Access) -> ProjectView:
    access.require(Permission.VIEW_MAP)
    exists = conn.execute(text("SELECT 1 FROM project WHERE code = :c"), {"c": code}).first()
    if exists is None:
        raise NotFound(f"没有项目 {code!r} (no project {code!r})", project=code)
    where, params = _scoped(access, "p.code = :code", {"code": code})
    row = conn.execute(text(f"{_SELECT} WHERE {where} GROUP BY p.id, c.id, u.id"), params).first()
    if row is None:
        raise Forbidden(f"项目 {code} 不在您的权限范围内 (project {code} is outside your scope)")
    return _view(row)


def create_project(
    conn: Connection,
    code: str,
    name: str,
    unit: str,
    community: str,
    role: str,
    *,
    access: Access,
    now: dt.datetime,
    description: str = "",
) -> ProjectView:
    """A project of ``community`` that paired unit ``unit`` funds or runs."""
    access.require(Permission.DISPATCH_NEEDS)
    if not _CODE.fullmatch(code):
        raise Invalid(f"项目编码须为 1 至 24 位字母数字 (a project code, not {code!r})")
    if not name.strip() or len(name) > 128:
        raise Invalid("项目名称须为 1 至 128 个字 (a project name of 1 to 128 characters)")
    if role not in PROJECT_ROLES:
        raise Invalid(f"单位在项目中的角色须为 funds 或 runs，而不是 {role!r} (funds or runs)")
    place = conn.execute(
        text("SELECT id, code FROM community WHERE code = :c"), {"c": community}
    ).first()
    if place is None:
        raise NotFound(f"没有社区 {community!r} (no community {community!r})")
    if not access.scope.reaches(place.code):
        raise Forbidden(f"社区 {community} 不在您的权限范围内 (community outside your scope)")
    paired = conn.execute(
        text(
            "SELECT u.id FROM paired_unit u JOIN unit_pairing up ON up.unit_id = u.id "
            "WHERE u.code = :u AND up.community_id = :c AND up.starts_on <= :on "
            "AND (up.ends_on IS NULL OR up.ends_on >= :on)"
        ),
        {"u": unit, "c": place.id, "on": now.astimezone(CHINA).date()},
    ).first()
    if paired is None:
        raise Invalid(
            f"单位 {unit} 未与社区 {community} 结对，不能承担其项目 (unit {unit} is not paired "
            f"with community {community})",
            unit=unit,
            community=community,
        )
    if conn.execute(text("SELECT 1 FROM project WHERE code = :c"), {"c": code}).first():
        raise Conflict(f"项目编码 {code} 已被使用 (project code {code} is taken)", project=code)
    conn.execute(
        text(
            "INSERT INTO project (code, name, description, community_id, unit_id, role, "
            "created_by, created_at) VALUES (:code, :name, :d, :c, :u, :role, :by, :now)"
        ),
        {"code": code, "name": name.strip(), "d": description.strip(), "c": place.id,
         "u": paired.id, "role": role, "by": access.name[:80], "now": now},
    )  # fmt: skip
    record(conn, access.actor, "projects.create", "project", code, after={"unit": unit})
    return get_project(conn, code, access=access)


def add_needs(
    conn: Connection, code: str, needs: list[str], *, access: Access, now: dt.datetime
) -> ProjectView:
    """Put needs into project ``code`` (all or none: the first wrong one names the problem)."""
    access.require(Permission.DISPATCH_NEEDS)
    project = conn.execute(
        text("SELECT p.id, p.community_id, c.code FROM project p JOIN community c "
             "ON c.id = p.community_id WHERE p.code = :c FOR UPDATE OF p"),
        {"c": code},
    ).first()  # fmt: skip
    if project is None:
        raise NotFound(f"没有项目 {code!r} (no project {code!r})", project=code)
    if not access.scope.reaches(project.code):
        raise Forbidden(f"项目 {code} 不在您的权限范围内 (project {code} is outside your scope)")
    if not needs:
        raise Invalid("请至少选择一条需求 (name one need or more)")
    rows = {
        r.code: r
        for r in conn.execute(
            text(
                "SELECT n.id, n.code, n.community_id, "
                "(SELECT p.code FROM project_need pn JOIN project p ON p.id = pn.project_id "
                "WHERE pn.need_id = n.id) AS project FROM need n "
                "JOIN community c ON c.id = n.community_id WHERE n.code = ANY(:codes)"
            ),
            {"codes": needs},
        )
    }
    for need in needs:
        row = rows.get(need)
        if row is None:
            raise NotFound(f"没有需求 {need!r} (no need {need!r})", need=need)
        if row.community_id != project.community_id:
            raise Invalid(
                f"需求 {need} 不在项目所在社区 {project.code} (need {need} lies outside the "
                f"project's community)",
                need=need,
            )
        if row.project is not None:
            raise Conflict(
                f"需求 {need} 已属于项目 {row.project} (need {need} is in project "
                f"{row.project} already)",
                need=need,
                project=row.project,
            )
    conn.execute(
        text(
            "INSERT INTO project_need (need_id, project_id, added_at) "
            "SELECT unnest(CAST(:ids AS integer[])), :p, :now"
        ),
        {"ids": sorted({rows[n].id for n in needs}), "p": project.id, "now": now},
    )
    record(conn, access.actor, "projects.add_needs", "project", code, after={"needs": needs})
    return get_project(conn, code, access=access)
