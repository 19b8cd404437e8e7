"""``gridmap forms …``: 一表同享 from the command line — the forms and how much of each the data
fill (``list``), and a form filled as XLSX (``fill``), a shipped one by name or a department's
own template file (``--template``). A template naming an unknown field exits with status 2 and
the column named. Audited as ``system:<os user>``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from gridmap_cli.access import system_access
from gridmap_cli.db import transaction as _transaction
from gridmap_cli.errors import friendly

forms_app = typer.Typer(
    help="一表同享: department forms filled from the data.", no_args_is_help=True
)


@forms_app.command("list")
@friendly
def list_cmd() -> None:
    """The shipped forms: columns from the data and columns that still need a hand (减负)."""
    from gis.forms import relief, shipped_names, shipped_template

    with _transaction() as conn:
        for name in shipped_names():
            found = relief(shipped_template(conn, name))
            typer.echo(
                f"{name}\t{found.department}\t{found.title}\t数据填写 from data "
                f"{len(found.from_data)}/{found.columns} ({found.share_from_data:.0%})\t"
                f"需人工 by hand: {'、'.join(found.by_hand) or '无 none'}"
            )


@forms_app.command("fill")
@friendly
def fill_cmd(
    name: Annotated[
        str | None, typer.Argument(help="a shipped form (see `gridmap forms list`)")
    ] = None,
    template: Annotated[
        Path | None, typer.Option("--template", exists=True, dir_okay=False, help="a TOML template")
    ] = None,
    month: Annotated[
        str | None, typer.Option("--month", help="YYYY-MM (default: last month)")
    ] = None,
    scope: Annotated[
        str | None, typer.Option("--scope", help="e.g. district:361002 (default: the whole city)")
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="the XLSX file to write")] = Path(
        "form.xlsx"
    ),
) -> None:
    """Fill a form for a month and a scope and write it as XLSX."""
    from gis.chinatime import CHINA
    from gis.errors import Invalid
    from gis.forms import fill_form, form_xlsx, parse_template, shipped_template

    if (name is None) == (template is None):
        raise Invalid("请给出表单名或 --template 文件之一 (name a form or give --template)")
    now = dt.datetime.now(dt.UTC)
    if month is None:
        month = (now.astimezone(CHINA).date().replace(day=1) - dt.timedelta(days=1)).strftime(
            "%Y-%m"
        )
    access = system_access(scope)
    with _transaction() as conn:
        if template is not None:
            form = parse_template(conn, template.read_text("utf-8"), template.name)
        else:
            form = shipped_template(conn, name or "")
        filled = fill_form(conn, form, month, access=access, now=now)
        file = form_xlsx(conn, filled, access=access, now=now)
    out.write_bytes(file.data)
    r = filled.relief
    typer.echo(
        f"{out}: {form.title} {month}, {len(filled.rows)} 行 rows; 数据填写 from data "
        f"{len(r.from_data)}/{r.columns}; 需人工 by hand: {'、'.join(r.by_hand) or '无 none'}"
    )
