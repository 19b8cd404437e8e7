"""How every ``gridmap`` command reports an error a user caused: one line, exit code 2."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer

from gis.errors import GridmapError

F = TypeVar("F", bound=Callable[..., Any])


def friendly(func: F) -> F:
    """Turn domain errors into a one-line message and exit code 2 instead of a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except GridmapError as exc:
            typer.secho(f"错误 error: {exc.message}", fg=typer.colors.RED, err=True)
            raise typer.Exit(2) from exc

    return wrapper  # type: ignore[return-value]
