"""Scenarios as rows: create (queued for the worker), list, read, cancel, delete — in scope.

A scenario's state follows its job (queued → running → done | failed | cancelled) and ends in
``adopted`` when it becomes the unified layer. Every change is audited in its transaction.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from gis import audit
from gis.access import Access
from gis.accounts import Permission
from gis.errors import Forbidden, IllegalTransition, Invalid, NotFound
from gis.infra.settings import Settings
from gis.labels import SCENARIO_STATES, chinese
from gis.optimizer.io import area_filter as area_filter  # its home before; others import it here
from gis.scenarios.profiles import (
    WorkloadDefinition,
    check_band,
    check_weights,
    get_profile,
)
from gis.scenarios.values import JobProgress, Scenario, ScenarioJob, ScenarioListItem
from gis.scope import Scope

AREA_RE = re.compile(r"\d{4}|\d{6}(\d{3}){0,2}")
MAX_AREAS = 500
#: The strongest boundary-clarity weight a scenario may ask for (bench/clarity.py).
MAX_CLARITY = 16.0


def scenario_layer_code(scenario_id: int) -> str:
    """The code of a scenario's proposed layer, used in every ``/layers/{code}`` URL."""
    return f"scenario-{scenario_id}"


@dataclass(frozen=True)
class ScenarioSpec:
    """What a user asks for. Unset weights and band come from the district's profile."""

    name: str
    area: list[str]
    target_count: int | None = None
    band: list[float] | None = None
    weights: dict[str, float] | None = None
    seed: int = 0
    from_unified: bool = True
    keep_locked: bool = True
    notes: str = ""
    #: Boundary clarity (gis/optimizer/clarity.py): 0 off, up to MAX_CLARITY (bench/clarity.py).
    clarity: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def normalize_area(conn: Connection, area: list[str], scope: Scope) -> list[str]:
    """Checked, de-duplicated admin codes (a code inside another one is dropped).

    Each must be a city (4 digits), district, street or community code that holds base units,
    and lie inside ``scope``.
    """
    if not area:
        raise Invalid(
            "方案需要区域：区县、街道或社区代码（可多个） ("
            "a scenario needs an area: a district, street or community code (or several))"
        )
    if len(area) > MAX_AREAS:
        raise Invalid(f"区域代码最多 {MAX_AREAS} 个 (at most {MAX_AREAS} area codes)")
    codes = sorted({a.strip() for a in area})
    for code in codes:
        if not AREA_RE.fullmatch(code):
            raise Invalid(
                f"区域代码 {code!r} 不是城市（4 位）、区县（6 位）、街道（"
                "9 位）或社区（12 位）代码 ("
                f"area code {code!r} is not a city (4 digits), district (6), street (9) or "
                "community (12) code)",
                area=code,
            )
        if not scope.reaches(code):
            raise Forbidden(
                f"区域 {code} 不在您的权限范围（{scope}）内 ("
                f"area {code} is outside your scope ({scope}))",
                area=code,
            )
    kept = [c for c in codes if not any(c != o and c.startswith(o) for o in codes)]
    found = conn.execute(
        text(
            "SELECT a.code FROM unnest(CAST(:area AS text[])) AS a(code) WHERE NOT EXISTS ("
            "SELECT 1 FROM base_unit u JOIN community c ON c.id = u.community_id "
            "WHERE starts_with(c.code, a.code))"
        ),
        {"area": kept},
    ).scalars()
    empty = list(found)
    if empty:
        raise NotFound(
            f"区域代码 {empty[0]!r} 下没有基础单元 (no base units under area code {empty[0]!r})",
            area=empty[0],
        )
    return kept


def unified_version(conn: Connection) -> int | None:
    return conn.execute(text("SELECT version FROM grid_layer WHERE code = 'unified'")).scalar()


