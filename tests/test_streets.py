"""Streets and rivers: the sample city's roads and 抚河, and what every grid boundary runs along.

The tiny city (tests/tiny_city.py) gets, inside the test's transaction, a main road on the
community line (x = X0 + 0.002, full height), the river between rows 0 and 1 (y = Y0 + 0.001,
full width) and a lane between U1 and U2. Then, by eye:

- unified: G1 {U1 U2} / G2 {U4 U5 U7 U8} / G3 {U3 U6 U9}. Its boundary is U1|U4 and U2|U5
  (two block widths on the river) and U2|U3, U5|U6, U8|U9 (three block heights on the road);
- 综治: Z1 {U1 U4 U7} / Z2. Its boundary is the line x = X0 + 0.001: U1|U2 on the lane, U4|U5
  and U7|U8 along nothing visible.
"""

from __future__ import annotations

import re

import pytest
from pyproj import Geod
from sqlalchemy import Connection, text

from gis.boundaries import boundary_shares
from gis.unit_edges import judge_unit_edges
from tests.conftest import scalar
from tests.test_scenarios import _create, _run
from tests.tiny_city import DISTRICT, STEP, X0, Y0

GEOD = Geod(ellps="WGS84")


def _metres(x1: float, y1: float, x2: float, y2: float) -> float:
    return float(GEOD.inv(x1, y1, x2, y2)[2])


#: A block's width (east-west) and height (north-south) on the ground, from pyproj, not PostGIS.
WIDTH = _metres(X0, Y0 + STEP, X0 + STEP, Y0 + STEP)
HEIGHT = _metres(X0, Y0, X0, Y0 + STEP)


def _line(x1: float, y1: float, x2: float, y2: float) -> str:
    return f"MULTILINESTRING(({x1} {y1}, {x2} {y2}))"


@pytest.fixture
def tiny_streets(conn: Connection) -> Connection:
    """The tiny city with a main road, the river and one lane (rolled back after the test)."""
    features = [
        ("T-R1", "测试大道", "primary", _line(X0 + 2 * STEP, Y0, X0 + 2 * STEP, Y0 + 3 * STEP)),
        ("T-W1", "测试河", "river", _line(X0, Y0 + STEP, X0 + 3 * STEP, Y0 + STEP)),
        ("T-L1", "测试巷", "lane", _line(X0 + STEP, Y0, X0 + STEP, Y0 + STEP)),
    ]
    for code, name, kind, wkt in features:
        conn.execute(
            text(
                "INSERT INTO linear_feature (code, name, kind, district_id, geom) "
                "SELECT :code, :name, :kind, id, ST_GeomFromText(:wkt, 4326) FROM district "
                "WHERE code = :district"
            ),
            {"code": code, "name": name, "kind": kind, "wkt": wkt, "district": DISTRICT},
        )
    judge_unit_edges(conn, [DISTRICT])  # as an import of roads does: the units are the same
    return conn


def test_every_shared_boundary_of_the_tiny_city_says_what_it_runs_along(tiny_streets) -> None:
    kinds = dict(
        tiny_streets.execute(
            text(
                """SELECT substr(a.code, 13) || '|' || substr(b.code, 13), e.kind
                   FROM unit_edge e JOIN base_unit a ON a.id = e.unit_a
                   JOIN base_unit b ON b.id = e.unit_b WHERE a.code LIKE :d || '%'"""
            ),
            {"d": DISTRICT},
        ).all()
    )
    assert len(kinds) == 12  # a 3×3 grid of blocks has 12 inner edges; corners do not count
    assert kinds["U001|U002"] == "lane"
    assert kinds["U001|U004"] == kinds["U002|U005"] == kinds["U003|U006"] == "river"
    assert kinds["U002|U003"] == kinds["U005|U006"] == kinds["U008|U009"] == "primary"
    assert kinds["U004|U005"] == kinds["U007|U008"] == kinds["U004|U007"] == "none"


def test_grid_boundary_shares_are_the_ones_drawn_by_hand(tiny_streets) -> None:
    shares = boundary_shares(tiny_streets, ["unified", "zongzhi"], [DISTRICT])
    unified, zongzhi = shares["unified"], shares["zongzhi"]
    total = 2 * WIDTH + 3 * HEIGHT
    assert unified.length_km == pytest.approx(total / 1000, abs=1e-3)
    assert unified.river == pytest.approx(2 * WIDTH / total, abs=1e-3)
    assert unified.primary == pytest.approx(3 * HEIGHT / total, abs=1e-3)
    assert unified.none == 0 and unified.visible == 1.0
    assert zongzhi.length_km == pytest.approx(3 * HEIGHT / 1000, abs=1e-3)
    assert zongzhi.lane == pytest.approx(1 / 3, abs=1e-3)
    assert zongzhi.none == pytest.approx(2 / 3, abs=1e-3)
    assert zongzhi.primary == zongzhi.river == 0


def test_without_roads_there_is_no_figure_rather_than_a_guess(conn) -> None:
    """The tiny city is loaded without roads: its 12 edges are measured (a grid's pieces need
    them) but none is judged, and no share is claimed."""
    assert scalar(conn, "SELECT count(*) FROM unit_edge e JOIN base_unit a ON a.id = e.unit_a "
                        "WHERE a.code LIKE :d || '%'", d=DISTRICT) == 12  # fmt: skip
    assert scalar(conn, "SELECT count(*) FROM unit_edge e JOIN base_unit a ON a.id = e.unit_a "
                        "WHERE a.code LIKE :d || '%' AND e.kind IS NOT NULL",
                  d=DISTRICT) == 0  # fmt: skip
    shares = boundary_shares(conn, ["unified"], [DISTRICT])["unified"]
    assert shares.length_km == 0 and shares.none is None and shares.visible is None


