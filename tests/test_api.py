"""Every endpoint over HTTP on the tiny city, including the errors a user can cause."""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry import shape

from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, DISTRICT, STREET, cell, unit_code

PROBLEM = "application/problem+json"


def test_health(client) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["database"]["up_to_date"] is True
    assert body["database"]["postgis"].startswith("3.")


def test_districts_streets_communities(client) -> None:
    districts = client.get("/districts")
    assert districts.status_code == 200
    assert districts.headers["content-type"] == "application/geo+json"
    assert DISTRICT in {f["id"] for f in districts.json()["features"]}

    streets = client.get("/streets", params={"district": DISTRICT}).json()
    assert [f["id"] for f in streets["features"]] == [STREET]

    communities = client.get("/communities", params={"street": STREET}).json()
    assert [f["id"] for f in communities["features"]] == [COMMUNITY_A, COMMUNITY_B]
    a = communities["features"][0]["properties"]
    assert a["households"] == 100 * (1 + 2 + 4 + 5 + 7 + 8) and a["unit_count"] == 6

    one = client.get(f"/communities/{COMMUNITY_B}").json()
    assert one["properties"]["kind"] == "village"
    assert shape(one["geometry"]).equals(cell(3).union(cell(6)).union(cell(9)))


def test_communities_in_bbox(client) -> None:
    # A box over the right column only touches community B (and A's edge? no: strictly inside).
    bbox = "116.0021,27.5001,116.0029,27.5029"
    features = client.get("/communities", params={"bbox": bbox}).json()["features"]
    assert [f["id"] for f in features] == [COMMUNITY_B]


def test_layers(client) -> None:
    layers = {layer["code"]: layer for layer in client.get("/layers").json()}
    assert layers["unified"]["kind"] == "unified"
    assert layers["zongzhi"]["grids_crossing_communities"] >= 1
    one = client.get("/layers/zongzhi").json()
    assert one["department"] == "综治办"


def test_grids_of_a_community(client) -> None:
    r = client.get("/layers/unified/grids", params={"community": COMMUNITY_A})
    assert r.status_code == 200
    body = r.json()
    assert [f["id"] for f in body["features"]] == [f"{COMMUNITY_A}001", f"{COMMUNITY_A}002"]
    assert body["numberMatched"] == 2 and body["numberReturned"] == 2
    g1 = body["features"][0]
    assert g1["properties"]["households"] == 300 and g1["properties"]["band"] == "in"
    assert shape(g1["geometry"]).equals(cell(1).union(cell(2)))
    assert body["features"][1]["properties"]["band"] == "over"  # 2,400 households


def test_grids_paging(client) -> None:
    first = client.get(
        "/layers/unified/grids", params={"bbox": "115.99,27.49,116.01,27.51", "limit": 2}
    ).json()
    assert first["numberMatched"] == 3 and first["numberReturned"] == 2
    second = client.get(
        "/layers/unified/grids",
        params={"bbox": "115.99,27.49,116.01,27.51", "limit": 2, "offset": first["next_offset"]},
    ).json()
    assert second["numberReturned"] == 1 and "next_offset" not in second
    ids = [f["id"] for f in first["features"] + second["features"]]
    assert len(set(ids)) == 3


def test_one_grid_with_units(client) -> None:
    body = client.get(f"/layers/unified/grids/{COMMUNITY_A}002").json()
    units = body["properties"]["units"]
    assert [u["code"] for u in units] == [unit_code(n) for n in (4, 5, 7, 8)]
    assert sum(u["households"] for u in units) == body["properties"]["households"] == 2400


def test_unit_with_membership_in_every_layer(client) -> None:
    body = client.get(f"/units/{unit_code(5)}").json()
    assert body["properties"]["grids"] == {
        "unified": f"{COMMUNITY_A}002",
        "zongzhi": f"{COMMUNITY_A}902",
    }
    assert body["properties"]["incidents_per_year"] == 1


def test_gcj02_display_shift(client) -> None:
    wgs = shape(client.get(f"/communities/{COMMUNITY_B}").json()["geometry"])
    gcj = shape(
        client.get(f"/communities/{COMMUNITY_B}", params={"crs": "gcj02"}).json()["geometry"]
    )
    # GCJ-02 moves points in this part of Jiangxi by a few hundred metres (≈ 0.003–0.006°).
    dx = gcj.centroid.x - wgs.centroid.x
    dy = gcj.centroid.y - wgs.centroid.y
    assert 0.002 < abs(dx) + abs(dy) < 0.01
    assert shapely.is_valid(gcj)


@pytest.mark.parametrize(
    ("path", "params", "status", "detail"),
    [
        ("/districts/999999", {}, 404, "no district with code '999999'"),
        ("/streets/369901999", {}, 404, "no street with code '369901999'"),
        ("/communities/369901001099", {}, 404, "no community with code '369901001099'"),
        ("/streets", {"district": "999999"}, 404, "no district with code '999999'"),
        ("/layers/nope", {}, 404, "no grid layer with code 'nope'"),
        ("/layers/nope/grids", {}, 404, "no grid layer with code 'nope'"),
        ("/layers/unified/grids/000", {}, 404, "layer 'unified' has no grid with code '000'"),
        ("/layers/unified/grids", {"community": "1"}, 404, "no community with code '1'"),
        ("/units/nope", {}, 404, "no base unit with code 'nope'"),
        ("/layers/unified/grids", {"bbox": "1,2,3"}, 422, "bbox must be four numbers"),
        ("/layers/unified/grids", {"bbox": "a,b,c,d"}, 422, "not a number"),
        ("/layers/unified/grids", {"bbox": "116.1,27,116.0,28"}, 422, "west < east"),
        ("/communities", {"bbox": "500000,3000000,510000,3100000"}, 422, "projected CRS"),
        ("/layers/unified/grids", {"limit": 0}, 422, "limit"),
        ("/layers/unified/grids", {"crs": "bd09"}, 422, "crs"),
        ("/no/such/path", {}, 404, "no resource at /no/such/path"),
    ],
)
def test_errors_are_problem_json(client, path, params, status, detail) -> None:
    r = client.get(path, params=params)
    assert r.status_code == status
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["status"] == status and detail in body["detail"]
    assert body["instance"] == path


def test_openapi_lists_the_endpoints(client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/health", "/districts", "/communities", "/layers/{layer}/grids", "/units/{code}"):
        assert path in paths
    assert client.get("/docs").status_code == 200
