"""Issue 23: a dispatcher merges duplicate reports into one incident; the merged reports follow
its state, every reporter is told, the figures count the problem once with its reports, and bad
merges are refused naming the report, with nothing changed.

The tiny city (tests/tiny_city.py): grids G1 (U1, U2), G2 (U4, U5, U7, U8) in community A, G3 in
community B.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from gis.access import Access
from gis.errors import Forbidden
from gis.incidents.merging import merge
from gis.scope import Scope
from tests.test_incidents import SYSTEM, T0, TO_STATE, drive, report
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B


def _merged_into(conn, code: str) -> str | None:
    return conn.execute(
        text(
            "SELECT p.code FROM incident i LEFT JOIN incident p ON p.id = i.merged_into_id "
            "WHERE i.code = :c"
        ),
        {"c": code},
    ).scalar()


def _outbox(conn, code: str) -> list[tuple[str, str, str]]:
    """(event, address, state in the payload) of the messages about ``code``."""
    rows = conn.execute(
        text(
            "SELECT o.event, o.address, o.payload->>'state' FROM notification_outbox o "
            "JOIN incident i ON i.id = o.incident_id WHERE i.code = :c ORDER BY o.id"
        ),
        {"c": code},
    ).all()
    return [tuple(r) for r in rows]


def test_merged_reports_follow_the_primary_and_every_reporter_is_told(client_as, conn) -> None:
    first = report(conn, 1, reporter_email="first@example.org")
    second = report(conn, 1, reporter_email="second@example.org", now=T0.replace(hour=10))
    third = report(conn, 2, reporter_email="third@example.org", now=T0.replace(hour=11))
    county = client_as("t-county")
    done = county.post(f"/incidents/{first}/merge", json={"duplicates": [second, third]})
    assert done.status_code == 200, done.text
    assert done.json() == {
        "primary": first, "merged": [second, third], "reports": 3, "state": "reported",
    }  # fmt: skip

    detail = county.get(f"/incidents/{first}").json()
    assert detail["reports"] == 3 and detail["duplicates"] == [second, third]
    assert detail["merged_into"] is None and detail["history"][-1]["action"] == "merge"
    dup = county.get(f"/incidents/{second}").json()
    assert dup["merged_into"] == first and dup["reports"] == 1

    # The primary moves: its duplicates move with it, in the same transaction.
    moved = county.post(f"/incidents/{first}/transitions", json={"action": "dispatch"})
    assert moved.status_code == 200, moved.text
    dup = county.get(f"/incidents/{second}").json()
    assert dup["state"] == "dispatched" and dup["department"] == "城管局"
    assert dup["due_at"] == county.get(f"/incidents/{first}").json()["due_at"]
    assert [h["action"] for h in dup["history"]] == ["report", "merge", "follow"]

    # A merged report is not moved on its own: 409 naming the primary.
    alone = client_as("t-department").post(
        f"/incidents/{second}/transitions", json={"action": "sign"}
    )
    assert alone.status_code == 409 and first in alone.json()["detail"]
    assert alone.json()["merged_into"] == first

    # Every reporter was told of the merge and of the dispatch, about their own report.
    assert _outbox(conn, second) == [
        ("merged", "second@example.org", "reported"),
        ("state", "second@example.org", "dispatched"),
    ]
    assert [e for e, _, _ in _outbox(conn, first)] == ["merged", "state"]
    assert [e for e, _, _ in _outbox(conn, third)] == ["merged", "state"]

    # The queue holds the problem once, with the reports it drew.
    queue = county.get("/incidents/queue?stage=handle").json()["items"]
    codes = [item["code"] for item in queue]
    assert first in codes and second not in codes and third not in codes
    assert next(i for i in queue if i["code"] == first)["reports"] == 3
    listed = county.get("/incidents?state=dispatched&limit=5000").json()["features"]
    props = {f["properties"]["code"]: f["properties"] for f in listed}
    assert props[first]["reports"] == 3 and props[second]["merged_into"] == first


def test_figures_count_a_problem_once_and_its_reports(client_as, conn) -> None:
    county = client_as("t-county")
    before = county.get("/incidents/figures?by=category").json()["total"]
    codes = [report(conn, 5, category="政策咨询", now=T0.replace(minute=m)) for m in (1, 2, 3)]
    lone = report(conn, 9, category="政策咨询")
    assert county.post(f"/incidents/{codes[0]}/merge", json={"duplicates": codes[1:]}).is_success
    drive(conn, codes[0], *TO_STATE["evaluated"])
    after = county.get("/incidents/figures?by=category").json()
    assert after["total"]["total"] - before["total"] == 2  # two problems
    assert after["total"]["reports"] - before["reports"] == 4  # four reports
    assert after["total"]["closed"] - before["closed"] == 1  # the merged one closed once
    asked = next(r for r in after["rows"] if r["key"] == "政策咨询")
    assert asked["reports"] - asked["total"] >= 2
    assert _merged_into(conn, lone) is None


def _nothing_merged(conn, *codes: str) -> None:
    for code in codes:
        assert _merged_into(conn, code) is None, code
    assert (
        conn.execute(
            text(
                "SELECT count(*) FROM notification_outbox o "
                "JOIN incident i ON i.id = o.incident_id "
                "WHERE i.code = ANY(:c) AND o.event = 'merged'"
            ),
            {"c": list(codes)},
        ).scalar_one()
        == 0
    )


def test_bad_merges_are_refused_naming_the_report_and_change_nothing(client_as, conn) -> None:
    county = client_as("t-county")
    a, b, c = (report(conn, 1, now=T0.replace(minute=m)) for m in (1, 2, 3))
    other = report(conn, 1, category="政策咨询")

    def refused(primary: str, dups: list[str], status: int, naming: str) -> None:
        answer = county.post(f"/incidents/{primary}/merge", json={"duplicates": dups})
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert naming in answer.json()["detail"], answer.json()

    refused(a, [a], 422, "不能并入自身")
    refused(a, [other], 422, other)  # across categories
    refused(a, [], 422, "duplicates")
    refused(a, ["E9999999"], 404, "E9999999")
    _nothing_merged(conn, a, b, c, other)

    assert county.post(f"/incidents/{a}/merge", json={"duplicates": [b]}).status_code == 200
    refused(c, [a, b], 409, b)  # b is already merged
    refused(b, [c], 409, "不能作为主事件")  # into a merged report: no chains
    _nothing_merged(conn, c)

    closed = report(conn, 1)
    drive(conn, closed, *TO_STATE["evaluated"])
    refused(closed, [c], 409, "已办结")
    refused(a, [closed], 409, closed)
    _nothing_merged(conn, c, closed)

    # Only a dispatcher merges: a field worker or a department is refused.
    for who in ("t-worker", "t-department"):
        answer = client_as(who).post(f"/incidents/{a}/merge", json={"duplicates": [c]})
        assert answer.status_code == 403, (who, answer.text)
    _nothing_merged(conn, c)


def test_a_merge_reaching_outside_the_scope_is_forbidden(conn) -> None:
    inside = report(conn, 1)
    outside = report(conn, 3)  # U3 lies in community B
    community_a = Access.system(SYSTEM, scope=Scope.community(COMMUNITY_A))
    with pytest.raises(Forbidden, match=outside):
        merge(conn, inside, [outside], access=community_a)
    assert _merged_into(conn, outside) is None
    assert COMMUNITY_B != COMMUNITY_A


def test_a_primarys_own_duplicates_come_along(conn) -> None:
    system = Access.system(SYSTEM)
    a, b, c = (report(conn, 1, now=T0.replace(minute=m)) for m in (1, 2, 3))
    merge(conn, b, [c], access=system)
    done = merge(conn, a, [b], access=system)
    assert done.reports == 3
    assert _merged_into(conn, c) == a and _merged_into(conn, b) == a


def test_a_rolled_back_move_queues_no_message(conn) -> None:
    code = report(conn, 1, reporter_email="someone@example.org")
    savepoint = conn.begin_nested()
    drive(conn, code, "dispatch")
    assert [e for e, _, _ in _outbox(conn, code)] == ["state"]
    savepoint.rollback()
    assert _outbox(conn, code) == []
