"""Channels that deliver a message: email over SMTP (stdlib smtplib) and webhooks (JSON POST).

A channel sends a batch of claimed messages and says, for each, whether it was handed over
(``sent``), refused before anything was handed over (``retry``: the worker tries again later),
or ``failed``: refused for good, or failed in a way that leaves it unknown whether it arrived —
never retried, so a message is never sent twice. Errors are described by kind and status code
only: an SMTP error text may quote the recipient's address, and addresses never go into logs.

Webhooks carry ``Idempotency-Key: gridmap-outbox-<id>`` and an email its ``Message-ID``, so a
receiver can tell a message it has seen. SMS gateways and WeChat template messages sit behind a
webhook (the gateway is the county's own service).
"""

from __future__ import annotations

import json
import smtplib
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Literal, Protocol

from gis.errors import Invalid
from gis.notify.addresses import WebhookPolicy, check_webhook

Outcome = Literal["sent", "retry", "failed"]


@dataclass(frozen=True)
class Message:
    """A claimed outbox row."""

    id: int
    channel: str
    address: str
    subject: str
    payload: dict[str, Any]
    attempts: int


@dataclass
class Result:
    outcome: Outcome
    error: str = ""
    # The connection itself is in doubt (SMTP): the rest of the batch waits for the next one.
    broken: bool = False


class Channel(Protocol):
    """Delivers messages of one channel; ``send`` answers one :class:`Result` per message."""

    def send(self, messages: list[Message]) -> dict[int, Result]: ...


def body_text(message: Message) -> str:
    """The plain text of a message (Chinese first), from its payload."""
    p = message.payload
    lines = [message.subject, ""]
    lines.append(f"事件编号 Incident: {p.get('incident')}")
    if p.get("primary") and p.get("primary") != p.get("incident"):
        lines.append(f"已并入 Merged into: {p['primary']}（随其一起处置 handled with it）")
    lines.append(f"类别 Category: {p.get('category')}")
    lines.append(f"当前状态 State: {p.get('state')}")
    if p.get("note"):
        lines.append(f"说明 Note: {p['note']}")
    lines += ["", f"时间 At: {p.get('at')}", "", "此邮件由网格化管理系统自动发送，请勿回复。"]
    return "\n".join(lines)


@dataclass
class SmtpChannel:
    """Email over one SMTP connection per batch (STARTTLS and login if configured)."""

    host: str
    port: int
    sender: str
    starttls: bool = False
    username: str = ""
    password: str = ""
    timeout: float = 10.0

    def _open(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.starttls:
            smtp.starttls()
        if self.username:
            smtp.login(self.username, self.password)
        return smtp

    def send(self, messages: list[Message]) -> dict[int, Result]:
        results: dict[int, Result] = {}
        try:
            smtp = self._open()
        except (OSError, smtplib.SMTPException) as error:
            # Nothing was handed over: every message may be tried again.
            return {m.id: Result("retry", f"connect: {type(error).__name__}") for m in messages}
        try:
            for message in messages:
                results[message.id] = self._one(smtp, message)
                if results[message.id].broken:
                    break  # the connection is in doubt: the rest wait for the next batch
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
        for message in messages:
            results.setdefault(message.id, Result("retry", "connection lost before sending"))
        return results

    def _one(self, smtp: smtplib.SMTP, message: Message) -> Result:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.address
        mail["Subject"] = message.subject
        mail["Message-ID"] = f"<gridmap-outbox-{message.id}@{self.sender.rpartition('@')[2]}>"
        mail.set_content(body_text(message))
        try:
            refused = smtp.send_message(mail)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as error:
            code = getattr(error, "smtp_code", None) or ""
            return Result("retry", f"refused {type(error).__name__} {code}".strip())
        except smtplib.SMTPDataError as error:
            return Result("retry", f"data refused {error.smtp_code}")
        except smtplib.SMTPServerDisconnected as error:
            return Result("failed", f"during send: {type(error).__name__}", broken=True)
        except smtplib.SMTPException as error:  # (an OSError too: caught before the next)
            return Result("failed", f"refused: {type(error).__name__}")
        except OSError as error:  # the connection broke mid-message: it may have arrived
            return Result("failed", f"during send: {type(error).__name__}", broken=True)
        if refused:
            return Result("retry", "recipient refused")
        return Result("sent")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is not followed: it could lead to a private address the URL check never saw
    (the 3xx answer is then a failure, not retried)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:  # noqa: ARG002
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


@dataclass
class WebhookChannel:
    """POST the payload as JSON; a 2xx answer is delivered, 429/5xx or no connection is tried
    again, any other answer (the receiver says the message is wrong) is not."""

    policy: WebhookPolicy = field(default_factory=WebhookPolicy)
    timeout: float = 5.0

    def send(self, messages: list[Message]) -> dict[int, Result]:
        return {m.id: self._one(m) for m in messages}

    def _one(self, message: Message) -> Result:
        try:
            url = check_webhook(message.address, self.policy)  # it may resolve elsewhere now
        except Invalid:
            return Result("failed", "address refused at delivery (private or unresolvable)")
        body = json.dumps(
            message.payload | {"subject": message.subject, "id": message.id}, ensure_ascii=False
        ).encode()
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Idempotency-Key": f"gridmap-outbox-{message.id}",
                "User-Agent": "gridmap-notify",
            },
        )
        try:
            with _OPENER.open(request, timeout=self.timeout) as answer:
                answer.read(1024)
                return Result("sent")
        except urllib.error.HTTPError as error:
            if error.code == 429 or error.code >= 500:
                return Result("retry", f"http {error.code}")
            return Result("failed", f"http {error.code}")
        except urllib.error.URLError as error:
            if isinstance(error.reason, ConnectionRefusedError | socket.gaierror):
                return Result("retry", f"connect: {type(error.reason).__name__}")
            return Result("failed", f"url error: {type(error.reason).__name__}")
        except (TimeoutError, OSError) as error:
            return Result("failed", f"during send: {type(error).__name__}")
