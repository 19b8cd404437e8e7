"""Open311 GeoReport v2 as a 12345-hotline app uses it: services, a form-encoded POST, GET by id
and by filters, the XML variants, and the API key (never an unauthenticated write)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import text

from gis.access import Access
from gis.incidents.open311 import add_client
from tests.tiny_city import DISTRICT, cell


@pytest.fixture
def key(conn) -> str:
    return add_client(conn, "hotline-12345", DISTRICT, access=Access.system("system:tests"))[1]


def _point(n: int) -> dict[str, str]:
    c = cell(n).centroid
    return {"lat": f"{c.y:.6f}", "long": f"{c.x:.6f}"}


def test_services_list_the_categories(anon, key) -> None:
    services = anon.get("/open311/v2/services.json", params={"api_key": key})
    assert services.status_code == 200
    codes = {s["service_code"]: s for s in services.json()}
    assert len(codes) == 20 and codes["sanitation"]["group"] == "城管局"
    assert codes["illegal_parking"]["metadata"] is False
    xml = anon.get("/open311/v2/services.xml", params={"api_key": key})
    root = ET.fromstring(xml.content)
    assert root.tag == "services" and len(root.findall("service")) == 20


def test_a_client_posts_a_request_form_encoded_and_reads_it_back(anon, conn, key) -> None:
    form = {
        "api_key": key,
        "service_code": "sanitation",
        "description": "垃圾桶满溢",
        "first_name": "三丰",
        "last_name": "张",
        "phone": "13812345678",
        "email": "someone@example.cn",
        **_point(5),
    }
    posted = anon.post("/open311/v2/requests.json", data=form)
    assert posted.status_code == 201, posted.text
    receipt = posted.json()
    assert list(receipt[0]) == ["service_request_id", "service_notice", "account_id"]
    code = receipt[0]["service_request_id"]
    row = conn.execute(
        text(
            "SELECT reporter_kind, source, reporter_name, state, department FROM incident "
            "WHERE code = :c"
        ),
        {"c": code},
    ).one()
    assert tuple(row) == ("hotline", "open311", "张 三丰", "reported", "城管局")
    actor = conn.execute(
        text("SELECT actor FROM audit_log WHERE action = 'incident.report' AND entity_id = :c"),
        {"c": code},
    ).scalar_one()
    assert actor == "open311:hotline-12345"

    one = anon.get(f"/open311/v2/requests/{code}.json", params={"api_key": key}).json()
    assert len(one) == 1
    request = one[0]
    for field in ("service_request_id", "status", "service_code", "requested_datetime",
                  "agency_responsible", "lat", "long"):  # fmt: skip
        assert field in request
    assert request["status"] == "open" and request["service_code"] == "sanitation"
    assert "phone" not in request and "13812345678" not in str(one)
    assert abs(request["lat"] - float(form["lat"])) < 1e-6

    listed = anon.get(
        "/open311/v2/requests.json",
        params={"api_key": key, "status": "open", "service_code": "sanitation"},
    ).json()
    assert code in {r["service_request_id"] for r in listed}
    closed = anon.get("/open311/v2/requests.json", params={"api_key": key, "status": "closed"})
    assert code not in {r["service_request_id"] for r in closed.json()}
    xml = anon.get(f"/open311/v2/requests/{code}.xml", params={"api_key": key})
    root = ET.fromstring(xml.content)
    assert root.tag == "service_requests"
    assert root.find("request/service_request_id").text == code


def test_negative_list_request_is_dispatched_with_a_notice(anon, key) -> None:
    posted = anon.post(
        "/open311/v2/requests.json",
        data={"api_key": key, "service_code": "illegal_parking", **_point(1)},
    )
    assert posted.status_code == 201
    assert "负面清单" in posted.json()[0]["service_notice"]


def test_requests_without_a_valid_key_change_nothing(anon, conn, key) -> None:
    before = conn.execute(text("SELECT count(*) FROM incident")).scalar_one()
    for data in ({}, {"api_key": "o311_wrong"}):
        answer = anon.post(
            "/open311/v2/requests.json", data={"service_code": "sanitation", **_point(5), **data}
        )
        assert answer.status_code == 401
        assert answer.json()[0]["code"] == 401 and "api_key" in answer.json()[0]["description"]
    assert anon.get("/open311/v2/services.json").status_code == 401
    assert conn.execute(text("SELECT count(*) FROM incident")).scalar_one() == before


def test_bad_requests_get_georeport_errors(anon, key) -> None:
    unknown = anon.post(
        "/open311/v2/requests.json", data={"api_key": key, "service_code": "ufo", **_point(5)}
    )
    assert unknown.status_code == 422 and "service_code" in unknown.json()[0]["description"]
    no_place = anon.post(
        "/open311/v2/requests.json",
        data={"api_key": key, "service_code": "sanitation", "address_string": "某路1号"},
    )
    assert no_place.status_code == 422 and "lat and long" in no_place.json()[0]["description"]
    xml = anon.post("/open311/v2/requests.xml", data={"api_key": key, "service_code": "ufo"})
    assert ET.fromstring(xml.content).find("error/code").text == "422"
    missing = anon.get("/open311/v2/requests/NOPE.json", params={"api_key": key})
    assert missing.status_code == 404


def test_a_client_reports_only_inside_its_scope(anon, conn) -> None:
    key = add_client(conn, "linchuan-app", "361002", access=Access.system("system:tests"))[1]
    answer = anon.post(
        "/open311/v2/requests.json", data={"api_key": key, "service_code": "noise", **_point(5)}
    )
    assert answer.status_code == 403 and "outside your scope" in answer.json()[0]["description"]
