"""Issue 23: telling people. Subscriptions in one's scope, the outbox written with the state
change, and the worker delivering to a real local SMTP server (aiosmtpd) and a real local
webhook receiver: retried with backoff when a channel is down, never sent twice, no address in
the logs, and a channel that is down never holds up a state change.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, text

from gis.access import Access
from gis.accounts import get_user
from gis.infra.settings import NotifySettings
from gis.notify.addresses import WebhookPolicy
from gis.notify.channels import SmtpChannel, WebhookChannel
from gis.notify.subscriptions import subscribe
from gis.notify.worker import RetryPolicy, claim, deliver_once
from tests.conftest import share_connection
from tests.test_incidents import G1, G3, drive, report
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B

LATER = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """An aiosmtpd handler keeping what it was given."""

    def __init__(self) -> None:
        self.mails: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802, ARG002 - aiosmtpd's
        self.mails.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def subjects(self) -> list[str]:
        return [
            str(make_header(decode_header(message_from_bytes(m)["Subject"]))) for _, m in self.mails
        ]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class Hooks(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], dict[str, object]]] = []
    answer = 200

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hooks.received.append((dict(self.headers), json.loads(body)))
        self.send_response(Hooks.answer)
        if 300 <= Hooks.answer < 400:  # somewhere else on the same server
            self.send_header("Location", "/elsewhere")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hooks() -> Iterator[str]:
    Hooks.received, Hooks.answer = [], 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def committed(engine: Engine) -> Iterator[Engine]:
    """The worker reads committed rows: the test commits its incidents, and they (with their
    outbox rows) and its subscriptions are removed after."""
    with engine.begin() as conn:
        first = conn.execute(text("SELECT coalesce(max(id), 0) FROM incident")).scalar_one()
    yield engine
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM incident_subscription"))
        conn.execute(text("DELETE FROM incident WHERE id > :id"), {"id": first})
        conn.execute(text("DELETE FROM notification_outbox"))


def _status(engine: Engine) -> list[tuple[str, int, str | None]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text("SELECT status, attempts, last_error FROM notification_outbox ORDER BY id")
            )
        ]


# ----------------------------------------------------------------------------- subscriptions


def test_subscriptions_stay_in_scope_and_refuse_private_webhooks(client_as, conn) -> None:
    worker = client_as("t-worker")  # a field worker of G1
    made = worker.post(
        "/subscriptions",
        json={"target": "grid", "code": G1, "channel": "email", "address": "me@example.org"},
    )
    assert made.status_code == 201, made.text
    assert made.json()["code"] == G1 and made.json()["target"] == "grid"
    assert [s["id"] for s in worker.get("/subscriptions").json()] == [made.json()["id"]]

    def refused(body: dict[str, str], status: int, naming: str, who: str = "t-worker") -> None:
        answer = client_as(who).post("/subscriptions", json=body)
        assert answer.status_code == status, answer.text
        assert naming in answer.json()["detail"], answer.json()

    email = {"channel": "email", "address": "me@example.org"}
    refused({"target": "grid", "code": G3} | email, 403, G3)  # another grid
    refused({"target": "community", "code": COMMUNITY_A} | email, 403, COMMUNITY_A)
    refused({"target": "grid", "code": "369901009009009"} | email, 404, "369901009009009")
    refused({"target": "grid", "code": G1, "channel": "email", "address": "not-an-email"}, 422,
            "邮箱")  # fmt: skip
    refused({"target": "grid", "code": G1} | email, 409, "相同的订阅")
    for url, ip in (("http://127.0.0.1:9/x", "127.0.0.1"), ("http://10.1.2.3/x", "10.1.2.3"),
                    ("http://[::1]/x", "::1"), ("http://localhost/x", "127.0.0.1")):  # fmt: skip
        refused({"target": "community", "code": COMMUNITY_B, "channel": "webhook", "address": url},
                422, ip, who="t-county")  # fmt: skip
    refused({"target": "community", "code": COMMUNITY_B, "channel": "webhook",
             "address": "ftp://example.org/x"}, 422, "http(s)", who="t-county")  # fmt: skip
    county = client_as("t-county").get("/subscriptions").json()
    assert county == [] and len(worker.get("/subscriptions").json()) == 1
    assert worker.delete(f"/subscriptions/{made.json()['id']}").status_code == 204
    assert worker.delete(f"/subscriptions/{made.json()['id']}").status_code == 404


def test_an_allow_listed_intranet_webhook_is_accepted(settings, conn, users) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from gis.accounts import open_session

    relaxed = settings.model_copy(
        update={"notify": NotifySettings(webhook_allow_hosts="sms-gateway.county.internal")}
    )
    app = share_connection(create_app(relaxed), conn)
    session = open_session(conn, get_user(conn, "t-county"), policy=app.state.policy)
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {session.token}"
        body = {"target": "community", "code": COMMUNITY_B, "channel": "webhook"}
        ok = client.post(
            "/subscriptions", json=body | {"address": "http://sms-gateway.county.internal/send"}
        )
        assert ok.status_code == 201, ok.text
        still = client.post("/subscriptions", json=body | {"address": "http://127.0.0.1/send"})
        assert still.status_code == 422


def test_a_state_change_queues_one_message_per_person_who_cares(conn) -> None:
    county = Access.of(get_user(conn, "t-county"))
    worker = Access.of(get_user(conn, "t-worker"))
    policy = WebhookPolicy(allow_private=True)
    subscribe(conn, target="grid", code=G1, channel="email", address="w@example.org",
              policy=policy, access=worker)  # fmt: skip
    subscribe(conn, target="community", code=COMMUNITY_A, channel="webhook",
              address="http://127.0.0.1:1/hook", policy=policy, access=county)  # fmt: skip
    code = report(conn, 1, reporter_email="resident@example.org")
    elsewhere = report(conn, 3, reporter_email="other@example.org")  # G3, community B
    drive(conn, code, "dispatch")
    drive(conn, elsewhere, "dispatch")
    rows = conn.execute(
        text(
            "SELECT i.code, o.channel, o.address, o.payload FROM notification_outbox o "
            "JOIN incident i ON i.id = o.incident_id WHERE i.code = ANY(:c) ORDER BY o.address"
        ),
        {"c": [code, elsewhere]},
    ).all()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (code, "webhook", "http://127.0.0.1:1/hook"),
        (elsewhere, "email", "other@example.org"),
        (code, "email", "resident@example.org"),
        (code, "email", "w@example.org"),
    ]
    payload = rows[0][3]
    assert payload["incident"] == code and payload["state"] == "dispatched"
    assert payload["action"] == "dispatch" and payload["event"] == "state"
    assert "resident@example.org" not in json.dumps(payload)


# ----------------------------------------------------------------------------- delivery


def _commit_incident(engine: Engine, email: str) -> str:
    with engine.begin() as conn:
        code = report(conn, 1, reporter_email=email)
        drive(conn, code, "dispatch", "sign")
    return code


def test_the_worker_delivers_by_smtp_once_and_only_once(committed, smtp) -> None:
    inbox, port = smtp
    code = _commit_incident(committed, "resident@example.org")
    channels = {"email": SmtpChannel("127.0.0.1", port, "gridmap@county.example")}
    done = deliver_once(committed, channels)
    assert (done.claimed, done.sent, done.retried, done.failed) == (2, 2, 0, 0)
    assert [rcpt for rcpt, _ in inbox.mails] == [["resident@example.org"]] * 2
    subjects = inbox.subjects()
    assert all(code in s for s in subjects)
    assert any("已派遣" in s for s in subjects) and any("已签收" in s for s in subjects)
    body = message_from_bytes(inbox.mails[1][1]).get_payload(decode=True).decode()
    assert code in body and "已签收" in body or "signed" in body
    assert [s for s, _, _ in _status(committed)] == ["sent", "sent"]
    # Run again, and again: nothing is sent twice.
    assert deliver_once(committed, channels).claimed == 0
    assert deliver_once(committed, channels, now=LATER).claimed == 0
    assert len(inbox.mails) == 2


def test_a_channel_down_is_retried_with_backoff_and_logs_no_address(
    committed, smtp, caplog
) -> None:
    inbox, port = smtp
    closed = _free_port()  # nothing listens there
    _commit_incident(committed, "private.person@example.org")
    down = {"email": SmtpChannel("127.0.0.1", closed, "gridmap@county.example")}
    retry = RetryPolicy(max_attempts=3, backoff_seconds=60)
    with caplog.at_level(logging.DEBUG):
        first = deliver_once(committed, down, retry=retry)
    assert (first.sent, first.retried) == (0, 2)
    assert [(s, a) for s, a, _ in _status(committed)] == [("pending", 1), ("pending", 1)]
    assert "private.person" not in caplog.text and "example.org" not in caplog.text
    # Not before the backoff is over …
    assert deliver_once(committed, down, retry=retry).claimed == 0
    # … then again; the third failure gives up.
    deliver_once(committed, down, retry=retry, now=LATER)
    deliver_once(committed, down, retry=retry, now=LATER + dt.timedelta(days=1))
    assert [(s, a) for s, a, _ in _status(committed)] == [("failed", 3), ("failed", 3)]
    assert all("connect" in (e or "") for _, _, e in _status(committed))
    assert inbox.mails == []


def test_a_message_claimed_by_a_worker_that_died_is_never_sent_again(committed, smtp) -> None:
    inbox, port = smtp
    _commit_incident(committed, "resident@example.org")
    taken = claim(committed, ["email"], 1, dt.datetime.now(dt.UTC))  # then the worker dies
    assert len(taken) == 1
    channels = {"email": SmtpChannel("127.0.0.1", port, "gridmap@county.example")}
    done = deliver_once(committed, channels, now=LATER)
    assert done.claimed == 1 and len(inbox.mails) == 1
    assert sorted(s for s, _, _ in _status(committed)) == ["sending", "sent"]


def test_webhooks_carry_json_and_an_idempotency_key(committed, hooks, engine) -> None:
    with committed.begin() as conn:
        county = Access.of(get_user(conn, "t-county"))
        subscribe(conn, target="community", code=COMMUNITY_A, channel="webhook", address=hooks,
                  policy=WebhookPolicy(allow_private=True), access=county)  # fmt: skip
    code = _commit_incident(committed, "")
    relaxed = {"webhook": WebhookChannel(WebhookPolicy(allow_private=True))}
    Hooks.answer = 503
    assert deliver_once(committed, relaxed).retried == 2
    Hooks.answer = 200
    assert deliver_once(committed, relaxed, now=LATER).sent == 2
    payloads = [p for _, p in Hooks.received[-2:]]
    assert [p["state"] for p in payloads] == ["dispatched", "signed"]
    assert all(p["incident"] == code for p in payloads)
    keys = [h["Idempotency-Key"] for h, _ in Hooks.received]
    assert len(set(keys)) == 2 and all(k.startswith("gridmap-outbox-") for k in keys)
    # Delivered with the default policy, a loopback URL is refused at delivery too.
    with committed.begin() as conn:
        drive(conn, code, "handle", start=dt.datetime.now(dt.UTC))
    strict = {"webhook": WebhookChannel(WebhookPolicy())}
    assert deliver_once(committed, strict, now=LATER).failed == 1
    assert len(Hooks.received) == 4


def test_a_webhook_redirect_is_not_followed(committed, hooks) -> None:
    """A redirect could lead to an address the URL check never saw: a failure, not followed."""
    with committed.begin() as conn:
        county = Access.of(get_user(conn, "t-county"))
        subscribe(conn, target="community", code=COMMUNITY_A, channel="webhook", address=hooks,
                  policy=WebhookPolicy(allow_private=True), access=county)  # fmt: skip
    _commit_incident(committed, "")
    Hooks.answer = 307
    relaxed = {"webhook": WebhookChannel(WebhookPolicy(allow_private=True))}
    assert deliver_once(committed, relaxed).failed == 2
    assert len(Hooks.received) == 2  # the two POSTs, and no second one to /elsewhere
    assert [e for _, _, e in _status(committed)] == ["http 307", "http 307"]


def test_a_state_change_goes_through_with_every_channel_down(committed) -> None:
    """Delivery is another process's business: the move commits, its messages wait."""
    code = _commit_incident(committed, "resident@example.org")
    with committed.connect() as conn:
        state = conn.execute(
            text("SELECT state FROM incident WHERE code = :c"), {"c": code}
        ).scalar_one()
    assert state == "signed"
    assert [s for s, _, _ in _status(committed)] == ["pending", "pending"]


def test_gridmap_notify_run_once_and_status(committed, smtp, pg_url, tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from gridmap_cli.main import app

    inbox, port = smtp
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", pg_url)
    monkeypatch.setenv("GRIDMAP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GRIDMAP_NOTIFY_SMTP_PORT", str(port))
    _commit_incident(committed, "resident@example.org")
    cli = CliRunner()
    ran = cli.invoke(app, ["notify", "run", "--once"])
    assert ran.exit_code == 0, ran.output
    assert "claimed 2, sent 2" in ran.output and len(inbox.mails) == 2
    status = cli.invoke(app, ["notify", "status"])
    assert status.exit_code == 0 and "pending 0" in status.output and "sent 2" in status.output
    assert "resident@example.org" not in ran.output + status.output
