"""Impact preview: what a scenario means on the ground in one community.

Which grid each building falls in today (unified layer) and in the scenario, and for every grid
leader (assignments on today's grids) and grid worker (field workers scoped to a grid) which
buildings they gain and lose when they follow their buildings — the rule adoption applies: a
person follows to the new grid that holds most of their old grid's households. Where two led
grids become one, ``leaders`` says per new grid which grid leader stays and whose assignment
ends (the rule of :mod:`gis.party.succession`), exactly as adoption will decide it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.errors import Forbidden, Invalid, NotFound
from gis.infra.settings import WorkloadWeights
from gis.party import succession
from gis.party.common import today
from gis.personal import mask_name
from gis.scenarios.crosswalk import _scenario_layer
from gis.workload import workload_sql

#: For every old grid (layer :old), its successor in layer :new (see the module doc).
SUCCESSOR_SQL = """
    SELECT DISTINCT ON (o.grid_id) o.grid_id AS old_id, n.grid_id AS new_id
    FROM grid_unit o
    JOIN grid_unit n ON n.unit_id = o.unit_id AND n.layer_id = :new
    JOIN base_unit u ON u.id = o.unit_id
    WHERE o.layer_id = :old
    GROUP BY o.grid_id, n.grid_id
    ORDER BY o.grid_id, sum(u.households) DESC, count(*) DESC, n.grid_id