def create_scenario(
    conn: Connection, spec: ScenarioSpec, settings: Settings, *, access: Access
) -> Scenario:
    """Store a scenario and queue its job; the worker runs it (``scenario.create`` audited)."""
    access.require(Permission.RUN_SCENARIOS)
    scope = access.scope
    name = spec.name.strip()
    if not name or len(name) > 128:
        raise Invalid("方案名称须为 1 至 128 个字符 (a scenario name has 1 to 128 characters)")
    area = normalize_area(conn, spec.area, scope)
    districts = {a[:6] for a in area if len(a) >= 6}
    profile = get_profile(conn, districts.pop(), settings) if len(districts) == 1 else None
    norm: WorkloadDefinition = profile or default_definition(settings)
    weights = check_weights(spec.weights) if spec.weights is not None else norm["weights"]
    band = check_band(spec.band) if spec.band is not None else None
    if spec.target_count is not None and spec.target_count < 1:
        raise Invalid("目标网格数至少为 1 (target_count must be at least 1)")
    if not 0 <= spec.clarity <= MAX_CLARITY:
        raise Invalid(
            f"边界清晰度权重须在 0 至 {MAX_CLARITY:g} 之间 "
            f"(clarity must be between 0 and {MAX_CLARITY:g})"
        )
    if spec.target_count is None and band is None:
        band = list(norm["band"])  # the county's norm decides how many grids
    params = {
        "target_count": spec.target_count,
        "band": band,
        "band_for_metrics": band or list(norm["band"]),
        "weights": weights,
        "seed": int(spec.seed),
        "from_unified": bool(spec.from_unified),
        "keep_locked": bool(spec.keep_locked),
        "clarity": float(spec.clarity),
        "profile_district": profile["district"] if profile else None,
        "notes": spec.notes[:2000],
    }
    who = access.name
    row = conn.execute(
        text(
            "INSERT INTO scenario (name, area_codes, params, state, base_version, created_by) "
            "VALUES (:name, :area, CAST(:params AS jsonb), 'queued', :version, :who) "
            "RETURNING id"
        ),
        {
            "name": name,
            "area": area,
            "params": json.dumps(params),
            "version": unified_version(conn),
            "who": who,
        },
    ).one()
    conn.execute(
        text("INSERT INTO scenario_job (scenario_id, state) VALUES (:s, 'queued')"), {"s": row.id}
    )
    audit.record(
        conn,
        access.actor,
        "scenario.create",
        "scenario",
        row.id,
        None,
        {"name": name, "area": area} | params,
    )
    return get_scenario(conn, row.id, access=access)


def default_definition(settings: Settings) -> WorkloadDefinition:
    from gis.scenarios.profiles import default_profile

    return default_profile(settings)


SCENARIO_SQL = """
    SELECT s.id, s.name, s.area_codes, s.params, s.state, s.base_version, s.report, s.adoption,
           s.created_by, s.created_at, s.adopted_by, s.adopted_at,
           l.code AS layer_code, l.kind AS layer_kind,
           j.id AS job_id, j.state AS job_state, j.progress_done, j.progress_total,
           j.cancel_requested, j.error, j.created_at AS job_created_at, j.started_at,
           j.finished_at
    FROM scenario s
    LEFT JOIN grid_layer l ON l.id = s.layer_id
    LEFT JOIN LATERAL (SELECT * FROM scenario_job sj WHERE sj.scenario_id = s.id
                       ORDER BY sj.id DESC LIMIT 1) j ON true
"""


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


SUMMARY_KEYS = ("count", "workload_cv", "share_in_band", "units_moved", "seconds")


def _head(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "area": list(row["area_codes"]),
        "params": row["params"],
        "state": row["state"],
        "base_version": row["base_version"],
        "layer": row["layer_code"],
        "created_by": row["created_by"],
        "created_at": _iso(row["created_at"]),
        "adopted_by": row["adopted_by"],
        "adopted_at": _iso(row["adopted_at"]),
    }


def _job(row: Any) -> ScenarioJob | None:
    if row["job_id"] is None:
        return None
    return ScenarioJob(
        id=row["job_id"],
        state=row["job_state"],
        progress=JobProgress(done=row["progress_done"], total=row["progress_total"]),
        cancel_requested=row["cancel_requested"],
        error=row["error"],
        created_at=_iso(row["job_created_at"]),
        started_at=_iso(row["started_at"]),
        finished_at=_iso(row["finished_at"]),
    )


def scenario_of(row: Any) -> Scenario:
    """A row of :data:`SCENARIO_SQL` as a :class:`Scenario`."""
    return Scenario(**_head(row), report=row["report"], adoption=row["adoption"], job=_job(row))


def _in_scope(scope: Scope, area: list[str]) -> bool:
    return all(scope.reaches(a) for a in area)


