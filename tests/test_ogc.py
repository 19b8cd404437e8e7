"""OGC API — Features at /ogc: the documents' shapes, items and their paging, bbox, CRS axis
order, CQL2 filters, scope, personal data, HTTP Basic log-in and the 4xx answers.

The tiny city (369901: units U1…U9, unified grids G1 G2 G3) is where answers are checked by eye;
the sample city is where a whole layer is paged through and where lc-planner (临川区 361002)
must not see the tiny city.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from api.basic_auth import login_transaction
from gis.access import Access
from gis.accounts import get_user, reset_password
from gis.infra.settings import DEFAULT_SAMPLE
from gis.ogc.crs import EPSG4326, EPSG4490
from tests.conftest import TEST_PASSWORD
from tests.scratch_layer import copy_tiny_unified
from tests.test_incidents import report
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, STEP, X0, Y0, unit_code

G1, G2, G3 = f"{COMMUNITY_A}001", f"{COMMUNITY_A}002", f"{COMMUNITY_B}001"
TINY_BBOX = f"{X0},{Y0},{X0 + 3 * STEP},{Y0 + 3 * STEP}"
PROBLEM = "application/problem+json"
needs_sample = pytest.mark.skipif(not DEFAULT_SAMPLE.exists(), reason="needs the sample city")


@pytest.fixture(autouse=True)
def _basic_in_test_transaction(app, conn: Connection) -> None:
    """Basic log-ins record in a savepoint of the test's transaction (rolled back after)."""

    @contextmanager
    def savepoint() -> Iterator[Connection]:
        with conn.begin_nested():
            yield conn

    app.dependency_overrides[login_transaction] = lambda: savepoint


