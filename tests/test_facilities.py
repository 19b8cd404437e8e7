"""Service points and 15-minute walking coverage on a hand-made street network (pgRouting).

The tiny city (tests/tiny_city.py; a block is 0.001° ≈ 98.8 m wide, 111 m high) gets, inside the
test's transaction, a few streets. In block units (x east, y north, from the city's corner):

    A (0,0) ── 南街 ── B (3,0)          东路 runs B (3,0) ─ D (3,1.5) ─ C (3,3)
    横街 runs E (2,1.5) ─ F (3.5,1.5): it crosses 东路 at D, where 东路 has no vertex
    孤岛巷 runs G (0.5,2) ─ H (0.5,2.5) and touches nothing: an island

A meal point stands at A. People step onto the nearest node from their block's centre:
U1 → A (74 m), U2 → E (121 m), U3 → B (74 m), U5 → E (49 m), U6 → D or E (49 m), U9 → C (74 m);
U4, U7 and U8 step onto the island (G or H), which no walk from A reaches.
Walks from A: B 296 m, D 463 m, E 561 m, C 629 m. At 4.5 km/h (75 m a minute):

- 5 minutes (375 m): U1 (74 m) and U3 (370 m) only;
- 10 minutes (750 m): also U2 (682), U5 (610), U6 (512), U9 (703); never U4, U7, U8.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyproj import Geod
from sqlalchemy import Connection, text

from gis.access import Access
from gis.errors import Invalid
from gis.exchange import ImportRejected, import_file
from gis.facilities.coverage import coverage
from gis.facilities.isochrone import isochrone_at
from gis.facilities.network import build_network
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, DISTRICT, STEP, X0, Y0

GEOD = Geod(ellps="WGS84")
SYSTEM = Access.system("system:tests")


def _xy(bx: float, by: float) -> tuple[float, float]:
    return X0 + bx * STEP, Y0 + by * STEP


ROADS = {
    "T-S1": ("南街", "branch", [(0, 0), (3, 0)]),
    "T-E1": ("东路", "secondary", [(3, 0), (3, 3)]),
    "T-H1": ("横街", "lane", [(2, 1.5), (3.5, 1.5)]),
    "T-I1": ("孤岛巷", "lane", [(0.5, 2), (0.5, 2.5)]),
}


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(*_xy(*a), *_xy(*b))[2])


@pytest.fixture
def walkable(conn: Connection) -> Connection:
    """The tiny city with the streets above and a meal point at A (rolled back after)."""
    for code, (name, kind, points) in ROADS.items():
        wkt = "MULTILINESTRING((" + ", ".join("{!r} {!r}".format(*_xy(*p)) for p in points) + "))"
        conn.execute(
            text(
                "INSERT INTO linear_feature (code, name, kind, district_id, geom) "
                "SELECT :code, :name, :kind, id, ST_GeomFromText(:wkt, 4326) FROM district "
                "WHERE code = :district"
            ),
            {"code": code, "name": name, "kind": kind, "wkt": wkt, "district": DISTRICT},
        )
    _facility(conn, "T-MEAL-A", "meal", COMMUNITY_A, *_xy(0, 0))
    return conn


def _facility(conn: Connection, code: str, kind: str, community: str, x: float, y: float) -> None:
    conn.execute(
        text(
            "INSERT INTO facility (code, kind, name, capacity, opening_hours, community_id, geom) "
            "SELECT :code, :kind, :code, 40, '10:30-13:00', id, "
            "ST_SetSRID(ST_MakePoint(:x, :y), 4326) FROM community WHERE code = :community"
        ),
        {"code": code, "kind": kind, "community": community, "x": x, "y": y},
    )


def test_the_network_is_noded_where_streets_cross_and_the_island_is_named(walkable) -> None:
    report = build_network(walkable, [DISTRICT])
    edges = walkable.execute(
        text(
            "SELECT f.code, count(*), sum(e.length_m) FROM walk_edge e "
            "JOIN linear_feature f ON f.id = e.road_id WHERE f.code LIKE 'T-%' GROUP BY 1"
        )
    ).all()
    pieces = {code: (n, length) for code, n, length in edges}
    # 东路 and 横街 are cut at D, where they cross; the others are one edge each.
    assert {code: n for code, (n, _) in pieces.items()} == {
        "T-S1": 1,
        "T-E1": 2,
        "T-H1": 2,
        "T-I1": 1,
    }
    assert pieces["T-S1"][1] == pytest.approx(_metres((0, 0), (3, 0)), abs=0.5)
    island = [i for i in report.islands if "孤岛巷" in i.roads]
    assert len(island) == 1 and island[0].nodes == 2
    assert not [i for i in report.islands if "南街" in i.roads]  # the main piece is no island


def _households(conn: Connection, minutes: int) -> dict[str, tuple[int, int]]:
    build_network(conn, [DISTRICT])
    report = coverage(conn, ["meal"], access=Access.system(scope=_tiny()), minutes=minutes)
    (meal,) = report.kinds
    return {a.code: (a.people.households_covered, a.people.households) for a in meal.areas}


def _tiny():  # the tiny city's district: the sample city's units stay out of the sums
    from gis.scope import Scope

    return Scope.district(DISTRICT)


def test_who_lives_within_5_and_10_minutes_of_the_meal_point(walkable) -> None:
    # Un holds 100·n households. Community A = U1 U2 U4 U5 U7 U8, B = U3 U6 U9.
    assert _households(walkable, 5) == {COMMUNITY_A: (100, 2700), COMMUNITY_B: (300, 1800)}
    # U4, U7 and U8 step onto the island: no walk reaches them however long.
    assert _households(walkable, 10) == {
        COMMUNITY_A: (100 + 200 + 500, 2700),
        COMMUNITY_B: (1800, 1800),
    }


def test_coverage_by_grid_and_by_community_alternate_in_one_transaction(walkable) -> None:
    """psycopg prepares a statement run five times on a connection; its areas' table then had
    other column types by grid than by community (a 500 the API fuzz found)."""
    build_network(walkable, [DISTRICT])
    access = Access.system(scope=_tiny())
    for by in ("community", "grid") * 4:
        (meal,) = coverage(walkable, ["meal"], access=access, by=by).kinds
        assert {len(a.code) for a in meal.areas} == {12 if by == "community" else 15}


def test_the_isochrone_follows_the_streets(walkable) -> None:
    build_network(walkable, [DISTRICT])
    iso = isochrone_at(walkable, *_xy(0, 0), access=SYSTEM, minutes=10)
    assert [b.minutes for b in iso.bands] == [5, 10]

    def inside(minutes: int, bx: float, by: float) -> bool:
        band = next(b for b in iso.bands if b.minutes == minutes)
        return bool(
            walkable.execute(
                text(
                    "SELECT ST_Intersects(ST_GeomFromGeoJSON(:g), "
                    "ST_SetSRID(ST_MakePoint(:x, :y), 4326))"
                ),
                {"g": json.dumps(band.geometry), "x": _xy(bx, by)[0], "y": _xy(bx, by)[1]},
            ).scalar()
        )

    # 5 minutes = 375 m: B (296 m) and 55 m up 东路, but not D (463 m) nor E.
    assert inside(5, 3, 0) and inside(5, 3, 0.5)
    assert not inside(5, 3, 1.5) and not inside(5, 2, 1.5)
    # 10 minutes = 750 m: D, E (561 m), F (512 m) and C (629 m); never the island.
    assert all(inside(10, *p) for p in [(3, 1.5), (2, 1.5), (3.5, 1.5), (3, 3)])
    assert not inside(10, 0.5, 2.5)


def test_a_facility_far_from_the_network_is_flagged_not_snapped(walkable) -> None:
    far = _xy(-3, 0)  # 296 m west of A
    _facility(walkable, "T-MEAL-FAR", "meal", COMMUNITY_A, *far)
    build_network(walkable, [DISTRICT])
    report = coverage(walkable, ["meal"], access=Access.system(scope=_tiny()))
    flagged = {f.code: f.distance_m for f in report.kinds[0].flagged}
    assert list(flagged) == ["T-MEAL-FAR"]
    assert flagged["T-MEAL-FAR"] == pytest.approx(_metres((-3, 0), (0, 0)), abs=1)
    with pytest.raises(Invalid, match="200"):
        isochrone_at(walkable, *far, access=SYSTEM)


def test_a_facility_file_names_its_bad_rows_and_changes_nothing(walkable, tmp_path: Path) -> None:
    def point(code: str, kind: str, bx: float, by: float) -> dict[str, object]:
        return {
            "type": "Feature",
            "properties": {"编码": code, "类型": kind, "名称": f"{code} 点", "容量": 30},
            "geometry": {"type": "Point", "coordinates": list(_xy(bx, by))},
        }

    path = tmp_path / "facilities.geojson"
    rows = [
        point("F-OK", "助餐点", 1.5, 1.5),
        point("F-ODD", "健身房", 0.5, 0.5),
        point("F-OUT", "居民之家", 8, 8),  # outside every community (and the city)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": rows}), "utf-8")
    before = walkable.execute(text("SELECT count(*) FROM facility")).scalar()
    with pytest.raises(ImportRejected) as refused:
        import_file(walkable, "facilities", path, access=SYSTEM)
    reasons = {p.id: p.reason for p in refused.value.report.errors}
    assert "'健身房' is unknown" in reasons["F-ODD"]
    assert "outside the city" in reasons["F-OUT"]
    assert "F-OK" not in reasons
    assert walkable.execute(text("SELECT count(*) FROM facility")).scalar() == before
    path.write_text(json.dumps({"type": "FeatureCollection", "features": rows[:1]}), "utf-8")
    report = import_file(walkable, "facilities", path, access=SYSTEM)
    assert report.written["facility inserted"] == 1
    placed = walkable.execute(
        text(
            "SELECT f.kind, c.code FROM facility f JOIN community c ON c.id = f.community_id "
            "WHERE f.code = 'F-OK'"
        )
    ).one()
    assert tuple(placed) == ("meal", COMMUNITY_A)


def test_routes_answer_in_scope_and_refuse_what_is_not(walkable, client_as) -> None:
    build_network(walkable, [DISTRICT])
    _facility(walkable, "T-MEAL-B", "meal", COMMUNITY_B, *_xy(3, 3))
    party = client_as("t-party")  # community A only
    listed = party.get("/facilities").json()["facilities"]
    assert [f["code"] for f in listed] == ["T-MEAL-A"]
    assert party.get("/facilities/T-MEAL-A/isochrone?minutes=5").status_code == 200
    refused = party.get("/facilities/T-MEAL-B/isochrone")
    assert refused.status_code == 403 and "T-MEAL-B" in refused.json()["detail"]
    assert (
        party.get(
            "/facilities/isochrone", params=dict(zip(("lon", "lat"), _xy(2.5, 2.5), strict=False))
        ).status_code
        == 403
    )
    odd = party.get("/facilities/coverage?kind=gym")
    assert odd.status_code == 422
    body = party.get("/facilities/coverage?kind=meal&by=grid&minutes=10").json()
    (meal,) = body["kinds"]
    # community A's grids only: G1 {U1 U2} and G2 {U4 U5 U7 U8}
    grids = {a["code"]: a["people"]["households_covered"] for a in meal["areas"]}
    assert grids == {f"{COMMUNITY_A}001": 300, f"{COMMUNITY_A}002": 500}


def test_siting_puts_a_new_meal_point_where_the_uncovered_live(walkable, client_as) -> None:
    build_network(walkable, [DISTRICT])
    walkable.execute(
        text("UPDATE base_unit SET care_people = 10 WHERE code LIKE :d || '%'"), {"d": DISTRICT}
    )
    assert client_as("t-worker").get("/facilities/siting?kind=meal").status_code == 403
    body = client_as("t-county").get("/facilities/siting?kind=meal&sites=1&minutes=5").json()
    # At 5 minutes only U1 and U3 are reached from A; U4 U7 U8 step onto the island, so one
    # new site can bring in at most U2, U5, U6 and U9 (10 each) — from E or D, 49–121 m away.
    assert body["uncovered_care_people"] == 70
    assert body["mclp_covered"] == body["greedy_covered"] == 40