def get_scenario(
    conn: Connection, scenario_id: int, *, access: Access, lock: bool = False
) -> Scenario:
    """One scenario; outside the actor's scope it is :class:`Forbidden`."""
    access.require(Permission.RUN_SCENARIOS)
    scope = access.scope
    sql = SCENARIO_SQL + " WHERE s.id = :id" + (" FOR UPDATE OF s" if lock else "")
    row = conn.execute(text(sql), {"id": scenario_id}).mappings().first()
    if row is None:
        raise NotFound(f"没有方案 {scenario_id} (no scenario {scenario_id})", scenario=scenario_id)
    if not _in_scope(scope, list(row["area_codes"])):
        raise Forbidden(
            f"方案 {scenario_id} 的区域 {', '.join(row['area_codes'])}"
            f" 超出您的权限范围（{scope}） ("
            f"scenario {scenario_id} covers {', '.join(row['area_codes'])}, outside your scope "
            f"({scope}))",
            scenario=scenario_id,
        )
    return scenario_of(row)


def list_scenarios(
    conn: Connection, *, access: Access, state: str | None = None, limit: int = 200
) -> list[ScenarioListItem]:
    """The scenarios whose whole area lies in the actor's scope, newest first (no reports: they
    can be long; ask for one scenario to read its report)."""
    access.require(Permission.RUN_SCENARIOS)
    scope = access.scope
    where = "NOT EXISTS (SELECT 1 FROM unnest(s.area_codes) a WHERE NOT starts_with(a, :prefix))"
    params: dict[str, Any] = {"prefix": scope.code, "limit": limit}
    if scope.level == "grid":
        where = "false"
    if state:
        where += " AND s.state = :state"
        params["state"] = state
    rows = conn.execute(
        text(SCENARIO_SQL + f" WHERE {where} ORDER BY s.id DESC LIMIT :limit"), params
    ).mappings()
    return [
        ScenarioListItem(
            **_head(row),
            adoption=row["adoption"],
            job=_job(row),
            summary={k: (row["report"] or {}).get(k) for k in SUMMARY_KEYS},
        )
        for row in rows
    ]


def cancel_scenario(conn: Connection, scenario_id: int, *, access: Access) -> Scenario:
    """A queued job is cancelled at once; a running one is asked to stop (the optimizer checks
    between communities, and nothing of a cancelled run is kept)."""
    found = get_scenario(conn, scenario_id, lock=True, access=access)
    job = found.job
    if job is None or job.state not in ("queued", "running"):
        raise IllegalTransition(
            f"方案 {scenario_id} 的状态为{chinese(SCENARIO_STATES, found.state)}：只有排队中"
            "或运行中的方案才能取消 ("
            f"scenario {scenario_id} is {found.state}: only a queued or running scenario can "
            "be cancelled)",
            scenario=scenario_id,
        )
    if job.state == "queued":
        conn.execute(
            text(
                "UPDATE scenario_job SET state = 'cancelled', cancel_requested = true, "
                "finished_at = now() WHERE id = :j"
            ),
            {"j": job.id},
        )
        conn.execute(
            text("UPDATE scenario SET state = 'cancelled' WHERE id = :s"), {"s": scenario_id}
        )
    else:
        conn.execute(
            text("UPDATE scenario_job SET cancel_requested = true WHERE id = :j"), {"j": job.id}
        )
    audit.record(
        conn,
        access.actor,
        "scenario.cancel",
        "scenario",
        scenario_id,
        {"state": job.state},
        None,
    )
    return get_scenario(conn, scenario_id, access=access)


def delete_scenario(conn: Connection, scenario_id: int, *, access: Access) -> None:
    """Discard a scenario and its proposed layer. A running one must be cancelled first; an
    adopted one is history (its layer is the unified net)."""
    found = get_scenario(conn, scenario_id, lock=True, access=access)
    if found.state in ("running", "adopted") or (
        found.state == "queued" and found.job and found.job.state == "running"
    ):
        raise IllegalTransition(
            f"方案 {scenario_id} 的状态为{chinese(SCENARIO_STATES, found.state)}："
            + ("请先取消" if found.state == "running" else "已采纳的方案不能删除")
            + f" (scenario {scenario_id} is {found.state}: "
            + ("cancel it first" if found.state == "running" else "an adopted scenario stays")
            + ")",
            scenario=scenario_id,
        )
    conn.execute(
        text(
            "DELETE FROM grid_layer WHERE id = (SELECT layer_id FROM scenario WHERE id = :s) "
            "AND kind = 'scenario'"
        ),
        {"s": scenario_id},
    )
    conn.execute(text("DELETE FROM scenario WHERE id = :s"), {"s": scenario_id})
    audit.record(
        conn,
        access.actor,
        "scenario.delete",
        "scenario",
        scenario_id,
        {"name": found.name, "area": found.area, "state": found.state},
        None,
    )
