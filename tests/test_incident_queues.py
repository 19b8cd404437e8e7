"""Issue 14 item 9: every open incident waits in a queue — 待派遣 (reported), 待办 (dispatched,
signed, handled) and 待评价 (fed back, waiting for evaluation) — over the API and on the page."""

from __future__ import annotations

import datetime as dt

from tests.test_incidents import T0, TO_STATE, drive, report

OPEN = ("reported", "dispatched", "signed", "handled", "fed_back")


def _codes(client, stage: str) -> list[str]:
    answer = client.get(f"/incidents/queue?stage={stage}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["stage"] == stage and body["total"] == len(body["items"])
    return [item["code"] for item in body["items"]]


def test_each_open_incident_is_in_exactly_one_queue(client_as, conn) -> None:
    made = {}
    for k, state in enumerate((*OPEN, "evaluated", "fed_back")):
        code = report(conn, k % 9 + 1)
        drive(conn, code, *TO_STATE[state], start=T0 + dt.timedelta(days=k))
        made.setdefault(state, []).append(code)
    county = client_as("t-county")  # dispatches and evaluates in the tiny city
    queues = {stage: _codes(county, stage) for stage in ("dispatch", "handle", "evaluate")}
    for state, codes in made.items():
        for code in codes:
            holding = [stage for stage, got in queues.items() if code in got]
            assert len(holding) == (0 if state == "evaluated" else 1), (state, holding)
    # 待评价: what was fed back, the longest waiting first, with its state named in Chinese.
    assert queues["evaluate"] == made["fed_back"]
    item = county.get("/incidents/queue?stage=evaluate").json()["items"][0]
    assert item["state_name"].startswith("待评价") and item["fed_back_at"]
    assert county.get("/incidents/queue?stage=nope").status_code == 422


def test_refusals_and_missing_notes_speak_chinese_first(client_as, conn) -> None:
    code = report(conn, 1)
    drive(conn, code, *TO_STATE["signed"])
    dept = client_as("t-department")
    missing = dept.post(f"/incidents/{code}/transitions", json={"action": "handle"})
    assert missing.status_code == 422 and missing.json()["detail"].startswith("请填写处置说明")
    refused = dept.post(f"/incidents/{code}/transitions", json={"action": "sign"})
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert detail.startswith(f"事件 {code} 当前为「已签收") and "处置 Handle → 已处置" in detail
