"""The service-points page in a real headless Chromium: the party office of community A sees
its meal point, the communities coloured by 15-minute coverage with the gaps listed, and the
5/10/15-minute walk of the meal point on a click (the streets of tests/test_facilities.py).

The browser talks to a real server on its own connections, so the streets and the meal point
are committed for this module and removed afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from gis.facilities.network import build_network
from tests.browser import log_in, session, shot
from tests.test_facilities import ROADS, _xy
from tests.tiny_city import COMMUNITY_A, DISTRICT


@pytest.fixture(scope="module")
def streets(engine: Engine, users: dict[str, str]) -> Iterator[None]:  # noqa: ARG001
    with engine.begin() as conn:
        for code, (name, kind, points) in ROADS.items():
            wkt = (
                "MULTILINESTRING((" + ", ".join("{!r} {!r}".format(*_xy(*p)) for p in points) + "))"
            )
            conn.execute(
                text(
                    "INSERT INTO linear_feature (code, name, kind, district_id, geom) "
                    "SELECT :code, :name, :kind, id, ST_GeomFromText(:wkt, 4326) FROM district "
                    "WHERE code = :district"
                ),
                {"code": code, "name": name, "kind": kind, "wkt": wkt, "district": DISTRICT},
            )
        conn.execute(
            text(
                "INSERT INTO facility (code, kind, name, capacity, opening_hours, community_id, "
                "geom) SELECT 'T-MEAL-A', 'meal', '测试助餐点', 40, '10:30-13:00', id, "
                "ST_SetSRID(ST_MakePoint(:x, :y), 4326) FROM community WHERE code = :c"
            ),
            {"x": _xy(0, 0)[0], "y": _xy(0, 0)[1], "c": COMMUNITY_A},
        )
        build_network(conn, [DISTRICT])
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM facility WHERE code = 'T-MEAL-A'"))
            conn.execute(
                text("DELETE FROM linear_feature WHERE code = ANY(:c)"), {"c": list(ROADS)}
            )
            conn.execute(
                text(
                    "DELETE FROM walk_node n WHERE n.id NOT IN "
                    "(SELECT source FROM walk_edge UNION SELECT target FROM walk_edge)"
                )
            )


@pytest.mark.browser
def test_the_party_office_sees_its_gaps_and_a_meal_points_walk(
    browser: Any, live_server: str, streets: None
) -> None:
    with session(browser) as (page, traffic):
        log_in(page, live_server, "t-party", "/facilities/map")
        page.wait_for_function("() => window.gridmapFacilities")
        page.evaluate("gridmapFacilities.ready")
        summary = page.get_by_test_id("summary")
        summary.filter(has_text="步行15分钟内").wait_for()
        assert "1 处设施" in summary.inner_text()
        gaps = page.get_by_test_id("gaps").locator("tr")
        assert gaps.count() == 1 and "%" in gaps.first.inner_text()
        page.evaluate("gridmapFacilities.select('T-MEAL-A')")
        bands = page.get_by_test_id("bands").locator("li")
        bands.first.wait_for(state="visible")
        assert [b.split("：")[0] for b in bands.all_inner_texts()] == [
            "5 分钟",
            "10 分钟",
            "15 分钟",
        ]
        shot(page, "facilities-desk-1-walk")
    traffic.assert_clean()
