"""考核: one month of a grid worker, scored by hand, through the API.

``t-worker`` holds grid G1 = blocks U1 and U2 of the tiny city (116.000–116.002°E,
27.500–27.501°N; buildings 1号楼 and 2号楼, squares of ±0.0001° round the blocks' centres).
November 2026, China time:

**Track** (Tuesday 10 November): 09:00:00 on 1号楼 (116.0005, 27.5005) — 09:04:30 33 m north of it
(116.0005, 27.5009), still in G1 — 09:09:00 outside G1 in U3 (116.0025, 27.5009) — 09:10:00
(116.0027, 27.5009). Pairs (none longer than the 5-minute gap): 270 s in the grid, 270 + 60 s
out: share 270/600 = 0.45, fraction 0.45 / 0.6 = 0.75. A check-in at 2号楼 on 31
October does not count for November: buildings visited 1 of 2 = 0.5.

**Incidents of G1** (merged reports and other grids' incidents left out):

====  ===========  =============  ======================  ===============================
code  reported     by             due / handled           evaluated
====  ===========  =============  ======================  ===============================
I1    5 Nov        a grid worker  8 Nov / 7 Nov (on time)  9 Nov, satisfied
I2    6 Nov        a resident     9 Nov / 10 Nov (late)    12 Nov, satisfied after 2 send-backs
I3    7 Nov        the hotline    20 Nov / 19 Nov          — (fed back)
I4    20 Nov       a resident     25 Nov / 24 Nov          — (handled)
I5    30 Oct       a grid worker  5 Dec                    (another month)
I6    5 Nov        merged into I1
====  ===========  =============  ======================  ===============================

found 1 of 4 = 0.25; on time 3 of 4 = 0.75; solved and satisfied 2 / (2 closings + 2
re-openings) = 0.5; no need of G1 due: 需求服务 has no data and its weight (10) is shared.

Default weights 25/15/15/15/20 over 90: effective 27.78/16.67/16.67/16.67/22.22; points
0.75·27.78 = 20.8, 0.5·16.67 = 8.3, 0.25·16.67 = 4.2, 0.75·16.67 = 12.5, 0.5·22.22 = 11.1:
**56.9**. With the county's weights found 0 and needs 40: 75 over the five with data;
0.75·33.33 = 25.0, 0.5·20 = 10.0, 0, 0.75·20 = 15.0, 0.5·26.67 = 13.3: **63.3**.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Connection, text

from gis.assessment.export import HEADINGS
from gis.chinatime import CHINA
from tests.conftest import ClientAs, scalar
from tests.tiny_city import COMMUNITY_A, DISTRICT, STREET

G1, G2 = f"{COMMUNITY_A}001", f"{COMMUNITY_A}002"
CLOCK = dt.datetime(2026, 12, 2, 12, 0, tzinfo=CHINA)


def china(day: int, hhmmss: str = "10:00:00", month: int = 11) -> dt.datetime:
    return dt.datetime.combine(dt.date(2026, month, day), dt.time.fromisoformat(hhmmss), CHINA)


INCIDENTS: list[dict[str, Any]] = [
    {"code": "KH-I1", "grid": G1, "at": china(5), "kind": "grid_worker", "state": "evaluated",
     "due": china(8), "handled": china(7), "evaluated": china(9), "ok": True, "backs": 0},
    {"code": "KH-I2", "grid": G1, "at": china(6), "kind": "resident", "state": "evaluated",
     "due": china(9), "handled": china(10), "evaluated": china(12), "ok": True, "backs": 2},
    {"code": "KH-I3", "grid": G1, "at": china(7), "kind": "hotline", "state": "fed_back",
     "due": china(20), "handled": china(19), "evaluated": None, "ok": None, "backs": 0},
    {"code": "KH-I4", "grid": G1, "at": china(20), "kind": "resident", "state": "handled",
     "due": china(25), "handled": china(24), "evaluated": None, "ok": None, "backs": 0},
    {"code": "KH-I5", "grid": G1, "at": china(30, month=10), "kind": "grid_worker",
     "state": "signed", "due": china(5, month=12), "handled": None, "evaluated": None,
     "ok": None, "backs": 0},
    {"code": "KH-I6", "grid": G1, "at": china(5), "kind": "resident", "state": "reported",
     "due": None, "handled": None, "evaluated": None, "ok": None, "backs": 0, "merged": "KH-I1"},
    {"code": "KH-I7", "grid": G2, "at": china(5), "kind": "resident", "state": "evaluated",
     "due": china(6), "handled": china(9), "evaluated": china(10), "ok": False, "backs": 3},
]  # fmt: skip
TRACK = [
    (0, china(10, "09:00:00"), 116.0005, 27.5005),
    (1, china(10, "09:04:30"), 116.0005, 27.5009),
    (2, china(10, "09:09:00"), 116.0025, 27.5009),
    (3, china(10, "09:10:00"), 116.0027, 27.5009),
]


@pytest.fixture
def december(app: Any) -> Any:
    """The app's clock on 2 December 2026."""
    app.state.clock = lambda: CLOCK.astimezone(dt.UTC)
    return app