"""


def succession_sql(weights: WorkloadWeights, where: str = "true") -> str:
    """The succession relation of an adoption (see :mod:`gis.party.succession`): every grid of
    layer :old, its successor in layer :new, and its share of it; ``where`` filters on the new
    grid ``ng``."""
    w = workload_sql(weights, "u")
    return f"""
        WITH succ AS ({SUCCESSOR_SQL}),
        part AS (
            SELECT s.old_id, s.new_id, sum({w}) AS workload, count(*) AS units
            FROM succ s JOIN grid_unit o ON o.grid_id = s.old_id
            JOIN grid_unit n ON n.unit_id = o.unit_id AND n.grid_id = s.new_id
            JOIN base_unit u ON u.id = o.unit_id
            GROUP BY s.old_id, s.new_id),
        total AS (
            SELECT gu.grid_id, sum({w}) AS workload, count(*) AS units
            FROM grid_unit gu JOIN base_unit u ON u.id = gu.unit_id
            WHERE gu.grid_id IN (SELECT new_id FROM part) GROUP BY gu.grid_id)
        SELECT p.old_id AS origin_id, p.new_id AS target_id, og.code AS origin_code,
               ng.code AS target_code, p.workload, p.units,
               t.workload AS target_workload, t.units AS target_units
        FROM part p JOIN total t ON t.grid_id = p.new_id
        JOIN grid og ON og.id = p.old_id JOIN grid ng ON ng.id = p.new_id
        WHERE {where}
    """


_BUILDINGS_SQL = """SELECT b.code, b.name, b.households, u.code AS unit,
                          og.code AS grid_before, ng.code AS grid_after
                   FROM building b JOIN base_unit u ON u.id = b.base_unit_id
                   LEFT JOIN grid_unit ogu ON ogu.unit_id = u.id AND ogu.layer_id = :old
                   LEFT JOIN grid og ON og.id = ogu.grid_id
                   LEFT JOIN grid_unit ngu ON ngu.unit_id = u.id AND ngu.layer_id = :new
                   LEFT JOIN grid ng ON ng.id = ngu.grid_id
                   WHERE u.community_id = :c ORDER BY b.code"""

_PEOPLE_SQL = f"""WITH succ AS ({SUCCESSOR_SQL}),
                old_b AS (SELECT gu.grid_id, b.id FROM grid_unit gu
                          JOIN building b ON b.base_unit_id = gu.unit_id WHERE gu.layer_id = :old),
                new_b AS (SELECT gu.grid_id, b.id FROM grid_unit gu
                          JOIN building b ON b.base_unit_id = gu.unit_id WHERE gu.layer_id = :new),
                who AS (
                    SELECT 'grid_leader' AS kind, m.name AS person, a.role, a.grid_id
                    FROM assignment a JOIN party_member m ON m.id = a.member_id
                    JOIN grid g ON g.id = a.grid_id
                    WHERE g.layer_id = :old AND g.community_id = :c
                      AND (a.ends_on IS NULL OR a.ends_on >= current_date)
                    UNION ALL
                    SELECT 'grid_worker', au.username, 'field_worker', g.id
                    FROM app_user au JOIN grid g ON g.code = au.scope_code AND g.layer_id = :old
                    WHERE au.scope_level = 'grid' AND au.scope_layer = 'unified' AND au.active
                      AND g.community_id = :c
                )
                SELECT who.kind, who.person, who.role, og.code AS grid_before,
                       ng.code AS grid_after,
                       (SELECT count(*) FROM old_b WHERE old_b.grid_id = who.grid_id)
                           AS buildings_before,
                       (SELECT count(*) FROM new_b WHERE new_b.grid_id = succ.new_id)
                           AS buildings_after,
                       (SELECT count(*) FROM new_b WHERE new_b.grid_id = succ.new_id
                          AND new_b.id NOT IN (SELECT id FROM old_b
                                               WHERE old_b.grid_id = who.grid_id))
                           AS gained,
                       (SELECT count(*) FROM old_b WHERE old_b.grid_id = who.grid_id
                          AND old_b.id NOT IN (SELECT id FROM new_b
                                               WHERE new_b.grid_id = succ.new_id))
                           AS lost
                FROM who JOIN grid og ON og.id = who.grid_id
                LEFT JOIN succ ON succ.old_id = who.grid_id
                LEFT JOIN grid ng ON ng.id = succ.new_id
                ORDER BY who.kind, og.code, who.person"""


def impact(
    conn: Connection,
    scenario_id: int,
    community: str,
    *,
    access: Access,
    weights: WorkloadWeights | None = None,
) -> dict[str, Any]:
    """What a scenario changes for one community: each building's grid before and after, the
    grid leaders and field workers with the buildings they gain and lose, and who would lead
    each new grid (masked names unless ``access`` may see personal data)."""
    scenario = _scenario_layer(conn, scenario_id, access=access)
    found = _community_in(conn, community, scenario["area"], scenario_id)
    old = conn.execute(text("SELECT id FROM grid_layer WHERE code = 'unified'")).scalar()
    params = {"c": found.id, "old": old, "new": scenario["layer_id"]}
    buildings = [dict(r) for r in conn.execute(text(_BUILDINGS_SQL), params).mappings()]
    people = conn.execute(text(_PEOPLE_SQL), params).mappings()
    mask = not access.personal_data
    leaders = succession.plan(
        conn, succession_sql(weights or WorkloadWeights(), "ng.community_id = :c"), params, today()
    )
    persons = []
    for r in people:
        row = dict(r)
        if mask and row["kind"] == "grid_leader":
            row["person"] = mask_name(row["person"])
        persons.append(row)
    return {
        "scenario": scenario_id,
        "community": {"code": community, "name": found.name},
        "buildings": buildings,
        "buildings_moved": sum(
            1 for b in buildings if b["grid_before"] and b["grid_before"] != b["grid_after"]
        ),
        "people": persons,
        "leaders": [d.to_json(masked=mask) for d in leaders.decisions],
    }


def _community_in(conn: Connection, community: str, area: list[str], scenario_id: int) -> Any:
    """The community ``community`` (id, name), refused unless it lies in the scenario's area."""
    if not (community.isdigit() and len(community) == 12):
        raise Invalid(
            f"社区代码为 12 位；收到 {community!r} ("
            f"a community code has 12 digits; got {community!r})",
            community=community,
        )
    found = conn.execute(
        text("SELECT id, name FROM community WHERE code = :c"), {"c": community}
    ).first()
    if found is None:
        raise NotFound(
            f"没有代码为 {community!r} 的社区 (no community with code {community!r})",
            community=community,
        )
    if not any(community.startswith(a) for a in area):
        raise Forbidden(
            f"社区 {community} 不在方案 {scenario_id} 的区域内 ("
            f"community {community} is not in scenario {scenario_id}'s area "
            f"({', '.join(area)}))",
            community=community,
        )
    return found
