"""Open311 client apps: who may post service requests, and who reads them.

**Authentication.** A POST carries ``api_key``: a key given to one client app by an administrator
(``gridmap incidents open311-client add NAME``). Only its SHA-256 is stored (a 256-bit random key
needs no slow hash); the key is shown once. A client may have an admin-code scope (e.g. a
district's hotline) and then reports and reads only there. Its writes are audited under
``open311:<name>``. Reads are public, as the standard has them (``GRIDMAP_OPEN311_PUBLIC_READS``,
on by default): without a key they see the whole city, never a reporter's name or phone; with a
key, the client's scope. A key that is given must be valid, read or write.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis import audit
from gis.access import Access
from gis.accounts import Permission
from gis.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from gis.scope import Scope

KEY_PREFIX = "o311_"
NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")


@dataclass(frozen=True)
class Client:
    id: int
    name: str
    scope_code: str

    @property
    def actor(self) -> str:
        return f"open311:{self.name}"

    @property
    def scope(self) -> Scope:
        return scope_of_code(self.scope_code)

    @property
    def access(self) -> Access:
        """What the client's requests may do: report and read within its scope, as itself."""
        return Access.system(self.actor, scope=self.scope)


def scope_of_code(code: str) -> Scope:
    levels = {0: "city", 2: "city", 4: "city", 6: "district", 9: "street", 12: "community"}
    if not code.isdigit() and code or len(code) not in levels:
        raise Invalid(
            f"范围代码须为城市代码前缀或区县/街道/社区代码：{code!r} ("
            f"a scope code is a city prefix or a district/street/community code: {code!r})"
        )
    return Scope(levels[len(code)], code)  # type: ignore[arg-type]


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def add_client(
    conn: Connection, name: str, scope_code: str, *, access: Access
) -> tuple[Client, str]:
    """Register a client app; returns it and its API key (shown once, stored as a digest).

    ``scope_code`` (``''``: the whole city) must lie inside the scope of ``access``.
    """
    access.require(Permission.MANAGE_USERS)
    name = name.strip().lower()
    if not NAME_RE.fullmatch(name):
        raise Invalid(
            f"客户端名称 {name!r} 须为 2–64 个 a-z、0-9、'.'、'_'、'-'"
            " 字符 ("
            f"client name {name!r}: 2–64 of a-z, 0-9, '.', '_', '-')",
            name=name,
        )
    within = scope_of_code(scope_code)
    if not access.scope.contains(within):
        raise Forbidden(
            f"超出权限范围 (scope {within} is outside your own, {access.scope})",
            scope=str(within),
        )
    if conn.execute(text("SELECT 1 FROM open311_client WHERE name = :n"), {"n": name}).first():
        raise Conflict(
            f"名为 {name!r} 的 Open311 客户端已存在 ("
            f"an Open311 client named {name!r} exists already)",
            name=name,
        )
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    client_id = conn.execute(
        text(
            "INSERT INTO open311_client (name, key_digest, scope_code) VALUES (:n, :d, :s) "
            "RETURNING id"
        ),
        {"n": name, "d": _digest(key), "s": scope_code},
    ).scalar_one()
    audit.record(
        conn,
        access.actor,
        "open311.client_add",
        "open311_client",
        name,
        None,
        {"scope": scope_code},
    )
    return Client(client_id, name, scope_code), key


def revoke_client(conn: Connection, name: str, *, access: Access) -> None:
    access.require(Permission.MANAGE_USERS)
    done = conn.execute(
        text("UPDATE open311_client SET active = false WHERE name = :n AND active"), {"n": name}
    ).rowcount
    if not done:
        raise NotFound(
            f"没有名为 {name!r} 的有效 Open311 客户端 (no active Open311 client named {name!r})",
            name=name,
        )
    audit.record(conn, access.actor, "open311.client_revoke", "open311_client", name)


def list_clients(conn: Connection, *, access: Access) -> list[dict[str, Any]]:
    access.require(Permission.MANAGE_USERS)
    rows = conn.execute(
        text("SELECT name, scope_code, active, created_at FROM open311_client ORDER BY name")
    ).mappings()
    return [dict(r) for r in rows]


#: Who reads without a key when reads are public: the whole city, read only.
PUBLIC_READER = Client(0, "public", "")


def reader(conn: Connection, key: str | None, *, public_reads: bool) -> Client:
    """Who a read is for: the client of a given key (a wrong key is refused, never read as
    public), else the public when reads are public, else :class:`Unauthorized`."""
    if key or not public_reads:
        return authenticate_client(conn, key)
    return PUBLIC_READER


def authenticate_client(conn: Connection, key: str | None) -> Client:
    """The client an API key belongs to; :class:`Unauthorized` for a missing or unknown key."""
    if not key:
        raise Unauthorized(
            "缺少 api_key：请向 Gridmap 管理员申请客户端密钥 ("
            "api_key is required: ask the Gridmap administrator for a client key)"
        )
    if len(key) > 128 or not key.startswith(KEY_PREFIX):
        raise Unauthorized("api_key 无效 (api_key is not valid)")
    row = conn.execute(
        text("SELECT id, name, scope_code, active FROM open311_client WHERE key_digest = :d"),
        {"d": _digest(key)},
    ).first()
    if row is None or not row.active:
        raise Unauthorized(
            "api_key 无效（未知或已吊销） (api_key is not valid (unknown or revoked))"
        )
    return Client(row.id, row.name, row.scope_code)