@pytest.fixture
def november(december: Any, conn: Connection) -> Any:
    """The month above, in the test's transaction."""
    app = december
    grid = "(SELECT g.id FROM grid g JOIN grid_layer l ON l.id = g.layer_id " \
        "WHERE l.code = 'unified' AND g.code = :grid)"  # fmt: skip
    for i in INCIDENTS:
        conn.execute(
            text(
                "INSERT INTO incident (code, category, reported_at, reporter_kind, state, geom, "
                "grid_id, due_at, handled_at, evaluated_at, satisfied, send_backs, "
                "merged_into_id) VALUES (:code, '环境卫生', :at, :kind, :state, "
                f"ST_SetSRID(ST_MakePoint(116.001, 27.5005), 4326), {grid}, :due, :handled, "
                ":evaluated, :ok, :backs, (SELECT id FROM incident WHERE code = :merged))"
            ),
            {"merged": None} | i,
        )
    worker = "(SELECT id FROM app_user WHERE username = 't-worker')"
    patrol = conn.execute(
        text(
            "INSERT INTO patrol (user_id, grid_id, state, source, started_at, ended_at) "
            f"VALUES ({worker}, {grid}, 'ended', 'phone', :a, :b) RETURNING id"
        ),
        {"grid": G1, "a": TRACK[0][1], "b": TRACK[-1][1]},
    ).scalar_one()
    for seq, at, lon, lat in TRACK:
        conn.execute(
            text(
                "INSERT INTO track_point (patrol_id, seq, at, accuracy, geom) VALUES "
                "(:p, :seq, :at, 5, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"
            ),
            {"p": patrol, "seq": seq, "at": at, "lon": lon, "lat": lat},
        )
    conn.execute(
        text(
            "INSERT INTO check_in (user_id, grid_id, building_id, kind, at, geom) "
            f"SELECT {worker}, {grid}, b.id, 'visit', :at, ST_PointOnSurface(b.geom) "
            "FROM building b WHERE b.name = '2号楼'"
        ),
        {"grid": G1, "at": china(31, month=10)},
    )
    return app


def _points(answer: dict[str, Any]) -> dict[str, float]:
    return {line["measure"]: line["points"] for line in answer["lines"]}


def test_a_month_scored_by_hand(november: Any, client_as: ClientAs) -> None:
    answer = client_as("t-worker").get("/field/score", params={"month": "2026-11"})
    assert answer.status_code == 200, answer.text
    score = answer.json()
    lines = {line["measure"]: line for line in score["lines"]}
    assert lines["time_in_grid"]["value"] == pytest.approx(0.45)
    assert lines["time_in_grid"]["fraction"] == pytest.approx(0.75)
    assert "在网格 0.1 小时 / 轨迹 0.2 小时" in lines["time_in_grid"]["detail"]
    assert (lines["buildings"]["value"], lines["buildings"]["detail"]) == (
        0.5,
        "走访 1 栋 / 共 2 栋",
    )
    assert lines["found"]["value"] == 0.25
    assert lines["on_time"]["value"] == 0.75
    assert lines["satisfied"]["value"] == 0.5
    assert "退回重办 2 次" in lines["satisfied"]["detail"]
    assert lines["needs"]["value"] is None and "无数据" in lines["needs"]["detail"]
    assert lines["needs"]["effective_weight"] == 0
    assert lines["time_in_grid"]["effective_weight"] == pytest.approx(27.78)
    assert _points(score) == {
        "time_in_grid": 20.8,
        "buildings": 8.3,
        "found": 4.2,
        "on_time": 12.5,
        "satisfied": 11.1,
        "needs": 0.0,
    }
    assert score["score"] == 56.9
    assert (score["grid"], score["street"], score["county"]) == (G1, STREET, DISTRICT)


