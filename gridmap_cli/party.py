"""``gridmap party …``: party members' grid roles from the command line.

Coverage reports, lists of what has no leader, suggestions, assigning and ending roles. The
CLI acts as ``system:<os user>`` (audited as such) over the whole installation, or within
``--scope`` for reports; it prints names and phones in full, as the operator owns the database
(pipe reports with care: they hold personal data).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gis.chinatime import china_time
from gis.infra.settings import load_settings
from gridmap_cli.access import system_access
from gridmap_cli.db import transaction as _transaction
from gridmap_cli.errors import friendly

if TYPE_CHECKING:
    pass

party_app = typer.Typer(
    help="Party members' grid roles (网格长/楼栋长/单元长/下沉干部): coverage, suggestions, "
    "assignments.",
    no_args_is_help=True,
)

SCOPE_HELP = "level:code, e.g. district:361002 or community:361002001001 (default: everything)"
TARGET_HELP = "grid:LAYER/CODE (grid:CODE = unified), building:CODE or entrance:BUILDING/N"
Scope_ = Annotated[str | None, typer.Option("--scope", help=SCOPE_HELP)]
On = Annotated[
    str | None, typer.Option("--on", help="the day asked about, YYYY-MM-DD (default: today)")
]
AsJson = Annotated[bool, typer.Option("--json", help="JSON output")]


def _date(value: str | None) -> dt.date | None:
    from gis.errors import Invalid

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid(
            f"不是日期（YYYY-MM-DD）：{value!r} (not a date (YYYY-MM-DD): {value!r})"
        ) from None


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    –"


@party_app.command("coverage")
@friendly
def coverage_cmd(
    scope: Scope_ = None,
    by: Annotated[str, typer.Option(help="street, community or grid")] = "street",
    layer: Annotated[str, typer.Option(help="grid layer")] = "unified",
    on: On = None,
    as_json: AsJson = False,
) -> None:
    """Grid, building and unit leaders, cadres and members with a role: totals and per row."""
    from gis.errors import Invalid
    from gis.party import coverage

    if by not in ("street", "community", "grid"):
        raise Invalid(
            f"--by 须为 street、community 或 grid，而不是 {by!r} ("
            f"--by is street, community or grid, not {by!r})"
        )
    with _transaction() as conn:
        report = coverage(conn, layer=layer, on=_date(on), by=by, access=system_access(scope))  # type: ignore[arg-type]
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, default=str))
        return
    t = report["totals"]
    typer.echo(f"coverage on {report['on']} ({report['scope']}, layer {layer})")
    for label, part, whole in (
        ("grids with a grid leader", t["grids_with_leader"], t["grids"]),
        ("buildings with a leader", t["buildings_covered"], t["buildings"]),
        ("entrance units with a leader", t["entrances_covered"], t["entrances"]),
        ("members with a role", t["members_with_role"], t["members"]),
    ):
        typer.echo(f"  {label:30} {part:>8,} / {whole:<8,} {_pct(part, whole)}")
    typer.echo(f"  {'cadres sent down':30} {t['cadres']:>8,}")
    typer.echo("")
    if by == "grid":
        typer.echo(f"{'grid':16} {'leader':6} {'cadres':>6} {'buildings':>12} {'units':>12}")
        for r in report["rows"]:
            typer.echo(
                f"{r['code']:16} {'yes' if r['has_grid_leader'] else 'NO':6} {r['cadres']:>6} "
                f"{r['buildings_covered']:>5}/{r['buildings']:<6} "
                f"{r['entrances_covered']:>5}/{r['entrances']:<6}"
            )
        return
    typer.echo(f"{by:12} {'name':14} {'grids':>11} {'buildings':>13} {'units':>13} {'members':>13}")
    for r in report["rows"]:
        typer.echo(
            f"{r['code']:12} {r['name'][:7]:14} {r['grids_with_leader']:>5}/{r['grids']:<5} "
            f"{r['buildings_covered']:>6}/{r['buildings']:<6} "
            f"{r['entrances_covered']:>6}/{r['entrances']:<6} "
            f"{r['members_with_role']:>6}/{r['members']:<6}"
        )


@party_app.command("uncovered")
@friendly
def uncovered_cmd(
    kind: Annotated[str, typer.Argument(help="building, entrance, grid or member")] = "building",
    scope: Scope_ = None,
    community: Annotated[str | None, typer.Option(help="one community (12 digits)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 20,
    on: On = None,
    as_json: AsJson = False,
) -> None:
    """What has no leader (members: no role), the most households first."""
    from gis.party import uncovered

    with _transaction() as conn:
        page = uncovered(
            conn, kind, community=community, limit=limit,  # type: ignore[arg-type]
            on=_date(on), access=system_access(scope))  # fmt: skip
    if as_json:
        typer.echo(json.dumps(page, ensure_ascii=False, default=str))
        return
    typer.echo(
        f"{page['numberMatched']:,} {kind}(s) with no {'role' if kind == 'member' else 'leader'}"
    )
    for item in page["items"]:
        typer.echo("  " + "  ".join(str(v) for k, v in item.items() if k not in ("masked",)))


@party_app.command("suggest")
@friendly
def suggest_cmd(
    building: Annotated[str, typer.Argument(help="building code")],
    scope: Scope_ = None,
    limit: Annotated[int, typer.Option(min=1, max=50)] = 5,
) -> None:
    """The nearest members with free capacity to lead a building (straight line, metres)."""
    from gis.party import suggest_leaders

    settings = load_settings()
    with _transaction() as conn:
        answer = suggest_leaders(
            conn,
            building,
            max_buildings=settings.party_max_buildings,
            limit=limit,
            access=system_access(scope),
        )
    b = answer["building"]
    led = "has a leader" if b["covered"] else "no leader"
    typer.echo(f"{b['code']} {b['name']} ({b['households']} households, {led})")
    for m in answer["items"]:
        org = m["organisation"]["name"] if m["organisation"] else ""
        typer.echo(
            f"  {m['rank']:2}. {m['code']} {m['name']:6} {m['distance_m']:9.1f} m  "
            f"leads {m['buildings_led']}/{answer['max_buildings']}  {org}"
        )


@party_app.command("assign")
@friendly
def assign_cmd(
    member: Annotated[str, typer.Argument(help="member code, e.g. M000123")],
    role: Annotated[str, typer.Argument(help="grid_leader, building_leader, unit_leader, cadre")],
    target: Annotated[str, typer.Argument(help=TARGET_HELP)],
    starts_on: Annotated[
        str | None, typer.Option("--from", help="first day (default: today)")
    ] = None,
    ends_on: Annotated[str | None, typer.Option("--until", help="last day (default: open)")] = None,
    replace: Annotated[
        bool, typer.Option(help="hand over: end the current holder the day before")
    ] = False,
) -> None:
    """Give a member a role over a grid, a building or an entrance unit (audited)."""
    from gis.party import Target, assign
    from gis.party.common import parse_role, today

    settings = load_settings()
    with _transaction() as conn:
        made = assign(
            conn,
            member=member,
            role=parse_role(role),
            target=Target.parse(target),
            starts_on=_date(starts_on) or today(),
            ends_on=_date(ends_on),
            max_buildings=settings.party_max_buildings,
            replace=replace,
            access=system_access(),
        )
    until = made["ends_on"] or "open"
    holder = (made["member"] or {}).get("code")
    typer.echo(
        f"assignment {made['id']}: {holder} {made['role_label']} "
        f"({made['role']}) over {target}, {made['starts_on']} – {until}"
    )


@party_app.command("end")
@friendly
def end_cmd(
    assignment: Annotated[int, typer.Argument(help="assignment id", min=1, max=2**31 - 1)],
    on: Annotated[str | None, typer.Option("--on", help="last day (default: today)")] = None,
) -> None:
    """End an assignment (the row stays: history is kept; audited)."""
    from gis.party import end_assignment
    from gis.party.common import today

    with _transaction() as conn:
        ended = end_assignment(conn, assignment, _date(on) or today(), access=system_access())
    typer.echo(f"assignment {ended['id']} ends on {ended['ends_on']}")


@party_app.command("history")
@friendly
def history_cmd(target: Annotated[str, typer.Argument(help=TARGET_HELP)]) -> None:
    """Every assignment a target has had, newest first."""
    from gis.party import AssignmentQuery, Target, archived_assignments, list_assignments

    parsed = Target.parse(target)
    with _transaction() as conn:
        page = list_assignments(
            conn, AssignmentQuery(target=parsed, history=True), access=system_access()
        )
        archived: list[dict[str, Any]] = []
        if parsed.kind == "grid":  # the record of a grid that was deleted (merged away)
            archived = archived_assignments(conn, parsed.layer, parsed.code, access=system_access())
    typer.echo(f"{page['numberMatched'] + len(archived)} assignment(s) of {target}")
    for a in archived:
        member = a["member"]
        typer.echo(
            f"  {a['id']:>7} {a['role_label']:5} {member['code']:9} {member['name']:6} "
            f"{a['starts_on']} – {a['ends_on']} "
            f"(grid deleted {china_time(a['grid_deleted_at'])[:10]})"
        )
    for item in page["items"]:
        member = item["member"] or {}
        typer.echo(
            f"  {item['id']:>7} {item['role_label']:5} {member.get('code', ''):9} "
            f"{member.get('name', ''):6} {item['starts_on']} – {item['ends_on'] or 'open'}"
        )