def basic(username: str, password: str = TEST_PASSWORD) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def items(client: TestClient, collection: str, **params: Any) -> dict[str, Any]:
    answer = client.get(f"/ogc/collections/{collection}/items", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/geo+json")
    return answer.json()


def ids(doc: dict[str, Any]) -> list[str]:
    return [f["id"] for f in doc["features"]]


def rels(doc: dict[str, Any]) -> dict[str, str]:
    return {link["rel"]: link["href"] for link in doc["links"]}


# ----------------------------------------------------------------------------- documents


def test_landing_conformance_and_api_are_open_and_link_each_other(anon) -> None:
    landing = anon.get("/ogc")
    assert landing.status_code == 200
    links = rels(landing.json())
    assert {"self", "alternate", "service-desc", "conformance", "data"} <= set(links)
    assert links["data"].endswith("/ogc/collections")
    conf = anon.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conf
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conf
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json" in conf
    api = anon.get("/ogc/api")
    assert api.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    assert api.json()["openapi"].startswith("3.0")
    assert "/collections/{collectionId}/items" in api.json()["paths"]
    page = anon.get("/ogc", headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html") and "要素服务" in page.text


def test_collections_list_layers_areas_units_buildings_incidents(client) -> None:
    doc = client.get("/ogc/collections").json()
    found = {c["id"]: c for c in doc["collections"]}
    assert {"grids-unified", "grids-zongzhi", "districts", "streets", "communities"} <= set(found)
    assert {"units", "buildings", "incidents"} <= set(found)
    unified = found["grids-unified"]
    assert unified["itemType"] == "feature"
    assert EPSG4490 in unified["crs"] and unified["crs"][0].endswith("CRS84")
    assert {"items", "self", "http://www.opengis.net/def/rel/ogc/1.0/queryables"} <= {
        link["rel"] for link in unified["links"]
    }
    assert "temporal" in found["incidents"]["extent"]
    one = client.get("/ogc/collections/grids-unified")
    assert one.status_code == 200 and one.json()["id"] == "grids-unified"
    html = client.get("/ogc/collections", params={"f": "html"})
    assert html.headers["content-type"].startswith("text/html") and "要素集合" in html.text


def test_queryables_are_a_json_schema_of_the_whitelist(client) -> None:
    answer = client.get("/ogc/collections/grids-unified/queryables")
    assert answer.headers["content-type"].startswith("application/schema+json")
    schema = answer.json()
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    props = schema["properties"]
    assert props["households"]["type"] == "integer"
    assert props["workload"]["type"] == "number"
    assert props["geometry"]["format"] == "geometry-multipolygon"
    incidents = client.get("/ogc/collections/incidents/queryables").json()["properties"]
    assert incidents["reported_at"]["format"] == "date-time"


# ----------------------------------------------------------------------------- items


def test_items_of_the_tiny_city_by_bbox_with_geometry_and_counts(client, conn) -> None:
    doc = items(client, "grids-unified", bbox=TINY_BBOX, limit=50)
    assert sorted(ids(doc)) == [G1, G2, G3]
    assert doc["numberMatched"] == doc["numberReturned"] == 3
    g2 = next(f for f in doc["features"] if f["id"] == G2)
    assert g2["properties"]["households"] == 400 + 500 + 700 + 800
    area = conn.execute(
        text(
            "SELECT ST_Area(ST_GeomFromGeoJSON(:g)) / ST_Area(g.geom) FROM grid g "
            "JOIN grid_layer l ON l.id = g.layer_id WHERE l.code = 'unified' AND g.code = :c"
        ),
        {"g": json.dumps(g2["geometry"]), "c": G2},
    ).scalar_one()
    assert area == pytest.approx(1.0, abs=1e-4)
    # A box around U1 only touches G1 (and, at its edges, nothing else).
    inner = f"{X0 + 0.0002},{Y0 + 0.0002},{X0 + 0.0008},{Y0 + 0.0008}"
    assert ids(items(client, "grids-unified", bbox=inner)) == [G1]


def test_one_item_and_an_unknown_one(client) -> None:
    answer = client.get(f"/ogc/collections/grids-unified/items/{G1}")
    assert answer.status_code == 200
    assert answer.json()["id"] == G1 and answer.json()["type"] == "Feature"
    assert answer.headers["content-crs"].endswith("OGC/1.3/CRS84>")
    missing = client.get("/ogc/collections/grids-unified/items/369901001001999")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM


@needs_sample
def test_paging_links_walk_the_whole_layer_exactly_once(client, conn) -> None:
    expected = conn.execute(
        text(
            "SELECT count(*) FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
            "WHERE l.code = 'unified' AND g.geom IS NOT NULL"
        )
    ).scalar_one()
    seen: list[str] = []
    url: str | None = "/ogc/collections/grids-unified/items?limit=400"
    pages = 0
    while url:
        doc = client.get(url).json()
        assert doc["numberMatched"] == expected
        assert doc["numberReturned"] == len(doc["features"])
        seen += ids(doc)
        links = rels(doc)
        if pages:
            assert "prev" in links
        url = links.get("next")
        pages += 1
    assert len(seen) == len(set(seen)) == expected
    assert pages == -(-expected // 400)


def test_paging_small_pages_keep_the_other_parameters(client) -> None:
    first = items(client, "units", bbox=TINY_BBOX, limit=2)
    assert first["numberMatched"] == 9 and first["numberReturned"] == 2
    nxt = rels(first)["next"]
    assert "bbox=" in nxt and "offset=2" in nxt
    walked = ids(first)
    url = nxt
    while url:
        doc = client.get(url).json()
        walked += ids(doc)
        url = rels(doc).get("next")
    assert sorted(walked) == sorted(unit_code(n) for n in range(1, 10))
    assert len(walked) == 9


def test_items_as_html_for_a_person(client) -> None:
    page = client.get("/ogc/collections/units/items", params={"bbox": TINY_BBOX, "f": "html"})
    assert page.headers["content-type"].startswith("text/html")
    assert "共 9 个要素" in page.text and unit_code(1) in page.text
    one = client.get(
        f"/ogc/collections/units/items/{unit_code(1)}", headers={"Accept": "text/html"}
    )
    assert one.headers["content-type"].startswith("text/html") and "households" in one.text
    # A page's policy, not the API's "default-src 'none'" (which left the page unstyled).
    for answer in (page, one):
        assert "style-src 'self'" in answer.headers["content-security-policy"]


def test_limit_above_the_maximum_is_served_as_the_maximum(client) -> None:
    doc = items(client, "units", bbox=TINY_BBOX, limit=10**9)
    assert doc["numberReturned"] == 9


# ----------------------------------------------------------------------------- CRS


def test_crs_4490_and_4326_answer_lat_lon_with_content_crs(client) -> None:
    plain = client.get(f"/ogc/collections/units/items/{unit_code(1)}").json()
    for uri in (EPSG4490, EPSG4326):
        answer = client.get(f"/ogc/collections/units/items/{unit_code(1)}", params={"crs": uri})
        assert answer.headers["content-crs"] == f"<{uri}>"
        ring = answer.json()["geometry"]["coordinates"][0]
        assert ring == [[y, x] for x, y in plain["geometry"]["coordinates"][0]]
        assert 27 < ring[0][0] < 28 and 115 < ring[0][1] < 117  # latitude first
    # A bbox in EPSG:4490 is lat/lon too: the same box selects the same units.
    lat_lon = f"{Y0},{X0},{Y0 + STEP * 0.9},{X0 + STEP * 0.9}"
    doc = items(client, "units", bbox=lat_lon, **{"bbox-crs": EPSG4490})
    assert ids(doc) == [unit_code(1)]
    page = client.get("/ogc/collections/units/items", params={"bbox": TINY_BBOX, "crs": EPSG4490})
    assert page.headers["content-crs"] == f"<{EPSG4490}>"


# ----------------------------------------------------------------------------- CQL2


def _units_where(conn: Connection, condition: str) -> list[str]:
    rows = conn.execute(
        text(
            "SELECT u.code FROM base_unit u JOIN community c ON c.id = u.community_id "
            f"WHERE c.code LIKE '369901%' AND {condition} ORDER BY u.code"
        )
    )
    return [r[0] for r in rows]


def test_cql2_text_comparison_logical_like_in_between(client, conn) -> None:
    cases = {
        f"households > 500 AND community_code = '{COMMUNITY_A}'": "u.households > 500 "
        f"AND c.code = '{COMMUNITY_A}'",
        "households BETWEEN 200 AND 400 OR households IN (900)": "(u.households BETWEEN 200 "
        "AND 400 OR u.households = 900)",
        f"code LIKE '{COMMUNITY_B}%' AND NOT households = 600": f"u.code LIKE '{COMMUNITY_B}%' "
        "AND u.households <> 600",
    }
    for cql, sql in cases.items():
        doc = items(client, "units", bbox=TINY_BBOX, filter=cql, limit=100)
        assert sorted(ids(doc)) == _units_where(conn, sql), cql


def test_cql2_json_and_spatial_filters(client, conn) -> None:
    cql_json = {
        "op": "and",
        "args": [
            {"op": ">=", "args": [{"property": "households"}, 400]},
            {"op": "between", "args": [{"property": "households"}, 100, 600]},
        ],
    }
    doc = items(
        client, "units", bbox=TINY_BBOX, filter=json.dumps(cql_json), **{"filter-lang": "cql2-json"}
    )
    assert sorted(ids(doc)) == _units_where(conn, "u.households BETWEEN 400 AND 600")
    # A point inside U5 (the middle block) intersects only U5.
    x, y = X0 + 1.5 * STEP, Y0 + 1.5 * STEP
    doc = items(client, "units", filter=f"S_INTERSECTS(geometry, POINT({x} {y}))")
    assert ids(doc) == [unit_code(5)]
    # A bbox literal (cql2-json) around the left column's interior: U1, U4, U7.
    box = {"bbox": [X0 + 0.0001, Y0 + 0.0001, X0 + 0.0009, Y0 + 3 * STEP - 0.0001]}
    spatial = {"op": "s_intersects", "args": [{"property": "geometry"}, box]}
    doc = items(client, "units", filter=json.dumps(spatial), **{"filter-lang": "cql2-json"})
    assert sorted(ids(doc)) == [unit_code(1), unit_code(4), unit_code(7)]
    # S_WITHIN a polygon drawn around the tiny city, with lat/lon literals in EPSG:4490.
    ring = [(Y0 - 1e-4, X0 - 1e-4), (Y0 - 1e-4, X0 + 0.0031), (Y0 + 0.0031, X0 + 0.0031)]
    ring += [(Y0 + 0.0031, X0 - 1e-4), ring[0]]
    wkt = "POLYGON((" + ",".join(f"{a} {b}" for a, b in ring) + "))"
    doc = items(
        client, "grids-unified", filter=f"S_WITHIN(geometry, {wkt})", **{"filter-crs": EPSG4490}
    )
    assert sorted(ids(doc)) == [G1, G2, G3]


def test_queryables_as_query_parameters(client) -> None:
    doc = items(client, "units", community_code=COMMUNITY_B)
    assert sorted(ids(doc)) == [unit_code(3), unit_code(6), unit_code(9)]


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"bbox": f"{X0 + 0.003},{Y0},{X0},{Y0 + 0.003}"}, "bbox"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"limit": "0"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"crs": "EPSG:3857"}, "crs"),
        ({"datetime": "yesterday"}, "datetime"),
        ({"filter": "households >"}, "filter"),
        ({"filter": "{not json", "filter-lang": "cql2-json"}, "filter"),
        ({"filter": "owner_name = 'x'"}, "owner_name"),
        ({"filter": "households = 'many'"}, "type"),
        ({"filter-lang": "sql", "filter": "households = 1"}, "filter-lang"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_parameters_are_400_problems_naming_them(client, params, named) -> None:
    answer = client.get("/ogc/collections/units/items", params=params)
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert named in answer.json()["detail"]


def test_hostile_filters_are_answered_not_crashed(client) -> None:
    huge = items(client, "units", filter="households = 99999999999999999999999999")
    assert huge["numberMatched"] == 0
    deep = "NOT (" * 3000 + "households = 1" + ")" * 3000
    answer = client.get("/ogc/collections/units/items", params={"filter": deep})
    assert answer.status_code == 400 and "filter" in answer.json()["detail"]
    base = '{"op":"=","args":[{"property":"households"},1]}'
    nested = '{"op":"not","args":[' * 800 + base + "]}" * 800
    answer = client.get(
        "/ogc/collections/units/items", params={"filter": nested, "filter-lang": "cql2-json"}
    )
    assert answer.status_code == 400


def test_unknown_collection_is_404(client) -> None:
    for path in ("/ogc/collections/nope", "/ogc/collections/grids-nope/items"):
        answer = client.get(path)
        assert answer.status_code == 404
        assert answer.headers["content-type"] == PROBLEM
        assert "nope" in answer.json()["detail"]


# ----------------------------------------------------------------------------- scope, people


@needs_sample
def test_a_district_user_sees_only_its_district(client_as, conn) -> None:
    copy_tiny_unified(conn, "s-ogc-tiny", "测试区 秘密方案")
    planner = client_as("lc-planner")
    listed = {c["id"] for c in planner.get("/ogc/collections").json()["collections"]}
    assert "grids-unified" in listed and "grids-s-ogc-tiny" not in listed
    assert planner.get("/ogc/collections/grids-s-ogc-tiny/items").status_code == 404
    assert "grids-s-ogc-tiny" in {
        c["id"] for c in client_as("t-planner").get("/ogc/collections").json()["collections"]
    }
    reached = conn.execute(
        text(
            "SELECT count(DISTINCT g.id) FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
            "JOIN grid_unit gu ON gu.grid_id = g.id JOIN base_unit u ON u.id = gu.unit_id "
            "JOIN community c ON c.id = u.community_id "
            "WHERE l.code = 'unified' AND c.code LIKE '361002%' AND g.geom IS NOT NULL"
        )
    ).scalar_one()
    doc = items(planner, "grids-unified", limit=10000)
    assert doc["numberMatched"] == reached == len(doc["features"])
    assert all(f["properties"]["community_code"].startswith("361002") for f in doc["features"])
    for collection in ("units", "communities", "grids-unified", "incidents", "buildings"):
        assert items(planner, collection, bbox=TINY_BBOX)["numberMatched"] == 0, collection
    assert planner.get(f"/ogc/collections/grids-unified/items/{G1}").status_code == 404
    other = items(planner, "incidents", filter="community_code LIKE '361003%'")
    assert other["numberMatched"] == 0


def test_one_collection_answers_exactly_for_the_listed_layers(client_as, conn) -> None:
    copy_tiny_unified(conn, "s-ogc-other", "测试区 另一方案")
    every = [r[0] for r in conn.execute(text("SELECT code FROM grid_layer"))]
    for username in ("root", "t-planner", "t-worker", "lc-planner"):
        user = client_as(username)
        listed = {c["id"] for c in user.get("/ogc/collections").json()["collections"]}
        for code in every:
            answer = user.get(f"/ogc/collections/grids-{code}")
            assert (answer.status_code == 200) == (f"grids-{code}" in listed), (username, code)


def test_reporters_are_masked_for_roles_without_personal_data(client_as, conn) -> None:
    code = report(conn, 1, reporter_name="张三丰", reporter_phone="13812345678")
    planner = client_as("t-planner")
    seen = items(planner, "incidents", filter=f"code = '{code}'")
    props = seen["features"][0]["properties"]
    assert (props["reporter_name"], props["reporter_phone"]) == ("张*丰", "138****5678")
    one = planner.get(f"/ogc/collections/incidents/items/{code}").json()["properties"]
    assert one["reporter_phone"] == "138****5678"
    probing = planner.get(
        "/ogc/collections/incidents/items", params={"filter": "reporter_phone LIKE '1381%'"}
    )
    assert probing.status_code == 400 and "reporter_phone" in probing.json()["detail"]
    assert (
        "reporter_phone"
        not in planner.get("/ogc/collections/incidents/queryables").json()["properties"]
    )
    party = items(client_as("t-party"), "incidents", filter=f"code = '{code}'")
    props = party["features"][0]["properties"]
    assert (props["reporter_name"], props["reporter_phone"]) == ("张三丰", "13812345678")


def test_department_staff_see_only_their_departments_incidents(client_as, conn) -> None:
    sanitation = report(conn, 4, category="环境卫生")  # 城管局
    police = report(conn, 5, category="违规停车")  # 公安分局
    staff = items(client_as("t-department"), "incidents", limit=1000)
    departments = {f["properties"]["department"] for f in staff["features"]}
    assert departments <= {"城管局"}
    everyone = items(client_as("t-county"), "incidents", bbox=TINY_BBOX, limit=1000)
    assert police in ids(everyone) and police not in ids(staff)
    assert sanitation in ids(staff)


def test_incidents_by_datetime(client, conn) -> None:
    code = report(conn, 2)  # reported at 2026-03-02 09:00 UTC
    inside = items(client, "incidents", datetime="2026-03-02T08:00:00Z/2026-03-02T10:00:00Z")
    assert code in ids(inside)
    before = items(client, "incidents", datetime="../2026-03-02T08:59:00Z", bbox=TINY_BBOX)
    assert code not in ids(before)
    day = items(client, "incidents", datetime="2026-03-02", bbox=TINY_BBOX)  # a China day
    assert code in ids(day)


# ----------------------------------------------------------------------------- log-in


def test_without_credentials_clients_are_asked_for_basic(anon) -> None:
    answer = anon.get("/ogc/collections")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith('Basic realm="Gridmap"')
    assert answer.headers["content-type"] == PROBLEM


def test_basic_credentials_log_in_with_the_users_scope(anon, conn) -> None:
    doc = anon.get("/ogc/collections/units/items", params={"limit": 100}, headers=basic("t-party"))
    assert doc.status_code == 200, doc.text
    assert {f["properties"]["community_code"] for f in doc.json()["features"]} == {COMMUNITY_A}
    again = anon.get("/ogc/collections", headers=basic("t-party"))  # remembered: no argon2
    assert again.status_code == 200
    logins = conn.execute(
        text(
            "SELECT count(*) FROM audit_log WHERE action = 'auth.login' AND actor = 't-party' "
            "AND after->>'via' = 'basic'"
        )
    ).scalar_one()
    assert logins == 1


def test_wrong_basic_password_is_401_recorded_and_throttled(app, anon, engine) -> None:
    # As in production, the check commits on its own even though the request fails.
    app.dependency_overrides[login_transaction] = lambda: engine.begin
    with engine.connect() as c:
        last = c.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar_one()
    try:
        for _ in range(5):
            answer = anon.get("/ogc/collections", headers=basic("t-county", "wrong-password-1"))
            assert answer.status_code == 401
            assert answer.headers["www-authenticate"].startswith("Basic")
        throttled = anon.get("/ogc/collections", headers=basic("t-county"))  # even the right one
        assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0
        with engine.connect() as c:
            failed = c.execute(
                text(
                    "SELECT count(*) FROM audit_log WHERE id > :last AND actor = 't-county' "
                    "AND action = 'auth.login_failed' AND after->>'via' = 'basic'"
                ),
                {"last": last},
            ).scalar_one()
        assert failed == 5
    finally:
        with engine.begin() as c:
            c.execute(text("DELETE FROM login_failure WHERE username = 't-county'"))


def test_a_user_who_must_change_the_password_is_refused(anon, conn) -> None:
    reset_password(
        conn, "t-department", "Temporary-Pass-2026", access=Access.of(get_user(conn, "root"))
    )
    answer = anon.get("/ogc/collections", headers=basic("t-department", "Temporary-Pass-2026"))
    assert answer.status_code == 403
    assert "修改密码" in answer.json()["detail"]