def test_the_county_weighs_and_the_street_ranks(
    november: Any, client_as: ClientAs, conn: Connection
) -> None:
    county = client_as("t-county")
    changed = county.put(
        f"/assessment/weights/{DISTRICT}", json={"weights": {"found": 0, "needs": 40}}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["weights"]["found"] == 0
    assert (
        scalar(
            conn,
            "SELECT after->>'needs' FROM audit_log WHERE action = 'assessment.weights' "
            "AND entity_id = :county ORDER BY id DESC LIMIT 1",
            county=DISTRICT,
        )
        == "40.0"
    )
    mine = client_as("t-worker").get("/field/score", params={"month": "2026-11"}).json()
    assert mine["score"] == 63.3
    assert _points(mine)["time_in_grid"] == 25.0

    ranked = county.get("/assessment/scores", params={"month": "2026-11", "area": STREET})
    assert ranked.status_code == 200, ranked.text
    row = next(r for r in ranked.json()["rows"] if r["worker"] == "t-worker")
    assert (row["score"], row["rank"], row["street"], row["street_name"]) == (
        63.3, 1, STREET, "测试街道",
    )  # fmt: skip
    sheet = county.get(
        "/assessment/scores/export", params={"month": "2026-11", "area": STREET, "format": "xlsx"}
    )
    assert sheet.status_code == 200, sheet.text
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert rows[0][:8] == tuple(HEADINGS[:8])
    assert rows[0][7] == "得分 Score"
    mine_row = next(r for r in rows[1:] if r[3] == "t-worker")
    assert (mine_row[1], mine_row[2], mine_row[6], mine_row[7]) == (STREET, 1, G1, 63.3)


@pytest.mark.parametrize(
    ("who", "method", "path", "body", "status"),
    [
        ("t-worker", "get", "/field/score?month=2026-13", None, 422),
        ("t-worker", "get", "/field/score?month=2027-01", None, 422),  # not begun
        ("t-worker", "get", "/field/score?month=nov", None, 422),
        ("t-worker", "get", "/assessment/scores?month=2026-11", None, 403),
        ("t-department", "get", "/field/score?month=2026-11&worker=t-worker", None, 403),
        ("t-planner", "get", "/assessment/scores?month=2026-11", None, 403),
        ("t-party", "get", "/assessment/scores?month=2026-11&area=361002", None, 403),
        ("t-party", "put", f"/assessment/weights/{DISTRICT}", {"weights": {"found": 5}}, 403),
        ("t-county", "put", "/assessment/weights/361002", {"weights": {"found": 5}}, 403),
        ("t-county", "put", f"/assessment/weights/{DISTRICT}", {"weights": {"luck": 5}}, 422),
        ("t-county", "put", f"/assessment/weights/{DISTRICT}", {"weights": {"found": 101}}, 422),
    ],
)
def test_refused(
    december: Any,
    client_as: ClientAs,
    conn: Connection,
    who: str,
    method: str,
    path: str,
    body: Any,
    status: int,
) -> None:
    answer = getattr(client_as(who), method)(path, **({"json": body} if body else {}))
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert scalar(conn, "SELECT count(*) FROM assessment_weight") == 0


def test_the_table_and_the_code_know_the_same_measures() -> None:
    from gis.assessment import MEASURE_CODES
    from gis.infra.models.assessment import MEASURES

    assert MEASURE_CODES == MEASURES