# --- the sample city ------------------------------------------------------------------------


def test_the_sample_city_has_its_streets_and_the_fuhe(conn) -> None:
    kinds = dict(
        conn.execute(
            text("SELECT kind, count(*) FROM linear_feature WHERE code LIKE '36100%' GROUP BY kind")
        ).all()
    )
    assert set(kinds) == {"primary", "secondary", "branch", "lane", "river"}
    assert kinds["river"] == 1 and kinds["primary"] < kinds["secondary"] < kinds["branch"]
    fuhe = conn.execute(
        text(
            """SELECT f.name, d.name, ST_Length(f.geom::geography) / 1000,
                      ST_Y(ST_StartPoint(ST_GeometryN(f.geom, 1))),
                      ST_Y(ST_EndPoint(ST_GeometryN(f.geom, 1)))
               FROM linear_feature f JOIN district d ON d.id = f.district_id
               WHERE f.kind = 'river'"""
        )
    ).one()
    assert fuhe[0] == "抚河" and fuhe[1] == "临川区"
    assert 10 < fuhe[2] < 25  # across the 14 km wide core of 临川
    named = scalar(conn, "SELECT count(*) FROM linear_feature WHERE name ~ '(路|街|巷|大道)$'")
    assert named == scalar(conn, "SELECT count(*) FROM linear_feature WHERE kind <> 'river'")


def test_sample_boundaries_between_streets_run_along_main_roads_or_the_river(conn) -> None:
    """The units are blocks bounded by streets: two townships meet on a main road (or the
    river), two communities on a secondary road or better; inside a community, some edges are
    branch roads and lanes and the rest nothing visible."""
    rows = conn.execute(
        text(
            """SELECT CASE WHEN sa.id <> sb.id THEN 'street'
                           WHEN ca.id <> cb.id THEN 'community' ELSE 'inside' END,
                      e.kind, sum(e.length_m)
               FROM unit_edge e
               JOIN base_unit a ON a.id = e.unit_a JOIN base_unit b ON b.id = e.unit_b
               JOIN community ca ON ca.id = a.community_id
               JOIN community cb ON cb.id = b.community_id
               JOIN street sa ON sa.id = ca.street_id JOIN street sb ON sb.id = cb.street_id
               WHERE a.code LIKE '36100%' GROUP BY 1, 2"""
        )
    ).all()
    metres: dict[str, dict[str, float]] = {}
    for between, kind, length in rows:
        metres.setdefault(between, {})[kind] = length

    def share(between: str, *kinds: str) -> float:
        return sum(metres[between].get(k, 0) for k in kinds) / sum(metres[between].values())

    # A short edge that ends on a bigger road lies mostly within its 10 m: it counts as that.
    assert share("street", "primary", "river") > 0.97
    assert share("community", "secondary", "primary", "river") > 0.97
    assert share("community", "secondary") > 0.9
    assert set(metres["inside"]) == {"primary", "secondary", "branch", "lane", "none", "river"}
    assert 0.3 < share("inside", "none") < 0.6
    units = scalar(conn, "SELECT count(*) FROM base_unit WHERE code LIKE '36100%'")
    edges = scalar(
        conn,
        "SELECT count(*) FROM unit_edge e JOIN base_unit a ON a.id = e.unit_a "
        "WHERE a.code LIKE '36100%'",
    )
    assert 2.5 * units < edges < 3.2 * units  # a planar partition: ~3 shared edges per unit


def test_sample_layers_report_where_their_boundaries_run(conn) -> None:
    shares = boundary_shares(conn, ["unified", "zongzhi", "chengguan"], ["36100"])
    for code, s in shares.items():
        parts = s.river + s.primary + s.secondary + s.branch + s.lane + s.none
        assert parts == pytest.approx(1.0, abs=1e-3), code
        assert s.length_km > 100
    # Nested layers keep community lines, which are roads; 城管 is drawn along geography.
    assert shares["unified"].primary + shares["unified"].secondary > 0.3


# --- in the API, the compare table and the printed report ---------------------------------


def test_a_layers_boundary_figures_over_http(client_as, tiny_streets) -> None:
    client = client_as("t-county")
    body = client.get("/layers/unified/boundaries").json()
    total = 2 * WIDTH + 3 * HEIGHT
    assert body["river"] == pytest.approx(2 * WIDTH / total, abs=1e-3)
    assert body["visible"] == 1.0 and body["none"] == 0
    missing = client.get("/layers/nonesuch/boundaries")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


def test_the_compare_table_and_the_report_say_where_boundaries_run(client_as, tiny_streets):
    client = client_as("t-county")
    sid = _create(client, name="沿路划分", target_count=3)["id"]
    _run(tiny_streets)
    body = client.get(f"/scenarios/compare?a={sid}&b=unified&c=zongzhi").json()
    by_code = {m["code"]: m["boundary"] for m in body["items"]}
    assert by_code["zongzhi"]["lane"] == pytest.approx(1 / 3, abs=1e-3)
    assert by_code["unified"]["visible"] == 1.0
    scenario = next(m for m in body["items"] if m["scenario_id"] == sid)["boundary"]
    parts = sum(scenario[k] for k in ("river", "primary", "secondary", "branch", "lane", "none"))
    assert parts == pytest.approx(1.0, abs=1e-3) and scenario["length_km"] > 0
    page = client.get(f"/scenarios/{sid}/report").text
    shown = re.search(r"沿河流 Along the river</th><td>([\d.]+)%</td><td>([\d.]+)%", page)
    assert shown, page
    assert float(shown.group(1)) == round(100 * scenario["river"], 1)
    assert float(shown.group(2)) == round(100 * by_code["unified"]["river"], 1)
