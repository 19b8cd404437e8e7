"""The audit log: a row for every kind of change, readable and exportable by administrators."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from gis import audit
from gis.audit import AuditQuery, export_csv, list_entries, record
from tests.conftest import TEST_PASSWORD
from tests.tiny_city import COMMUNITY_A, DISTRICT

A001 = f"{COMMUNITY_A}001"
NEW_PLANNER = {
    "username": "wang.wu",
    "password": "a good passphrase",
    "role": "planner",
    "scope": f"district:{DISTRICT}",
    "display_name": "王五",
}


def last(conn, action: str) -> dict[str, Any]:
    row = conn.execute(
        text(
            "SELECT actor, action, entity, entity_id, before, after FROM audit_log "
            "WHERE action = :a ORDER BY id DESC LIMIT 1"
        ),
        {"a": action},
    ).mappings()
    found = row.first()
    assert found is not None, f"no {action} row"
    return dict(found)


def _log_in(anon, client_as) -> None:
    anon.post("/auth/login", json={"username": "t-county", "password": TEST_PASSWORD})


def _fail(anon, client_as) -> None:
    anon.post("/auth/login", json={"username": "t-county", "password": "wrong password"})


def _log_out(anon, client_as) -> None:
    client_as("t-county", via="bearer").post("/auth/logout")


def _create(anon, client_as) -> None:
    assert client_as("root").post("/users", json=NEW_PLANNER).status_code == 201


def _role_change(anon, client_as) -> None:
    root = client_as("root")
    change = {"role": "county", "scope": f"district:{DISTRICT}"}
    assert root.patch("/users/t-planner", json=change).status_code == 200


def _deactivate(anon, client_as) -> None:
    assert client_as("root").patch("/users/t-worker", json={"active": False}).status_code == 200


def _reset(anon, client_as) -> None:
    body = {"password": "brand new passphrase"}
    assert client_as("root").patch("/users/t-worker", json=body).status_code == 200


def _change_own(anon, client_as) -> None:
    body = {"old_password": TEST_PASSWORD, "new_password": "my new passphrase"}
    assert client_as("t-party").post("/auth/password", json=body).status_code == 204


def _rename(anon, client_as) -> None:
    body = {"name": "甲社区一网格"}
    assert (
        client_as("t-planner").patch(f"/layers/unified/grids/{A001}", json=body).status_code == 200
    )


def _export(anon, client_as) -> None:
    assert client_as("root").get("/audit.csv", params={"action": "user."}).status_code == 200


Change = Callable[[Any, Any], None]
KINDS: list[tuple[str, Change, dict[str, Any]]] = [
    ("auth.login", _log_in, {"actor": "t-county", "entity_id": "t-county"}),
    ("auth.login_failed", _fail, {"actor": "t-county", "after.reason": "wrong password"}),
    ("auth.logout", _log_out, {"actor": "t-county"}),
    (
        "user.create",
        _create,
        {"actor": "root", "entity_id": "wang.wu", "before": None, "after.role": "planner"},
    ),
    (
        "user.update",
        _role_change,
        {"actor": "root", "entity_id": "t-planner", "before": {"role": "planner"}},
    ),
    (
        "user.deactivate",
        _deactivate,
        {"actor": "root", "before": {"active": True}, "after": {"active": False}},
    ),
    (
        "user.password_reset",
        _reset,
        {"actor": "root", "entity_id": "t-worker", "after": {"must_change_password": True}},
    ),
    ("user.password_change", _change_own, {"actor": "t-party", "entity_id": "t-party"}),
    (
        "layer.rename",
        _rename,
        {"actor": "t-planner", "entity": "grid_layer", "entity_id": "unified"},
    ),
    ("audit.export", _export, {"actor": "root", "after": {"action": "user."}}),
]


@pytest.mark.parametrize(("action", "change", "expected"), KINDS, ids=[k[0] for k in KINDS])
def test_every_kind_of_change_is_recorded(
    conn, anon, client_as, action: str, change: Change, expected: dict[str, Any]
) -> None:
    count = f"SELECT count(*) FROM audit_log WHERE action = '{action}'"
    before = conn.execute(text(count)).scalar_one()
    change(anon, client_as)
    assert conn.execute(text(count)).scalar_one() == before + 1
    row = last(conn, action)
    for key, value in expected.items():
        if "." in key:
            field, member = key.split(".")
            assert row[field][member] == value, key
        else:
            assert row[key] == value, key
    assert "argon2" not in str(row) and TEST_PASSWORD not in str(row)


def test_imports_are_recorded(conn) -> None:
    """The session fixture loaded the tiny city with load_city: that import is on record."""
    row = conn.execute(
        text(
            "SELECT actor, after FROM audit_log WHERE action = 'city.import' "
            "AND entity_id = 'tiny_city.gpkg' ORDER BY id DESC LIMIT 1"
        )
    ).one()
    assert row.actor.startswith("system:")
    assert row.after["districts"] == [DISTRICT] and row.after["rows"]["base_unit"] == 9


def test_the_log_is_read_by_administrators_with_filters_and_pages(conn, client_as) -> None:
    for n in range(3):
        record(conn, "t-planner", "test.thing", "grid", f"G{n}", {"n": n}, {"n": n + 1})
    root = client_as("root")
    page = root.get("/audit", params={"action": "test.thing", "limit": 2}).json()
    assert page["numberMatched"] == 3 and page["numberReturned"] == 2
    assert [i["entity_id"] for i in page["items"]] == ["G2", "G1"]  # newest first
    rest = root.get(
        "/audit", params={"action": "test.thing", "limit": 2, "offset": page["next_offset"]}
    ).json()
    assert [i["entity_id"] for i in rest["items"]] == ["G0"] and rest["next_offset"] is None
    by_prefix = root.get("/audit", params={"action": "test.", "entity_id": "G1"}).json()
    assert by_prefix["items"][0]["before"] == {"n": 1} and by_prefix["items"][0]["after"] == {
        "n": 2
    }
    assert root.get("/audit", params={"actor": "nobody"}).json()["numberMatched"] == 0
    bad = root.get(
        "/audit", params={"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}
    )
    assert bad.status_code == 422


def test_the_export_is_csv_for_a_spreadsheet(conn, client_as) -> None:
    record(conn, "t-planner", "test.formula", "grid", "=HYPERLINK(1)", None, {"名称": "甲"})
    r = client_as("root").get("/audit.csv", params={"action": "test.formula"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    body = r.content.decode("utf-8")
    assert body.startswith("\ufeff")  # Excel reads UTF-8 Chinese only with the BOM
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert rows[0] == list(audit.COLUMNS)
    assert rows[1][2:6] == ["t-planner", "test.formula", "grid", "'=HYPERLINK(1)"]
    assert rows[1][7] == '{"名称": "甲"}'


def test_python_api(conn) -> None:
    first = record(conn, "system:tests", "test.api", "thing", 7, None, {"at": "now"})
    page = list_entries(conn, AuditQuery(action="test.api"))
    assert page["items"][0]["id"] == first and page["items"][0]["entity_id"] == "7"
    text_ = "".join(export_csv(conn, AuditQuery(action="test.api")))
    assert text_.count("\r\n") == 2


def test_the_log_cannot_be_rewritten_over_http(client_as) -> None:
    root = client_as("root")
    for method in ("DELETE", "PUT", "PATCH", "POST"):
        assert root.request(method, "/audit").status_code == 405
