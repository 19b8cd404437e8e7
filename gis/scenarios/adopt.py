"""Adopting a scenario: its layer becomes the unified net, in one transaction.

1. The scenario must be done (adopted twice, or failed/cancelled → 409), and the unified layer
   must still be at the version the scenario started from (else 409, saying both versions).
2. Grids of today's unified layer outside the scenario's area are copied into the scenario's
   layer unchanged (code, name, lock, geometry, totals): the new net covers the whole city.
3. Current assignments on today's grids (grid leaders and cadres sent down) follow their
   buildings: to the new grid holding most of the old grid's households. Where two old grids'
   leaders land on one new grid, the leader of the larger share of its workload stays and the
   other's assignment ends today, archived as 网格合并 (:mod:`gis.party.succession`; the impact
   preview shows the same decisions beforehand). Ended assignments stay on the old grid, in the
   history layer. Those that cannot follow, new grids left without a grid leader, and field
   workers whose grid code no longer exists are listed for follow-up (kept on the scenario).
4. Today's unified layer is kept as history (kind 'history', code ``unified-v<version>``); the
   scenario's layer takes the code ``unified`` and version + 1; who adopted it is audited.

Grid codes were made stable when the scenario ran (see :mod:`gis.scenarios.run`): a grid whose
units did not change keeps its code, so field workers' scopes and printed maps stay right.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, text

from gis import audit
from gis.access import Access
from gis.accounts import Permission
from gis.errors import Conflict, IllegalTransition
from gis.grids import refresh_grids
from gis.infra.settings import Settings
from gis.labels import SCENARIO_STATES, chinese
from gis.party import succession
from gis.party.common import today
from gis.scenarios.impact import SUCCESSOR_SQL, succession_sql
from gis.scenarios.store import area_filter, get_scenario
from gis.scenarios.values import Scenario
from gis.workload import ATTRIBUTES

_IN_AREA = (
    "EXISTS (SELECT 1 FROM grid_unit x JOIN base_unit xu ON xu.id = x.unit_id "
    "JOIN community c ON c.id = xu.community_id WHERE x.grid_id = {g}.id AND {cond})"
)


def adopt(conn: Connection, scenario_id: int, settings: Settings, *, access: Access) -> Scenario:
    access.require(Permission.RUN_SCENARIOS)
    scenario = get_scenario(conn, scenario_id, lock=True, access=access)
    new_id, old = _check_adoptable(conn, scenario, scenario_id)
    scenario_grids = list(
        conn.execute(text("SELECT id FROM grid WHERE layer_id = :l"), {"l": new_id}).scalars()
    )
    moved: dict[str, int] = {}
    follow_up: dict[str, Any] = {}
    leaders: list[dict[str, Any]] = []
    history = None
    if old is not None:
        moved, follow_up, leaders = _take_over(conn, scenario, old, new_id, settings)
        history = _history_code(conn, old.version)
        conn.execute(
            text(
                "UPDATE grid_layer SET code = :code, kind = 'history', "
                "name = left(name || :suffix, 128) WHERE id = :id"
            ),
            {"code": history, "suffix": f"（v{old.version} 历史）", "id": old.id},
        )
    version = (old.version + 1) if old is not None else 1
    conn.execute(
        text(
            "UPDATE grid_layer SET code = 'unified', kind = 'unified', name = '统一网格', "
            "version = :v WHERE id = :id"
        ),
        {"v": version, "id": new_id},
    )
    # The unified net's workload follows the installation's definition (what the map reads).
    refresh_grids(
        conn, settings.weights, grid_ids=scenario_grids, min_shared_m=settings.min_shared_m
    )
    result = {
        "scenario": scenario_id,
        "unified_version": version,
        "history_layer": history,
        "assignments_moved": moved,
        "leaders": leaders,
        "follow_up": follow_up,
    }
    _record(conn, scenario, old, result, access=access)
    return replace(get_scenario(conn, scenario_id, access=access), adoption=result)


def _check_adoptable(conn: Connection, scenario: Scenario, scenario_id: int) -> Any:
    """The scenario's layer id and today's unified layer (locked), or why it cannot be adopted."""
    if scenario.state == "adopted":
        raise Conflict(
            f"方案 {scenario_id} 已于 {scenario.adopted_at} 由 "
            f"{scenario.adopted_by} 采纳 ("
            f"scenario {scenario_id} was already adopted by {scenario.adopted_by} at "
            f"{scenario.adopted_at})",
            scenario=scenario_id,
            reason="already_adopted",
        )
    if scenario.state != "done":
        raise IllegalTransition(
            f"方案 {scenario_id} 的状态为{chinese(SCENARIO_STATES, scenario.state)}：只有已"
            "完成的方案才能采纳 ("
            f"scenario {scenario_id} is {scenario.state}: only a finished scenario can be "
            "adopted)",
            scenario=scenario_id,
            reason="not_done",
        )
    new_id = conn.execute(
        text("SELECT id FROM grid_layer WHERE code = :c FOR UPDATE"), {"c": scenario.layer}
    ).scalar_one()
    old = conn.execute(
        text("SELECT id, version, name FROM grid_layer WHERE code = 'unified' FOR UPDATE")
    ).first()
    if old is not None and old.version != scenario.base_version:
        raise Conflict(
            f"方案 {scenario_id} 运行后统一网格图层已有变化：方案基于"
            f"第 {scenario.base_version} 版，图层现为第 "
            f"{old.version} 版。请基于当前图层重新运行方案。 ("
            f"the unified layer changed since scenario {scenario_id} ran: it started from "
            f"version {scenario.base_version}, the layer is now at version {old.version}. "
            "Run the scenario again on today's layer.)",
            scenario=scenario_id,
            reason="stale",
            base_version=scenario.base_version or 0,
            current_version=old.version,
        )
    return new_id, old


def _take_over(
    conn: Connection, scenario: Scenario, old: Any, new_id: int, settings: Settings
) -> tuple[dict[str, int], dict[str, Any], list[dict[str, Any]]]:
    """Copy today's grids outside the area into the scenario's layer; assignments follow."""
    area = {"area": scenario.area}
    in_area = _IN_AREA.format(g="g", cond=area_filter("c.code"))
    out_area = _IN_AREA.format(g="g", cond="NOT " + area_filter("c.code"))
    straddling = list(
        conn.execute(
            text(
                f"SELECT g.code FROM grid g WHERE g.layer_id = :old AND {in_area} "
                f"AND {out_area} ORDER BY g.code LIMIT 5"
            ),
            {"old": old.id} | area,
        ).scalars()
    )
    if straddling:
        raise Conflict(
            f"统一网格 {', '.join(straddling)} 有一部分在方案区域外："
            "请把区域扩大到这些网格所在的社区后重新运行 ("
            f"unified grid(s) {', '.join(straddling)} lie partly outside the scenario's "
            "area: widen the area to their communities and run it again)",
            scenario=scenario.id,
            reason="straddling",
        )
    copied = _copy_outside(conn, old.id, new_id, in_area, area)
    moved, follow_up, leaders = _follow(conn, old.id, new_id, settings)
    follow_up["grids_copied_outside_area"] = copied
    return moved, follow_up, leaders


def _record(
    conn: Connection, scenario: Scenario, old: Any, result: dict[str, Any], *, access: Access
) -> None:
    conn.execute(
        text(
            "UPDATE scenario SET state = 'adopted', adopted_by = :who, adopted_at = now(), "
            "adoption = CAST(:adoption AS jsonb) WHERE id = :id"
        ),
        {"who": access.name, "adoption": _json(result), "id": scenario.id},
    )
    follow_up = result["follow_up"]
    audit.record(
        conn,
        access.actor,
        "scenario.adopt",
        "grid_layer",
        "unified",
        {"version": old.version if old is not None else None, "layer": scenario.layer},
        {
            "version": result["unified_version"],
            "scenario": scenario.id,
            "history_layer": result["history_layer"],
            "assignments_moved": result["assignments_moved"],
            "follow_up_counts": {k: len(v) for k, v in follow_up.items() if isinstance(v, list)},
        },
    )


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, default=str)


def _history_code(conn: Connection, version: int) -> str:
    code, n = f"unified-v{version}", 1
    while conn.execute(text("SELECT 1 FROM grid_layer WHERE code = :c"), {"c": code}).first():
        n += 1
        code = f"unified-v{version}-{n}"
    return code


def _copy_outside(
    conn: Connection, old_id: int, new_id: int, in_area: str, area: dict[str, Any]
) -> int:
    columns = ", ".join(
        ["code", "name", "community_id", "unit_count", "community_count", "span", *ATTRIBUTES]
        + ["workload", "area_m2", "locked", "pieces", "geom"]
    )
    copied = conn.execute(
        text(
            f"INSERT INTO grid (layer_id, {columns}) SELECT :new, {columns} "
            f"FROM grid g WHERE g.layer_id = :old AND NOT {in_area}"
        ),
        {"new": new_id, "old": old_id} | area,
    ).rowcount
    conn.execute(
        text(
            """INSERT INTO grid_unit (layer_id, unit_id, grid_id)
               SELECT :new, gu.unit_id, ng.id FROM grid_unit gu
               JOIN grid og ON og.id = gu.grid_id
               JOIN grid ng ON ng.layer_id = :new AND ng.code = og.code
               WHERE gu.layer_id = :old
                 AND NOT EXISTS (SELECT 1 FROM grid_unit s WHERE s.layer_id = :new
                                 AND s.unit_id = gu.unit_id)"""
        ),
        {"new": new_id, "old": old_id},
    )
    return int(copied)


def _follow(
    conn: Connection, old_id: int, new_id: int, settings: Settings
) -> tuple[dict[str, int], dict[str, Any], list[dict[str, Any]]]:
    """Move grid assignments to their successor grids, deciding between two grid leaders of one
    new grid by the rule of :mod:`gis.party.succession`; list what needs a person's attention."""
    params = {"old": old_id, "new": new_id}
    on = today()
    stranded = _stranded(conn, params, on)  # read before the succession moves anyone
    plan = succession.plan(conn, succession_sql(settings.weights), params, on)
    succession.carry_out(conn, plan, on, "unified")
    moved: dict[str, int] = {}
    for holder in plan.moves:
        moved[holder.role] = moved.get(holder.role, 0) + 1
    archived = [h.to_json(masked=False, reason=succession.MERGED) for h in plan.archived]
    return (
        moved,
        {
            "assignments_without_grid": stranded,
            "assignments_archived": archived,
            **_unled(conn, params),
        },
        [d.to_json(masked=False) for d in plan.decisions],
    )


