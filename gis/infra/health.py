"""What an operator asks first: is the database there, with PostGIS, at the latest schema?"""

from __future__ import annotations

from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from gis.infra.db import alembic_config


def database_health(conn: Connection) -> dict[str, Any]:
    postgis = conn.execute(text("SELECT postgis_lib_version()")).scalar_one()
    revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    head = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    return {"postgis": postgis, "revision": revision, "head": head, "up_to_date": revision == head}
