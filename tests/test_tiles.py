"""Vector tiles: what a tile holds, for whom, under which URL — decoded as a map client would.

The tiny city (tests/tiny_city.py) sits in one z15 tile: three unified grids whose outlines and
households a reader can check by eye (G1 = U1+U2 = 300 households, G2 = U4+U5+U7+U8 = 2,400,
G3 = U3+U6+U9 = 1,800).
"""

from __future__ import annotations

import math
from typing import Any

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from gis.tiles.coords import BUFFER, EXTENT, lonlat_to_tile
from tests.conftest import ClientAs
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, STEP, X0, Y0

G1, G2, G3 = f"{COMMUNITY_A}001", f"{COMMUNITY_A}002", f"{COMMUNITY_B}001"
TINY_CENTRE = (X0 + 1.5 * STEP, Y0 + 1.5 * STEP)
Z = 15


def tile_of(lon: float, lat: float, z: int = Z) -> tuple[int, int, int]:
    x, y = lonlat_to_tile(lon, lat, z)
    return z, x, y


def url(client: TestClient, source: str, z: int, x: int, y: int) -> str:
    template = client.get(f"/tiles/{source}.json").json()["tiles"][0]
    path = template.split("/tiles/", 1)[1]
    return "/tiles/" + path.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))


def decode(body: bytes) -> dict[str, Any]:
    return mapbox_vector_tile.decode(body, default_options={"y_coord_down": True})


def features(client: TestClient, source: str, z: int, x: int, y: int, layer: str) -> list[Any]:
    response = client.get(url(client, source, z, x, y))
    if response.status_code == 204:
        return []
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    return list(decode(response.content).get(layer, {}).get("features", []))


def by_code(found: list[Any]) -> dict[str, dict[str, Any]]:
    return {f["properties"]["code"]: f for f in found}


