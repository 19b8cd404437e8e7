"""What an operator asks first: is the database there, with PostGIS, at the latest schema, and
is there room on the disk?"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from gis.infra.db import alembic_config


@cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


@dataclass(frozen=True)
class DatabaseHealth:
    """PostGIS's version and the schema's revision beside the newest one the code knows."""

    postgis: str | None
    revision: str | None
    head: str | None
    up_to_date: bool


def database_health(conn: Connection) -> DatabaseHealth:
    postgis = conn.execute(text("SELECT postgis_lib_version()")).scalar_one()
    revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    head = head_revision()
    return DatabaseHealth(postgis, revision, head, revision == head)


@dataclass(frozen=True)
class Health:
    """The answer to "is everything there?": ``problems`` empty means yes."""

    database: DatabaseHealth | None
    disk_free_mb: int | None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def disk_free_mb(path: Path) -> int | None:
    """Free space under ``path`` (its nearest existing parent), in MiB; None if unknown."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return int(shutil.disk_usage(candidate).free // (1 << 20))
    return None


def check_health(conn: Connection, data_dir: Path, *, min_free_mb: int) -> Health:
    """The database (PostGIS, schema revision) and the data directory's free space.

    A database that cannot be reached never gets here: connecting raises, and the web layer
    answers 503 naming that (:func:`api.problems.database_unavailable`).
    """
    problems: list[str] = []
    database = database_health(conn)
    free = disk_free_mb(data_dir)
    if free is not None and free < min_free_mb:
        problems.append(
            f"数据目录磁盘空间不足 (the disk of {data_dir} has {free} MiB free, "
            f"less than the {min_free_mb} MiB needed)"
        )
    return Health(database, free, problems)
