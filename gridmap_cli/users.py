"""``gridmap user …``: accounts and the audit log from the command line.

The CLI acts as ``system:<os user>`` in the audit log: whoever runs it on the server already
owns the database, so it may create the first administrator and manage every user.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gis.chinatime import china_time
from gis.errors import Invalid
from gis.infra.settings import load_settings
from gridmap_cli.access import system_access
from gridmap_cli.db import transaction as _transaction
from gridmap_cli.errors import friendly

if TYPE_CHECKING:
    pass

users_app = typer.Typer(
    help="Users, roles and scopes; the demo logins; the audit log.", no_args_is_help=True
)

ROLE_HELP = "admin, planner, county, department, party or field_worker"
SCOPE_HELP = (
    "level:code — city, city:3610, district:361002, street:361002001, community:361002001001, "
    "grid:361002001001001 (a unified grid) or grid:LAYER/CODE"
)


def _read_password(from_stdin: bool, username: str) -> str:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise Invalid("标准输入中没有密码 (no password on standard input)")
        return line
    value: str = typer.prompt(f"Password for {username}", hide_input=True, confirmation_prompt=True)
    return value


PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input")
]


@users_app.command("create")
@friendly
def create(
    username: Annotated[str, typer.Argument(help="User name (a-z, 0-9, '.', '_', '-')")],
    admin: Annotated[bool, typer.Option("--admin", help="An administrator of everything")] = False,
    role: Annotated[str | None, typer.Option(help=ROLE_HELP)] = None,
    scope: Annotated[str | None, typer.Option(help=SCOPE_HELP)] = None,
    department: Annotated[str | None, typer.Option(help="Department staff: e.g. 城管局")] = None,
    name: Annotated[str, typer.Option(help="Display name")] = "",
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a user; `gridmap user create NAME --admin` makes the first administrator."""
    from gis.accounts import Role, create_user
    from gis.scope import Scope

    if admin:
        if role not in (None, Role.ADMIN.value):
            raise Invalid("--admin 和 --role 不能同时使用 (--admin and --role do not go together)")
        role = Role.ADMIN.value
        scope = scope or "city"
    if role is None or scope is None:
        raise Invalid(
            "请给出 --role 和 --scope（或 --admin） (give --role and --scope (or --admin))"
        )
    parsed_role = Role(role) if role in set(Role) else None
    if parsed_role is None:
        raise Invalid(f"未知的角色 {role!r}：{ROLE_HELP} (unknown role {role!r}: {ROLE_HELP})")
    parsed_scope = Scope.parse(scope)
    password = _read_password(password_stdin, username)
    with _transaction() as conn:
        user = create_user(
            conn,
            username=username,
            password=password,
            role=parsed_role,
            scope=parsed_scope,
            department=department,
            display_name=name,
            access=system_access(),
        )
    typer.echo(f"created {user.username}: {user.role.value}, scope {user.scope}")


@users_app.command("list")
@friendly
def list_(as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False) -> None:
    """Every user with role, scope and state."""
    from gis.accounts import list_users

    with _transaction() as conn:
        users = list_users(conn, access=system_access())
    if as_json:
        typer.echo(json.dumps([u.to_dict() for u in users], ensure_ascii=False))
        return
    typer.echo(f"{'user':20} {'role':13} {'active':6}  scope")
    for u in users:
        active = "yes" if u.active else "no"
        typer.echo(f"{u.username:20} {u.role.value:13} {active:6}  {u.scope}")


@users_app.command("update")
@friendly
def update(
    username: str,
    role: Annotated[str | None, typer.Option(help=ROLE_HELP)] = None,
    scope: Annotated[str | None, typer.Option(help=SCOPE_HELP)] = None,
    department: Annotated[str | None, typer.Option(help="Department ('' clears it)")] = None,
    name: Annotated[str | None, typer.Option(help="Display name")] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="Reactivate or deactivate")
    ] = None,
) -> None:
    """Change a user's role, scope, department, name; deactivate or reactivate (audited)."""
    from gis.accounts import Role, update_user
    from gis.scope import Scope

    kwargs: dict[str, Any] = {}
    if department is not None:
        kwargs["department"] = department or None
    with _transaction() as conn:
        user = update_user(
            conn,
            username,
            role=Role(role) if role else None,
            scope=Scope.parse(scope) if scope else None,
            display_name=name,
            active=active,
            **kwargs,
            access=system_access(),
        )
    state = "active" if user.active else "deactivated"
    typer.echo(f"{user.username}: {user.role.value}, scope {user.scope}, {state}")