def pixel(lon: float, lat: float, z: int, x: int, y: int) -> tuple[float, float]:
    """Where a point falls in tile z/x/y, in MVT units (0..4096, y down)."""
    n = 1 << z
    px = ((lon + 180) / 360 * n - x) * EXTENT
    py = ((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n - y) * EXTENT
    return px, py


def rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    coords = geometry["coordinates"]
    return coords if geometry["type"] == "Polygon" else [r for poly in coords for r in poly]


# ----------------------------------------------------------------------------- content


def test_a_tile_holds_the_grids_it_covers_with_their_figures(client: TestClient) -> None:
    found = by_code(features(client, "grids.unified", *tile_of(*TINY_CENTRE), "grids"))
    tiny = {code: f for code, f in found.items() if code.startswith("369901")}
    assert set(tiny) == {G1, G2, G3}
    assert [tiny[c]["properties"]["households"] for c in (G1, G2, G3)] == [300, 2400, 1800]
    assert tiny[G2]["properties"]["unit_count"] == 4
    assert tiny[G1]["properties"]["community_code"] == COMMUNITY_A
    for f in tiny.values():
        p = f["properties"]
        assert p["band"] in {"under", "in", "over"}
        assert {"name", "workload", "population", "locked", "area_km2"} <= set(p)


def test_grid_outline_lands_where_the_grid_is(client: TestClient) -> None:
    """G1 is blocks U1+U2: x from X0 to X0+2·STEP, y from Y0 to Y0+STEP."""
    z, x, y = tile_of(*TINY_CENTRE)
    g1 = by_code(features(client, "grids.unified", z, x, y, "grids"))[G1]
    points = [p for ring in rings(g1["geometry"]) for p in ring]
    west, north = pixel(X0, Y0 + STEP, z, x, y)
    east, south = pixel(X0 + 2 * STEP, Y0, z, x, y)
    assert min(p[0] for p in points) == pytest.approx(west, abs=1.5)
    assert max(p[0] for p in points) == pytest.approx(east, abs=1.5)
    assert min(p[1] for p in points) == pytest.approx(north, abs=1.5)
    assert max(p[1] for p in points) == pytest.approx(south, abs=1.5)


def test_no_geometry_outside_the_tile_and_its_buffer(client: TestClient) -> None:
    """At z18 the tiny city spans several tiles: every grid is clipped to each."""
    z = 18
    x0, y0 = lonlat_to_tile(X0, Y0 + 3 * STEP, z)
    x1, y1 = lonlat_to_tile(X0 + 3 * STEP, Y0, z)
    seen = set()
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            for f in features(client, "grids.unified", z, x, y, "grids"):
                seen.add(f["properties"]["code"])
                for ring in rings(f["geometry"]):
                    for px, py in ring:
                        assert -BUFFER <= px <= EXTENT + BUFFER, (x, y, px)
                        assert -BUFFER <= py <= EXTENT + BUFFER, (x, y, py)
    assert {G1, G2, G3} <= seen


def test_areas_units_buildings_tiles(client: TestClient) -> None:
    z, x, y = tile_of(*TINY_CENTRE)
    response = client.get(url(client, "areas", z, x, y))
    layers = decode(response.content)
    assert {"districts", "streets", "communities"} <= set(layers)
    communities = {f["properties"]["code"] for f in layers["communities"]["features"]}
    assert {COMMUNITY_A, COMMUNITY_B} <= communities
    units = by_code(features(client, "units", z, x, y, "units"))
    assert units[f"{COMMUNITY_A}U005"]["properties"]["households"] == 500


def test_tiles_carry_no_personal_data(client: TestClient, conn: Connection) -> None:
    """Incident points and party coverage say what and how many, never who."""
    lon, lat = conn.execute(
        text("SELECT ST_X(geom), ST_Y(geom) FROM incident ORDER BY id LIMIT 1")
    ).one()
    points = features(client, "incidents", *tile_of(lon, lat, 16), "incidents")
    assert points
    assert set(points[0]["properties"]) <= {"code", "category", "state", "department"}
    cells = features(client, "incidents", *tile_of(lon, lat, 11), "hexagons")
    assert cells and sum(c["properties"]["count"] for c in cells) > 0
    grids = features(client, "party.unified", *tile_of(lon, lat, 13), "grids")
    assert grids
    assert set(grids[0]["properties"]) == {
        "code", "name", "has_grid_leader", "cadres", "buildings", "buildings_covered",
    }  # fmt: skip


# ----------------------------------------------------------------------------- scope


def test_a_field_worker_sees_only_their_grid(client_as: ClientAs) -> None:
    worker = client_as("t-worker")
    found = by_code(features(worker, "grids.unified", *tile_of(*TINY_CENTRE), "grids"))
    assert set(found) == {G1}
    units = by_code(features(worker, "units", *tile_of(*TINY_CENTRE), "units"))
    assert set(units) == {f"{COMMUNITY_A}U001", f"{COMMUNITY_A}U002"}


def test_a_district_planner_sees_their_district_only(client_as: ClientAs, conn: Connection) -> None:
    planner = client_as("t-planner")  # the tiny city's district
    assert set(by_code(features(planner, "grids.unified", *tile_of(*TINY_CENTRE), "grids"))) == {
        G1,
        G2,
        G3,
    }
    lon, lat = conn.execute(
        text(
            "SELECT ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom)) FROM grid g "
            "JOIN grid_layer l ON l.id = g.layer_id WHERE l.code = 'unified' "
            "AND g.code LIKE '3610%' ORDER BY g.code LIMIT 1"
        )
    ).one()
    sample_tile = tile_of(lon, lat, 13)
    assert features(planner, "grids.unified", *sample_tile, "grids") == []
    sample = client_as("lc-planner")
    codes = set(by_code(features(sample, "grids.unified", *sample_tile, "grids")))
    assert codes and all(code.startswith("361002") for code in codes)
    bounds = planner.get("/tiles/grids.unified.json").json()["bounds"]
    assert bounds == pytest.approx([X0, Y0, X0 + 3 * STEP, Y0 + 3 * STEP], abs=1e-6)


# ----------------------------------------------------------------------------- URLs, caching


def test_an_edit_changes_the_url_and_the_content(client: TestClient) -> None:
    z, x, y = tile_of(*TINY_CENTRE)
    before = url(client, "grids.unified", z, x, y)
    first = client.get(before)
    assert first.headers["cache-control"] == "private, max-age=31536000, immutable"
    etag = first.headers["etag"]
    assert client.get(before, headers={"If-None-Match": etag}).status_code == 304

    renamed = client.patch(f"/layers/unified/grids/{G1}", json={"name": "新名字网格"})
    assert renamed.status_code == 200, renamed.text
    after = url(client, "grids.unified", z, x, y)
    assert after != before
    old = client.get(before, follow_redirects=False)
    assert old.status_code == 302
    assert old.headers["location"].endswith(after)
    fresh = client.get(after)
    assert fresh.headers["etag"] != etag
    g1 = by_code(decode(fresh.content)["grids"]["features"])[G1]
    assert g1["properties"]["name"] == "新名字网格"


def test_tiles_are_cached_by_version_and_scope(client_as: ClientAs, conn: Connection) -> None:
    z, x, y = tile_of(*TINY_CENTRE)
    root, worker = client_as("root"), client_as("t-worker")
    a = root.get(url(root, "grids.unified", z, x, y))
    b = worker.get(url(worker, "grids.unified", z, x, y))
    assert a.content != b.content
    rows = conn.execute(
        text(
            "SELECT scope FROM tile_cache WHERE source = 'grids.unified' AND z = :z AND x = :x "
            "AND y = :y"
        ),  # fmt: skip
        {"z": z, "x": x, "y": y},
    ).scalars()
    assert {"city", f"grid:unified/{G1}"} <= set(rows)
    assert root.get(url(root, "grids.unified", z, x, y)).content == a.content


def test_empty_tile_is_204(client: TestClient) -> None:
    response = client.get(url(client, "grids.unified", 15, 0, 0))
    assert response.status_code == 204
    assert response.content == b""


def test_tilejson(client: TestClient) -> None:
    doc = client.get("/tiles/grids.unified.json").json()
    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"][0].endswith(
        f"/tiles/grids.unified/{doc['data_version']}/{{z}}/{{x}}/{{y}}.mvt"
    )
    (layer,) = doc["vector_layers"]
    assert layer["id"] == "grids"
    assert layer["fields"]["workload"] == "Number"
    west, south, east, north = doc["bounds"]
    assert west <= X0 < east and south <= Y0 < north


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("path", "status", "names"),
    [
        ("/tiles/grids.unified/{v}/23/0/0.mvt", 422, "zoom 23"),
        ("/tiles/grids.unified/{v}/3/8/0.mvt", 422, "x=8"),
        ("/tiles/grids.unified/{v}/3/0/-1.mvt", 422, "tile y"),
        ("/tiles/grids.unified/{v}/abc/0/0.mvt", 422, "tile z"),
        ("/tiles/nosuch/{v}/3/0/0.mvt", 404, "nosuch"),
        ("/tiles/grids.nosuch/{v}/3/0/0.mvt", 404, "nosuch"),
        ("/tiles/grids.nosuch.json", 404, "nosuch"),
        ("/tiles/GRIDS.unified.json", 404, "GRIDS"),
    ],
)
def test_bad_tile_requests_name_the_problem(
    client: TestClient, path: str, status: int, names: str
) -> None:
    version = client.get("/tiles/grids.unified.json").json()["data_version"]
    response = client.get(path.format(v=version))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert names in response.json()["detail"]


def test_tiles_need_a_log_in(anon: TestClient) -> None:
    assert anon.get("/tiles/grids.unified.json").status_code == 401
    assert anon.get("/tiles/grids.unified/1/0/0/0.mvt").status_code == 401


def test_tiles_are_sent_gzipped_or_plain(client: TestClient) -> None:
    """Made and cached gzipped once; a client that does not take gzip gets the plain tile."""
    path = url(client, "grids.unified", *tile_of(*TINY_CENTRE))
    zipped = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == zipped.content  # httpx unzipped the first
    assert G1 in by_code(decode(plain.content)["grids"]["features"])