def _stranded(conn: Connection, params: dict[str, int], on: dt.date) -> list[dict[str, Any]]:
    """The live grid assignments whose old grid has no successor in the new layer."""
    return [
        dict(r)
        for r in conn.execute(
            text(
                f"""SELECT a.id AS assignment, a.role, m.code AS member, g.code AS old_grid
                   FROM assignment a JOIN grid g ON g.id = a.grid_id
                   JOIN party_member m ON m.id = a.member_id
                   WHERE g.layer_id = :old
                     AND (a.ends_on IS NULL OR a.ends_on >= :on)
                     AND NOT EXISTS (SELECT 1 FROM ({SUCCESSOR_SQL}) s WHERE s.old_id = g.id)
                   ORDER BY g.code, a.id"""
            ),
            params | {"on": on},
        ).mappings()
    ]


def _unled(conn: Connection, params: dict[str, int]) -> dict[str, list[Any]]:
    """After the succession: new grids with no grid leader or with several, and field workers
    whose grid code is gone from the new layer."""
    without_leader = list(
        conn.execute(
            text(
                """SELECT g.code FROM grid g WHERE g.layer_id = :new AND g.unit_count > 0
                   AND NOT EXISTS (SELECT 1 FROM assignment a WHERE a.grid_id = g.id
                                   AND a.role = 'grid_leader'
                                   AND (a.ends_on IS NULL OR a.ends_on >= current_date))
                   ORDER BY g.code"""
            ),
            params,
        ).scalars()
    )
    several = [
        {"grid": code, "grid_leaders": n}
        for code, n in conn.execute(
            text(
                """SELECT g.code, count(*) FROM grid g JOIN assignment a ON a.grid_id = g.id
                   WHERE g.layer_id = :new AND a.role = 'grid_leader'
                     AND (a.ends_on IS NULL OR a.ends_on >= current_date)
                   GROUP BY g.code HAVING count(*) > 1 ORDER BY g.code"""
            ),
            params,
        )
    ]
    workers = list(
        conn.execute(
            text(
                """SELECT au.username FROM app_user au
                   WHERE au.scope_level = 'grid' AND au.scope_layer = 'unified' AND au.active
                     AND NOT EXISTS (SELECT 1 FROM grid g WHERE g.layer_id = :new
                                     AND g.code = au.scope_code)
                   ORDER BY au.username"""
            ),
            params,
        ).scalars()
    )
    return {
        "grids_without_leader": without_leader,
        "grids_with_several_leaders": several,
        "field_workers_without_grid": workers,
    }
