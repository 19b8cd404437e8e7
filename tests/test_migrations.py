"""Migrations are the only way the schema is made: up from empty, down to nothing, up again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from gis.infra.db import MIGRATIONS, current_revision, downgrade, make_engine, migrate
from gis.infra.models import Base

#: The foundation's tables; later migrations add their own (the ORM must describe all of them).
FOUNDATION_TABLES = {
    "district", "street", "community", "base_unit", "building", "building_entrance",
    "grid_layer", "grid", "grid_unit", "incident", "party_organisation", "party_member",
    "assignment", "audit_log", "app_user", "user_session",
}  # fmt: skip


@pytest.fixture
def empty_db_url(pg_url: str) -> Iterator[str]:
    """A fresh, empty database on the test server, dropped afterwards."""
    url = make_url(pg_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS gridmap_migrations"))
        conn.execute(text("CREATE DATABASE gridmap_migrations"))
    try:
        yield url.set(database="gridmap_migrations").render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS gridmap_migrations WITH (FORCE)"))
        admin.dispose()


def _head() -> str:
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None, "the migrations have more than one head"
    return head


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"spatial_ref_sys", "alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(empty_db_url: str) -> None:
    assert _tables(empty_db_url) == set()
    migrate(empty_db_url)
    tables = _tables(empty_db_url)
    assert tables >= FOUNDATION_TABLES
    assert tables == set(Base.metadata.tables)
    downgrade(empty_db_url, "base")
    assert _tables(empty_db_url) == set()
    migrate(empty_db_url)
    engine = make_engine(empty_db_url)
    assert current_revision(engine) == _head()
    with engine.connect() as conn:
        gist = conn.execute(
            text("SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING gist%'")
        ).scalars()
        assert set(gist) >= {"base_unit", "grid", "community", "building", "incident"}
    engine.dispose()


def test_models_match_migrations(engine) -> None:
    """The ORM and the migrations describe the same schema (no drift for autogenerate)."""
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # PostGIS's own table is not ours to describe.
    relevant = [d for d in diffs if "spatial_ref_sys" not in str(d)[:60]]
    assert relevant == []


def test_audit_log_is_append_only(conn) -> None:
    conn.execute(text("INSERT INTO audit_log (actor, action, entity) VALUES ('t', 'x', 'y')"))
    with pytest.raises(Exception, match="append-only"):
        conn.execute(text("UPDATE audit_log SET actor = 'someone else'"))


#: The query behind ``test_every_foreign_key_has_an_index``: a foreign key whose columns do not
#: lead some index, so that deleting a referenced row scans the referencing table.
UNINDEXED_FOREIGN_KEYS = """
SELECT c.conrelid::regclass::text || '(' || (
           SELECT string_agg(a.attname, ', ' ORDER BY k.n) FROM unnest(c.conkey) WITH ORDINALITY
           AS k(attnum, n) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
       ) || ') → ' || c.confrelid::regclass::text
FROM pg_constraint c
WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
  AND NOT EXISTS (
      SELECT 1 FROM pg_index i
      WHERE i.indrelid = c.conrelid
        AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
        AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey)
ORDER BY 1
"""


def test_every_foreign_key_has_an_index(conn) -> None:
    """Deleting a row checks (or nulls, or cascades to) every row that points at it. Without an
    index on the pointing column that is a scan of the whole table per deleted row: reloading
    the sample city spent over 15 minutes deleting 30,000 incidents, one scan of 110,000 needs
    each (need.incident_id)."""
    assert conn.execute(text(UNINDEXED_FOREIGN_KEYS)).scalars().all() == []


def test_gridmap_connections_compile_no_plans(conn) -> None:
    """JIT is off on Gridmap's connections (gis/infra/db.py): PostGIS's costs priced quick
    statements past jit_above_cost, and compiling took seconds longer than running."""
    assert conn.execute(text("SHOW jit")).scalar_one() == "off"
