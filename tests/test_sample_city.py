"""The shipped sample city: Fuzhou-shaped, at its real place, with the figures of the reports."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from gis.infra.settings import DEFAULT_SAMPLE
from tests.conftest import scalar

SAMPLE_DISTRICTS = ("361002", "361003")
DEPARTMENTS = ("zongzhi", "chengguan", "xinfang", "dangjian", "minzheng", "yingji")
NESTED = ("zongzhi", "xinfang", "dangjian", "minzheng")
IN_SAMPLE = "u.code LIKE '36100%'"


def test_sample_is_shipped() -> None:
    assert DEFAULT_SAMPLE.exists(), f"{DEFAULT_SAMPLE} must be in the repository"


@pytest.fixture
def sample(conn):
    found = scalar(conn, "SELECT count(*) FROM district WHERE code IN ('361002', '361003')")
    assert found == 2, "the sample city was not loaded"
    return conn


def rows(conn, sql: str, **params):
    return conn.execute(text(sql), params).all()


def test_counts_match_the_fuzhou_reports(sample) -> None:
    per_layer = dict(
        rows(
            sample,
            """SELECT l.code, count(DISTINCT g.id) FROM grid g
               JOIN grid_layer l ON l.id = g.layer_id
               JOIN grid_unit gu ON gu.grid_id = g.id JOIN base_unit u ON u.id = gu.unit_id
               WHERE u.code LIKE '36100%' GROUP BY l.code""",
        )
    )
    assert sum(per_layer[d] for d in DEPARTMENTS) == 5562
    assert per_layer["unified"] == 1292
    assert scalar(sample, f"SELECT count(*) FROM base_unit u WHERE {IN_SAMPLE}") == 5562
    communities = scalar(sample, "SELECT count(*) FROM community WHERE code LIKE '36100%'")
    assert 180 <= communities <= 220
    assert scalar(sample, "SELECT count(*) FROM street WHERE code LIKE '36100%'") >= 8


def test_it_stands_where_fuzhou_stands(sample) -> None:
    lon, lat = rows(
        sample,
        f"""SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Collect(u.geom)) c
            FROM base_unit u WHERE {IN_SAMPLE}) q""",
    )[0]
    assert 116.25 < lon < 116.55 and 27.85 < lat < 28.15
    outside = scalar(
        sample,
        f"""SELECT count(*) FROM base_unit u JOIN community c ON c.id = u.community_id
            JOIN street s ON s.id = c.street_id JOIN district d ON d.id = s.district_id
            WHERE {IN_SAMPLE} AND NOT ST_Intersects(d.geom, ST_PointOnSurface(u.geom))""",
    )
    assert outside == 0


def test_every_unit_is_in_exactly_one_grid_of_every_layer(sample) -> None:
    counts = rows(
        sample,
        f"""SELECT l.code, count(gu.unit_id), count(DISTINCT gu.unit_id)
            FROM grid_layer l JOIN grid_unit gu ON gu.layer_id = l.id
            JOIN base_unit u ON u.id = gu.unit_id WHERE {IN_SAMPLE} GROUP BY l.code""",
    )
    assert {c for c, *_ in counts} == {"unified", *DEPARTMENTS}
    assert all(n == distinct == 5562 for _, n, distinct in counts)


def test_units_form_a_clean_coverage(sample) -> None:
    overlaps = scalar(
        sample,
        f"""SELECT count(*) FROM base_unit u JOIN base_unit v
            ON u.id < v.id AND u.geom && v.geom AND ST_Relate(u.geom, v.geom, '2********')
            WHERE {IN_SAMPLE}""",
    )
    assert overlaps == 0
    invalid = scalar(
        sample, f"SELECT count(*) FROM base_unit u WHERE {IN_SAMPLE} AND NOT ST_IsValid(u.geom)"
    )
    assert invalid == 0


def test_grids_are_connected_and_unified_grids_stay_in_one_community(sample) -> None:
    split = rows(
        sample,
        """SELECT l.code, count(*) FROM grid g JOIN grid_layer l ON l.id = g.layer_id
           WHERE g.code LIKE '36100%' AND ST_NumGeometries(g.geom) > 1 GROUP BY l.code""",
    )
    assert split == []  # the union of a rook-connected set of units is one polygon
    crossing = dict(
        rows(
            sample,
            """SELECT l.code, count(*) FILTER (WHERE g.community_count > 1) FROM grid g
               JOIN grid_layer l ON l.id = g.layer_id WHERE g.code LIKE '36100%'
               GROUP BY l.code""",
        )
    )
    assert all(crossing[layer] == 0 for layer in ("unified", *NESTED))
    assert crossing["chengguan"] > 0 and crossing["yingji"] > 0


def test_departmental_layers_overlap_each_other(sample) -> None:
    pairs = scalar(
        sample,
        """SELECT count(DISTINCT (a.grid_id, b.grid_id)) FROM grid_unit a
           JOIN grid_layer la ON la.id = a.layer_id AND la.code = 'zongzhi'
           JOIN grid_unit b ON b.unit_id = a.unit_id
           JOIN grid_layer lb ON lb.id = b.layer_id AND lb.code = 'dangjian'""",
    )
    assert pairs > 1480 + 1050  # neither layer nests in the other


def test_workload_spread_and_population(sample) -> None:
    households, population = rows(
        sample,
        f"SELECT sum(households), sum(population) FROM base_unit u WHERE {IN_SAMPLE}",
    )[0]
    assert 450_000 <= households <= 550_000
    assert 2.3 <= population / households <= 3.2
    mean, cv, lo, hi = rows(
        sample,
        """SELECT avg(workload), stddev_pop(workload) / avg(workload), min(workload),
                  max(workload)
           FROM grid g JOIN grid_layer l ON l.id = g.layer_id
           WHERE l.code = 'unified' AND g.code LIKE '36100%'""",
    )[0]
    assert 300 <= mean <= 500
    assert 0.15 <= cv <= 0.45  # today's hand-drawn net: imperfect, so an optimizer can help
    assert hi > 2 * lo
    members = scalar(sample, "SELECT count(*) FROM party_member WHERE code LIKE 'M%'")
    assert 11 <= households / members <= 15  # ≈ 18,000 : 240,000 in the field reports


def test_buildings_sit_in_their_units_and_add_up(sample) -> None:
    astray = scalar(
        sample,
        f"""SELECT count(*) FROM building b JOIN base_unit u ON u.id = b.base_unit_id
            WHERE {IN_SAMPLE} AND NOT ST_CoveredBy(b.geom, u.geom)""",
    )
    assert astray == 0
    mismatched = scalar(
        sample,
        f"""SELECT count(*) FROM base_unit u
            LEFT JOIN (SELECT base_unit_id, sum(households) h, count(*) n FROM building
                       GROUP BY base_unit_id) b ON b.base_unit_id = u.id
            WHERE {IN_SAMPLE} AND (coalesce(b.h, 0) <> u.households
                                   OR coalesce(b.n, 0) <> u.buildings)""",
    )
    assert mismatched == 0


def test_a_year_of_incidents_found_spatially(sample) -> None:
    total, placed, first, last = rows(
        sample,
        """SELECT count(*), count(base_unit_id), min(reported_at), max(reported_at)
           FROM incident WHERE code LIKE 'E%'""",
    )[0]
    assert total >= 20_000
    assert placed / total > 0.95
    assert (last - first).days > 300
