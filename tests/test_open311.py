"""Open311 GeoReport v2 as a 12345-hotline app uses it: services, a service definition, a
form-encoded POST, GET by id and by filters (dates and last change), the updates feed, the XML
variants, public reads as the standard has them, and the API key (never an unauthenticated
write); and a GeoReport client library reading a live server."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from georeport import GeoReport
from sqlalchemy import text

from api.app import create_app
from gis.access import Access
from gis.incidents.open311_clients import add_client
from gis.incidents.workflow import transition
from gis.infra.settings import Settings
from tests.conftest import share_connection
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
    # The latest record of that code: a code freed by a test that deleted its incident may be
    # given again, and audit records are never deleted.
    actor = conn.execute(
        text(
            "SELECT actor FROM audit_log WHERE action = 'incident.report' AND entity_id = :c "
            "ORDER BY id DESC LIMIT 1"
        ),
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
    assert (
        anon.get("/open311/v2/services.json", params={"api_key": "o311_wrong"}).status_code == 401
    )
    assert conn.execute(text("SELECT count(*) FROM incident")).scalar_one() == before


def test_reads_are_public_as_the_standard_has_them_unless_closed(
    anon, conn, key, settings: Settings
) -> None:
    posted = anon.post(
        "/open311/v2/requests.json",
        data={"api_key": key, "service_code": "sanitation", "phone": "13900001111", **_point(5)},
    ).json()[0]["service_request_id"]
    assert anon.get("/open311/v2/services.json").status_code == 200
    public = anon.get(f"/open311/v2/requests/{posted}.json")
    assert public.status_code == 200 and public.json()[0]["service_request_id"] == posted
    assert "13900001111" not in public.text  # a reporter's phone never goes out
    closed = share_connection(
        create_app(settings.model_copy(update={"open311_public_reads": False})), conn
    )
    with TestClient(closed) as private:
        for path in ("services.json", "services/sanitation.json", f"requests/{posted}.json",
                     "requests.json", "servicerequestupdates.json"):  # fmt: skip
            answer = private.get(f"/open311/v2/{path}")
            assert answer.status_code == 401, path
            assert "api_key" in answer.json()[0]["description"]
        assert (
            private.get(f"/open311/v2/requests/{posted}.json", params={"api_key": key}).status_code
            == 200
        )


def test_a_service_definition_has_no_attributes_to_ask(anon) -> None:
    definition = anon.get("/open311/v2/services/sanitation.json")
    assert definition.json() == {"service_code": "sanitation", "attributes": []}
    xml = ET.fromstring(anon.get("/open311/v2/services/sanitation.xml").content)
    assert xml.tag == "service_definition" and xml.find("service_code").text == "sanitation"
    assert xml.find("attributes") is not None and len(xml.find("attributes")) == 0
    missing = anon.get("/open311/v2/services/ufo.json")
    assert missing.status_code == 404 and "ufo" in missing.json()[0]["description"]


def _moved(conn, code: str, at: dt.datetime) -> None:
    transition(conn, code, "dispatch", now=at, access=Access.system("system:tests"))


def test_requests_by_last_change_and_the_updates_feed(anon, conn, key) -> None:
    t0 = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
    codes = [
        anon.post(
            "/open311/v2/requests.json",
            data={"api_key": key, "service_code": "sanitation", **_point(n)},
        ).json()[0]["service_request_id"]
        for n in (2, 5)
    ]
    _moved(conn, codes[0], t0)
    _moved(conn, codes[1], t0 + dt.timedelta(hours=3))
    hour = dt.timedelta(hours=1)
    changed = anon.get(
        "/open311/v2/requests.json",
        params={
            "updated_after": (t0 - hour).isoformat(),
            "updated_before": (t0 + hour).isoformat(),
        },
    ).json()
    assert [r["service_request_id"] for r in changed] == [codes[0]]
    assert changed[0]["updated_datetime"] == t0.isoformat(timespec="seconds")
    later = anon.get("/open311/v2/requests.json", params={"updated_after": (t0 + hour).isoformat()})
    assert codes[1] in {r["service_request_id"] for r in later.json()}
    assert codes[0] not in {r["service_request_id"] for r in later.json()}
    updates = anon.get(
        "/open311/v2/servicerequestupdates.json",
        params={"start_date": (t0 - hour).isoformat(), "end_date": (t0 + 4 * hour).isoformat()},
    ).json()
    mine = [u for u in updates if u["service_request_id"] in codes]
    assert [u["service_request_id"] for u in mine] == codes  # oldest first
    assert {u["status"] for u in mine} == {"open"}
    assert len({u["update_id"] for u in updates}) == len(updates)
    xml = ET.fromstring(
        anon.get(
            "/open311/v2/servicerequestupdates.xml",
            params={"start_date": (t0 - hour).isoformat(), "end_date": (t0 + 4 * hour).isoformat()},
        ).content
    )
    assert xml.tag == "service_request_updates" and xml.find("request_update/update_id") is not None
    too_long = anon.get(
        "/open311/v2/servicerequestupdates.json",
        params={"start_date": "2025-01-01T00:00:00Z", "end_date": "2025-12-31T00:00:00Z"},
    )
    assert too_long.status_code == 422 and "90" in too_long.json()[0]["description"]
    backwards = anon.get(
        "/open311/v2/requests.json",
        params={"updated_after": "2026-06-02T00:00:00Z", "updated_before": "2026-06-01T00:00:00Z"},
    )
    assert backwards.status_code == 422 and "updated_after" in backwards.json()[0]["description"]


def test_a_georeport_client_library_reads_gridmap(live_server: str) -> None:
    """georeport (a maintained GeoReport v2 client, which never sends a key to read) against a
    live server holding the sample city's year of incidents, in JSON and in XML."""
    for output in ("json", "xml"):
        client = GeoReport(f"{live_server}/open311/v2", output_format=output)
        services = client.get_service_list()
        assert {s["service_code"] for s in services} >= {"sanitation", "illegal_parking"}
        definition = client.get_service_definition("sanitation")
        assert definition["service_code"] == "sanitation"
        year = client.get_service_requests(
            start_date="2025-10-01T00:00:00Z", end_date="2025-12-31T00:00:00Z", status="open"
        )
        assert year and {r["status"] for r in year} == {"open"}
        one = client.get_service_request(year[0]["service_request_id"])
        assert one["service_request_id"] == year[0]["service_request_id"]
        assert float(one["lat"]) == pytest.approx(float(year[0]["lat"]))


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
