"""Residents post needs themselves (群众点单), without a log-in: as JSON (a hotline, an app) or
through the plain form at /needs/ask. The need lands in their community for the party office to
dispatch; a building of another community, an unknown community or a bad field are refused
naming the problem; a client posting too often gets 429 and Retry-After; nothing is recorded
then."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import Connection

from gis.chinatime import CHINA
from gis.needs.intake import IntakeLimits
from tests.conftest import ClientAs, scalar
from tests.needs_city import NEED_BUILDING
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B

NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=CHINA)
ASK = {"community": COMMUNITY_A, "kind": "elderly", "title": "帮忙买菜",
       "requester_name": "赵奶奶", "requester_phone": "13700002222"}  # fmt: skip


def residents(conn: Connection) -> int:
    return int(scalar(conn, "SELECT count(*) FROM need WHERE source = 'resident'"))  # type: ignore[call-overload]


def test_a_resident_posts_a_need_the_party_office_then_sees(
    anon, client_as: ClientAs, app, conn: Connection
) -> None:
    app.state.clock = lambda: NOW.astimezone(dt.UTC)
    app.state.intake_limits = IntakeLimits(per_client=2)
    posted = anon.post("/needs/intake", json=ASK | {"building": NEED_BUILDING})
    assert posted.status_code == 201, posted.text
    receipt = posted.json()
    assert (receipt["status_label"], receipt["due_on"]) == (
        "待派单 Awaiting dispatch",
        "2026-12-14",
    )
    seen = client_as("t-party").get(f"/needs/{receipt['code']}").json()
    assert (seen["source"], seen["community_code"], seen["building_code"]) == (
        "resident",
        COMMUNITY_A,
        NEED_BUILDING,
    )
    assert seen["requester_phone"] == "13700002222"  # the office calls them back
    before = residents(conn)
    wrong = anon.post("/needs/intake", json=ASK | {"community": COMMUNITY_B,
                                                   "building": NEED_BUILDING})  # fmt: skip
    assert wrong.status_code == 422 and NEED_BUILDING in wrong.json()["detail"]
    assert anon.post("/needs/intake", json=ASK | {"community": "369999"}).status_code == 404
    assert anon.post("/needs/intake", json=ASK | {"kind": "magic"}).status_code == 422
    assert anon.post("/needs/intake", json=ASK).status_code == 201  # the second of two
    flood = anon.post("/needs/intake", json=ASK)
    assert flood.status_code == 429 and "秒后再试" in flood.json()["detail"]
    assert int(flood.headers["Retry-After"]) == 3600
    assert residents(conn) == before + 1


def test_the_plain_form_gives_a_receipt_or_says_what_was_wrong(anon, app) -> None:
    app.state.clock = lambda: NOW.astimezone(dt.UTC)
    page = anon.get("/needs/ask")
    assert page.status_code == 200 and "甲社区" in page.text and "我要点单" in page.text
    form = {"community": COMMUNITY_A, "kind": "repair", "title": "水管漏水", "name": "钱先生",
            "phone": "13600003333"}  # fmt: skip
    done = anon.post("/needs/ask", data=form)
    assert done.status_code == 200 and "已收到" in done.text
    assert re.search(r'data-testid="receipt-code">XQ20261207\d{6}<', done.text)
    bad = anon.post("/needs/ask", data=form | {"building": "NOPE"})
    assert bad.status_code == 422 and "没有楼栋 NOPE" in bad.text
    assert 'value="水管漏水"' in bad.text  # the form keeps what was typed
