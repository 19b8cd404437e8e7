"""``gridmap edit …``: the grid editor from the command line (moves, locks, history, revert).

The CLI acts as ``system:<os user>`` (see :mod:`gridmap_cli.users`): undo and redo work on that
actor's own edits. Every command prints the edit's answer as JSON; ``--dry-run`` previews.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer

from gis.chinatime import china_time
from gis.infra.settings import load_settings
from gridmap_cli.access import system_access
from gridmap_cli.db import transaction as _transaction
from gridmap_cli.errors import friendly

if TYPE_CHECKING:  # for annotations only: the CLI's --help stays fast
    from gis.editing.writer import EditResult

edit_app = typer.Typer(
    help="Redraw grids: move units, new grid, lock, history, undo/redo, revert.",
    no_args_is_help=True,
)

Layer = Annotated[str, typer.Option("--layer", help="unified or a scenario's layer code")]
Version = Annotated[
    int | None, typer.Option(help="the layer version the edit is made on (refused if stale)")
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="preview only: change nothing")]


def _show(result: EditResult) -> None:
    shown = asdict(result)
    shown.pop("preview", None)  # outlines: for the page, not for a terminal
    typer.echo(json.dumps(shown, ensure_ascii=False, indent=2, default=str))


@edit_app.command("move")
@friendly
def move(
    units: Annotated[str, typer.Argument(help="base unit codes, comma-separated")],
    to: Annotated[str, typer.Option("--to", help='target grid code, or "new"')],
    layer: Layer = "unified",
    name: Annotated[str | None, typer.Option(help="the new grid's name")] = None,
    version: Version = None,
    dry_run: DryRun = False,
    confirm: Annotated[bool, typer.Option(help="apply even if a grid is left in pieces")] = False,
) -> None:
    """Move base units into a grid of their community (or a new one)."""
    from gis import editing

    groups = [editing.MoveGroup([u.strip() for u in units.split(",") if u.strip()], to, name)]
    with _transaction() as conn:
        options = editing.EditOptions(version, dry_run, confirm)
        _show(
            editing.move_units(
                conn, layer, groups, options, load_settings(), access=system_access()
            )
        )


@edit_app.command("lock")
@friendly
def lock(
    grid: Annotated[str, typer.Argument(help="grid code")],
    layer: Layer = "unified",
    unlock: Annotated[bool, typer.Option("--unlock", help="unlock instead")] = False,
    version: Version = None,
) -> None:
    """Lock a grid (the editor and the optimizer leave it as it is), or unlock it."""
    from gis import editing

    with _transaction() as conn:
        options = editing.EditOptions(version)
        _show(
            editing.set_locked(
                conn, layer, grid, not unlock, options, load_settings(), access=system_access()
            )
        )


@edit_app.command("history")
@friendly
def history(
    layer: Layer = "unified",
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
) -> None:
    """The layer's edits, newest first."""
    from gis import editing

    with _transaction() as conn:
        page = editing.list_history(conn, layer, limit=limit, access=system_access())
    typer.echo(f"layer {page.layer} at version {page.version}")
    for item in page.items:
        undone = " (undone)" if item.undone else ""
        typer.echo(
            f"v{item.version:<5} {china_time(item.at, seconds=True)}  "
            f"{item.actor:<20} {item.kind:<7} "
            f"{item.summary}{undone}"
        )


@edit_app.command("undo")
@friendly
def undo(layer: Layer = "unified", dry_run: DryRun = False) -> None:
    """Undo the latest edit made from this account (system:<os user>)."""
    from gis import editing

    with _transaction() as conn:
        _show(editing.undo(conn, layer, load_settings(), dry_run=dry_run, access=system_access()))


@edit_app.command("redo")
@friendly
def redo(layer: Layer = "unified", dry_run: DryRun = False) -> None:
    """Redo the edit last undone from this account."""
    from gis import editing

    with _transaction() as conn:
        _show(editing.redo(conn, layer, load_settings(), dry_run=dry_run, access=system_access()))


@edit_app.command("revert")
@friendly
def revert(
    to_version: Annotated[int, typer.Argument(help="the version to go back to")],
    layer: Layer = "unified",
    version: Version = None,
    dry_run: DryRun = False,
) -> None:
    """Take the layer back to how it was at an earlier version (as one new edit)."""
    from gis import editing

    with _transaction() as conn:
        _show(
            editing.revert(
                conn,
                layer,
                to_version,
                load_settings(),
                version=version,
                dry_run=dry_run,
                access=system_access(),
            )
        )
