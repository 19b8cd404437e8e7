"""The sample city's projects (项目清单): a modest number of projects that a paired unit funds or
runs, each grouping needs of its community of the kind the unit offers.

Made after :func:`gis.needs.sample.seed_engagement` (it needs its units, pairings and needs),
in two set-based statements, deterministically (``hashtext`` draws, as the rest of the sample):

- one community in :data:`ONE_IN` gets a project, run or funded by the first unit it is paired
  with (by id), named after the community and the unit's first skill;
- the project groups up to :data:`NEEDS_PER_PROJECT` of the community's sample needs of that
  kind raised after the project was made (cancelled ones aside), by code.

Tens of milliseconds on the whole sample city, so ``gridmap load-sample`` runs it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis.access import Access
from gis.accounts import Permission
from gis.chinatime import CHINA
from gis.needs.sample import h

log = logging.getLogger(__name__)

ONE_IN = 3
NEEDS_PER_PROJECT = 8
#: The project's theme from the unit's first skill (a need kind).
THEMES = (
    "CASE {k} WHEN 'wish' THEN '微心愿圆梦' WHEN 'elderly' THEN '助老关爱' WHEN 'repair' "
    "THEN '楼道维修' WHEN 'childcare' THEN '托育护苗' WHEN 'disabled' THEN '助残帮扶' "
    "WHEN 'legal' THEN '法律援助' ELSE '健康义诊' END"
)

_PROJECTS = f"""
INSERT INTO project (code, name, description, community_id, unit_id, role, created_by,
                     created_at)
SELECT 'XM' || :stamp || c.code,
       c.name || {THEMES.format(k="u.skills[1]")} || '项目',
       u.name || (CASE WHEN {h("c.code", "role", 2)} = 0 THEN '出资' ELSE '承办' END)
           || '，结对共建',
       c.id, u.id, CASE WHEN {h("c.code", "role", 2)} = 0 THEN 'funds' ELSE 'runs' END,
       'system:sample', :now - make_interval(days => 120 + {h("c.code", "age", 180)})
FROM community c
CROSS JOIN LATERAL (
    SELECT pu.id, pu.name, pu.skills FROM unit_pairing p JOIN paired_unit pu ON pu.id = p.unit_id
    WHERE p.community_id = c.id AND p.ends_on IS NULL ORDER BY pu.id LIMIT 1) u
WHERE starts_with(c.code, :prefix) AND {h("c.code", "proj", ONE_IN)} = 0
ON CONFLICT (code) DO NOTHING
"""

_PROJECT_NEEDS = f"""
INSERT INTO project_need (need_id, project_id, added_at)
SELECT n.id, p.id, n.created_at
FROM project p JOIN paired_unit u ON u.id = p.unit_id
CROSS JOIN LATERAL (
    SELECT nd.id, nd.created_at FROM need nd
    WHERE nd.community_id = p.community_id AND nd.kind = u.skills[1]
      AND nd.status <> 'cancelled' AND nd.created_at >= p.created_at
      AND nd.code LIKE 'XQS' || :stamp || '%'
      AND NOT EXISTS (SELECT 1 FROM project_need pn WHERE pn.need_id = nd.id)
    ORDER BY nd.code LIMIT {NEEDS_PER_PROJECT}) n
WHERE p.code LIKE 'XM' || :stamp || '%'
"""


@dataclass(frozen=True)
class ProjectSample:
    projects: int
    needs: int
    skipped: bool = False


def seed_projects(
    conn: Connection, *, access: Access, prefix: str, as_of: dt.date | None = None
) -> ProjectSample:
    """The sample's projects for the communities under ``prefix``, made once (a second call
    finds them and changes nothing); they group the sample needs of ``as_of``'s year."""
    access.require(Permission.IMPORT_DATA)
    day = as_of or dt.datetime.now(CHINA).date()
    params = {
        "prefix": prefix,
        "stamp": f"{day:%y}",
        "now": dt.datetime.combine(day, dt.time(9), tzinfo=CHINA),
    }
    made = conn.execute(
        text("SELECT count(*) FROM project WHERE code LIKE 'XM' || :stamp || '%'"), params
    ).scalar_one()
    if made:
        return ProjectSample(0, 0, skipped=True)
    projects = conn.execute(text(_PROJECTS), params).rowcount
    needs = conn.execute(text(_PROJECT_NEEDS), params).rowcount
    report = ProjectSample(projects, needs)
    log.info("sample projects: %s", report)
    return report
