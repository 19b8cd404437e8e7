"""Answers served again until the data change (gis.infra.answers): never stale after a commit,
never another scope's, never a rolled-back transaction's, and no lock held by a long writer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, text

from gis.access import Access
from gis.errors import Invalid
from gis.incidents.figures import MAX_AGE_SECONDS, figures
from gis.infra.answers import CACHE, remembered
from gis.infra.versions import read_versions
from gis.layers import list_layers
from gis.scope import Scope
from gis.tiles.sources import source
from gis.tiles.versions import source_state
from tests.tiny_city import DISTRICT

BAND = (300.0, 500.0)
SUBJECTS = ("grids", "incidents", "places")
TINY = Access.system("system:test", scope=Scope.district(DISTRICT))
SAMPLE = Access.system("system:test", scope=Scope.district("361002"))


def _unified_grid(conn: Connection, district: str) -> tuple[int, float]:
    row = conn.execute(
        text(
            "SELECT g.id, g.workload FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
            "WHERE l.code = 'unified' AND starts_with(g.code, :d) ORDER BY g.code LIMIT 1"
        ),
        {"d": district},
    ).one()
    return int(row[0]), float(row[1])


def _write_workload(conn: Connection, grid_id: int, workload: float) -> None:
    conn.execute(
        text("UPDATE grid SET workload = :w WHERE id = :id"), {"w": workload, "id": grid_id}
    )


def _set_workload(engine: Engine, grid_id: int, workload: float) -> None:
    with engine.begin() as conn:
        _write_workload(conn, grid_id, workload)


def _unified(layers: list) -> object:
    return next(x for x in layers if x.code == "unified")


@pytest.fixture
def heavier(engine: Engine) -> Iterator[tuple[int, float]]:
    """A unified grid of the tiny city made 10,000 heavier for the test, committed, and put back."""
    with engine.connect() as conn:
        grid_id, workload = _unified_grid(conn, DISTRICT)
    yield grid_id, workload
    _set_workload(engine, grid_id, workload)


def test_a_commit_bumps_its_subjects_and_a_rollback_bumps_nothing(engine: Engine) -> None:
    with engine.connect() as conn:
        before = read_versions(conn, SUBJECTS).numbers
        grid_id, workload = _unified_grid(conn, DISTRICT)
    _set_workload(engine, grid_id, workload)
    with engine.connect() as conn:
        after = read_versions(conn, SUBJECTS)
        assert after.numbers == (before[0] + 1, before[1], before[2])
        assert not after.wrote
        conn.rollback()
        with conn.begin() as txn:
            conn.execute(text("UPDATE incident SET category = category WHERE false"))
            conn.execute(text("UPDATE grid SET workload = workload WHERE id = :i"), {"i": grid_id})
            assert read_versions(conn, SUBJECTS).wrote  # its answers are its own
            txn.rollback()
        assert read_versions(conn, SUBJECTS).numbers == after.numbers


def test_a_long_writer_locks_no_version_until_it_commits(engine: Engine) -> None:
    """An import holding its transaction open for minutes must not stall every other write:
    the counters are bumped by a deferred trigger, at commit only."""
    with engine.connect() as slow, engine.connect() as quick:
        first, _ = _unified_grid(slow, DISTRICT)
        other, _ = _unified_grid(quick, "361002")
        before = read_versions(quick, SUBJECTS).numbers
        quick.rollback()
        slow.rollback()
        with slow.begin():
            slow.execute(text("UPDATE grid SET workload = workload WHERE id = :i"), {"i": first})
            with quick.begin():
                quick.execute(text("SET LOCAL lock_timeout = '2s'"))
                quick.execute(
                    text("UPDATE grid SET workload = workload WHERE id = :i"), {"i": other}
                )
            assert read_versions(quick, SUBJECTS).numbers[0] == before[0] + 1
            quick.rollback()
        assert read_versions(quick, SUBJECTS).numbers[0] == before[0] + 2


def test_the_layer_list_is_served_again_until_a_grid_changes(
    engine: Engine, heavier: tuple[int, float]
) -> None:
    grid_id, workload = heavier
    CACHE.clear()
    with engine.connect() as conn:
        first = list_layers(conn, BAND, access=TINY)
        again = list_layers(conn, BAND, access=TINY)
        assert again is first and CACHE.hits == 1
    _set_workload(engine, grid_id, workload + 10_000)
    with engine.connect() as conn:
        changed = list_layers(conn, BAND, access=TINY)
        assert _unified(changed).workload_max == pytest.approx(workload + 10_000, abs=0.1)
        assert changed == list_layers.__wrapped__(conn, BAND, access=TINY)  # type: ignore[attr-defined]
    _set_workload(engine, grid_id, workload)
    with engine.connect() as conn:
        assert list_layers(conn, BAND, access=TINY) == first


def test_a_transaction_that_wrote_sees_its_rows_and_leaves_nothing_behind(
    engine: Engine, heavier: tuple[int, float]
) -> None:
    grid_id, workload = heavier
    CACHE.clear()
    with engine.connect() as conn:
        clean = list_layers(conn, BAND, access=TINY)
        conn.rollback()
        with conn.begin() as txn:
            _write_workload(conn, grid_id, workload + 10_000)
            mine = list_layers(conn, BAND, access=TINY)
            assert _unified(mine).workload_max == pytest.approx(workload + 10_000, abs=0.1)
            txn.rollback()
        assert list_layers(conn, BAND, access=TINY) == clean


def test_scopes_never_share_an_answer(engine: Engine) -> None:
    CACHE.clear()
    with engine.connect() as conn:
        tiny = _unified(list_layers(conn, BAND, access=TINY))
        sample = _unified(list_layers(conn, BAND, access=SAMPLE))
    assert tiny.grid_count != sample.grid_count  # type: ignore[attr-defined]
    assert CACHE.misses == 2 and CACHE.hits == 0


def test_figures_are_served_again_for_at_most_their_age(engine: Engine) -> None:
    CACHE.clear()
    t0 = dt.datetime(2026, 6, 1, 8, tzinfo=dt.UTC)
    with engine.connect() as conn:
        first = figures(conn, "community", access=SAMPLE, now=t0)
        soon = figures(conn, "community", access=SAMPLE, now=t0 + dt.timedelta(seconds=5))
        later = t0 + dt.timedelta(seconds=MAX_AGE_SECONDS + 1)
        late = figures(conn, "community", access=SAMPLE, now=later)
        earlier = figures(conn, "community", access=SAMPLE, now=t0 - dt.timedelta(seconds=1))
    assert soon is first and soon["now"] == t0.isoformat()  # says when it was computed
    assert late is not first and late["now"] == later.isoformat()
    assert earlier["now"] == (t0 - dt.timedelta(seconds=1)).isoformat()
    assert first["total"]["total"] > 0


def test_figures_by_community_stand_through_a_grid_edit_not_an_incident_change(
    engine: Engine, heavier: tuple[int, float]
) -> None:
    grid_id, workload = heavier
    CACHE.clear()
    now = dt.datetime.now(dt.UTC)
    with engine.connect() as conn:
        by_community = figures(conn, "community", access=SAMPLE, now=now)
        by_grid = figures(conn, "grid", access=SAMPLE, now=now)
    _set_workload(engine, grid_id, workload + 1)  # an editor's apply, as far as versions go
    with engine.connect() as conn:
        assert figures(conn, "community", access=SAMPLE, now=now) is by_community
        assert figures(conn, "grid", access=SAMPLE, now=now) is not by_grid
    with engine.begin() as conn:
        first = conn.execute(text("SELECT min(id) FROM incident")).scalar_one()
        conn.execute(text("UPDATE incident SET category = category WHERE id = :i"), {"i": first})
    with engine.connect() as conn:
        assert figures(conn, "community", access=SAMPLE, now=now) is not by_community


def test_an_incident_update_that_adds_no_row_is_a_new_tile_version(
    engine: Engine, settings
) -> None:
    """Tile versions of incidents and places are data versions too: a changed state or category
    (no new row) is a new version once committed, and a writing transaction's own tiles are
    keyed apart from everyone else's."""
    src = source("incidents")

    def version(conn: Connection) -> str:
        return source_state(conn, settings, src, access=SAMPLE).version

    with engine.connect() as conn:
        before = version(conn)
        first = conn.execute(text("SELECT min(id) FROM incident")).scalar_one()
        conn.rollback()
        with conn.begin() as txn:
            conn.execute(
                text("UPDATE incident SET category = category WHERE id = :i"), {"i": first}
            )
            mine = version(conn)
            txn.rollback()
        assert mine != before
        assert version(conn) == before  # rolled back: nothing changed for anyone
        conn.rollback()
        with conn.begin():
            conn.execute(
                text("UPDATE incident SET category = category WHERE id = :i"), {"i": first}
            )
        committed = version(conn)
    assert committed not in (before, mine)


def test_a_refused_read_leaves_no_lock_behind(engine: Engine) -> None:
    @remembered("grids")
    def refuse(conn: Connection, *, access: Access) -> None:
        raise Invalid("不行 (refused)")

    CACHE.clear()
    with engine.connect() as conn, pytest.raises(Invalid):
        refuse(conn, access=TINY)
    assert CACHE.misses == 1 and not CACHE._locks
