"""Read-only links to a scenario's report (issue 20): a planner of the district, whose role
cannot run scenarios, reads the report through the link; scope still applies; a revoked or
expired link opens nothing; the token is never stored."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import Connection, text

from tests.conftest import ClientAs
from tests.test_scenario_comments import _imported_scenario
from tests.tiny_city import DISTRICT


def _shares(conn: Connection, sid: int) -> list[tuple[str, object]]:
    rows = conn.execute(
        text("SELECT token_sha256, revoked_at FROM scenario_share WHERE scenario_id = :s"),
        {"s": sid},
    ).all()
    return [tuple(r) for r in rows]


def test_a_link_lets_a_colleague_in_scope_read_the_report_and_nothing_else(
    client_as: ClientAs, conn: Connection
) -> None:
    county, planner = client_as("t-county"), client_as("t-planner")
    sid = _imported_scenario(county)["id"]
    assert planner.get(f"/scenarios/{sid}/report").status_code == 403  # not without the link
    made = county.post(f"/scenarios/{sid}/shares", json={"days": 7})
    assert made.status_code == 201, made.text
    link = made.json()
    assert link["path"] == "/shared/scenarios/" + link["token"] and link["share"]["active"]
    stored = _shares(conn, sid)
    assert stored == [(hashlib.sha256(link["token"].encode()).hexdigest(), None)]

    page = planner.get(link["path"])
    assert page.status_code == 200, page.text
    assert "评议方案" in page.text and "text/html" in page.headers["content-type"]
    assert planner.get(f"/scenarios/{sid}").status_code == 403  # the link grants the page only
    assert planner.post(f"/scenarios/{sid}/shares", json={}).status_code == 403
    street = client_as("t-department").get(link["path"])  # a street: too small a scope
    assert street.status_code == 403 and "text/html" in street.headers["content-type"]
    assert "无权访问" in street.text and DISTRICT in street.text  # the refusal page says why
    assert client_as("lc-planner").get(link["path"]).status_code == 403  # another district
    opened = conn.execute(
        text("SELECT count(*) FROM audit_log WHERE action = 'scenario.open_share'")
    ).scalar_one()
    assert opened >= 1

    listed = county.get(f"/scenarios/{sid}/shares").json()
    assert [s["id"] for s in listed] == [link["share"]["id"]] and "token" not in listed[0]
    revoked = county.delete(f"/scenarios/{sid}/shares/{link['share']['id']}")
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    gone = planner.get(link["path"])
    assert gone.status_code == 404 and "已撤销" in gone.text


def test_an_expired_unknown_or_badly_asked_link_opens_nothing(
    client_as: ClientAs, conn: Connection
) -> None:
    county, planner = client_as("t-county"), client_as("t-planner")
    sid = _imported_scenario(county)["id"]
    link = county.post(f"/scenarios/{sid}/shares", json={"days": 1}).json()
    assert planner.get(link["path"]).status_code == 200
    # a day later (moving the clock would end the planner's session too)
    conn.execute(
        text("UPDATE scenario_share SET expires_at = :t WHERE scenario_id = :s"),
        {"t": dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1), "s": sid},
    )
    assert planner.get(link["path"]).status_code == 404
    assert planner.get("/shared/scenarios/" + "x" * 43).status_code == 404
    assert planner.get("/shared/scenarios/short").status_code == 422
    before = _shares(conn, sid)
    for body in ({"days": 0}, {"days": 366}, {"days": 7, "scope": "city"}):
        assert county.post(f"/scenarios/{sid}/shares", json=body).status_code == 422, body
    assert county.delete(f"/scenarios/{sid}/shares/999999").status_code == 404
    assert county.post("/scenarios/999999/shares", json={}).status_code == 404
    assert _shares(conn, sid) == before
