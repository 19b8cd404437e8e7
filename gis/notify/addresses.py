"""Which addresses a message may go to: a plausible email, a webhook URL that is not private.

A webhook URL is fetched by the server, so one that points inside the server's network (the
loopback, a private range, link-local cloud metadata…) would let a user make the server call
there (SSRF). Such URLs are refused when the subscription is made (422 naming the address it
resolved to) and again when a message is delivered (the name may resolve elsewhere by then). A
test or an intranet deployment relaxes the rule with an allow-list of hosts
(``GRIDMAP_NOTIFY_WEBHOOK_ALLOW_HOSTS``) or, for tests only, ``…_ALLOW_PRIVATE``.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from gis.errors import Invalid

#: A plausible address: an ASCII local part (an SMTP server without SMTPUTF8 takes no other) and a
#: host name of dot-separated labels (what servers accept; not all that RFC 5322 allows).
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@" + _LABEL + r"(?:\." + _LABEL + r")+")
MAX_URL = 512


@dataclass(frozen=True)
class WebhookPolicy:
    """Hosts allowed even when they resolve to a private address, and whether any private
    address is allowed (tests and closed intranets only)."""

    allow_hosts: frozenset[str] = frozenset()
    allow_private: bool = False


def check_email(address: str) -> str:
    """The address, trimmed, or :class:`Invalid` saying it is not an email address."""
    value = address.strip()
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise Invalid("邮箱地址格式不正确 (not an email address)", field="address")
    return value


def _blocked(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return bool(
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def check_webhook(url: str, policy: WebhookPolicy) -> str:
    """``url`` if it is an http(s) URL whose host resolves only to public addresses (or is
    allowed by ``policy``); else :class:`Invalid` naming what is wrong."""
    value = url.strip()
    parts = urlsplit(value)
    if len(value) > MAX_URL or parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(
            f"Webhook 地址须为 http(s) URL，最长 {MAX_URL} 字符 (a webhook is an http(s) URL of "
            f"at most {MAX_URL} characters)",
            field="address",
        )
    if parts.username or parts.password:
        raise Invalid("Webhook 地址不能包含用户名或密码 (no credentials in a webhook URL)")
    host = parts.hostname.lower()
    if host in policy.allow_hosts or policy.allow_private:
        return value
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as error:
        raise Invalid(
            f"无法解析 Webhook 主机 {host} (the webhook host {host} does not resolve)",
            field="address",
        ) from error
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if _blocked(ip):
            raise Invalid(
                f"Webhook 地址 {host} 指向内网或本机地址 {ip}，不允许 (the webhook host {host} "
                f"resolves to the private/loopback address {ip}: refused)",
                field="address",
                host=host,
                resolved=str(ip),
            )
    return value