@users_app.command("password")
@friendly
def password(username: str, password_stdin: PasswordStdin = False) -> None:
    """Set a user's password (their sessions end)."""
    from gis.accounts import reset_password

    new = _read_password(password_stdin, username)
    with _transaction() as conn:
        reset_password(conn, username, new, access=system_access())
    typer.echo(f"password of {username} set; their sessions have ended")


@users_app.command("demo")
@friendly
def demo(
    force: Annotated[bool, typer.Option(help="Also outside demo mode (GRIDMAP_DEMO)")] = False,
) -> None:
    """Create one demo user per role in the sample city (idempotent) and print the logins."""
    from gis.accounts import DEMO_PASSWORD, describe_scope, ensure_demo_users

    if not (load_settings().demo or force):
        raise Invalid(
            "演示用户的密码是公开的：只能在演示模式（GRIDMAP_DEMO=1）"
            "下或加 --force 创建 ("
            "demo users have a published password: only in demo mode (GRIDMAP_DEMO=1) "
            "or with --force)"
        )
    from gis.needs.sample import link_demo_taker

    with _transaction() as conn:
        users = ensure_demo_users(conn, access=system_access())
        rows = [(u, created, describe_scope(conn, u.scope)) for u, created in users]
        # The taker acts for a paired unit with orders (none before the sample is seeded).
        takes_for = link_demo_taker(conn, "taker", access=system_access())
    typer.echo(f"Demo logins (password: {DEMO_PASSWORD}):")
    for user, created, where in rows:
        note = "" if created else "  (existed)"
        acts = f"  for paired unit {takes_for}" if user.username == "taker" and takes_for else ""
        typer.echo(f"  {user.username:11} {user.role.value:13} {where}{note}{acts}")


def _when(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise Invalid(
            f"不是 ISO 日期或时间：{value!r}（例如 2026-11-25T08:00） "
            "("
            f"not an ISO date or time: {value!r} (e.g. 2026-11-25T08:00))"
        ) from exc


@users_app.command("audit")
@friendly
def audit_log(
    actor: Annotated[str | None, typer.Option(help="User name")] = None,
    action: Annotated[str | None, typer.Option(help="e.g. auth.login_failed, or user.")] = None,
    since: Annotated[str | None, typer.Option(help="ISO date/time, inclusive")] = None,
    until: Annotated[str | None, typer.Option(help="ISO date/time, exclusive")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    csv: Annotated[
        Path | None, typer.Option(help="Export every matching row as CSV to this file ('-': out)")
    ] = None,
) -> None:
    """Read the audit log (newest first), or export it as CSV."""
    from gis import audit

    query = audit.AuditQuery(actor, action, None, None, _when(since), _when(until))
    with _transaction() as conn:
        if csv is not None:
            chunks = audit.export_csv(conn, query)
            if str(csv) == "-":
                for chunk in chunks:
                    sys.stdout.write(chunk)
            else:
                fd = os.open(csv, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
                    out.writelines(chunks)
            filters = {k: str(v) for k, v in vars(query).items() if v is not None}
            audit.record(
                conn, system_access().actor, "audit.export", "audit_log", None, None, filters
            )
            return
        page = audit.list_entries(conn, query, limit=limit)
    for row in page["items"]:
        change = json.dumps(row["after"], ensure_ascii=False) if row["after"] else ""
        typer.echo(
            f"{china_time(row['at'], seconds=True)}  {row['actor']:16} {row['action']:20} "
            f"{row['entity']}:{row['entity_id'] or ''}  {change}"
        )
    typer.echo(f"({page['numberReturned']} of {page['numberMatched']})")
