"""Every error a user can cause reads Chinese first (DESIGN.md convention 16).

A county office worker reads the ``detail`` of a problem+json answer on a page and the CLI's
error line; both are the message a :class:`~gis.errors.GridmapError` was raised with. The scan
below reads the source: every ``raise <GridmapError subclass>("…")`` with a literal or f-string
message in gis/, api/ and the CLI must hold Chinese, and before any English prose (a Chinese
word in an English example does not count), so a new English-only message fails here with its
file and line. Then two answers over HTTP show what the user actually gets.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from tests.conftest import ClientAs
from tests.tiny_city import unit_code

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gis", "api", "gridmap_cli")
#: Generated migrations.
SKIPPED = ("gis/infra/migrations/",)
HAN = re.compile(r"[\u4e00-\u9fff]")
#: Two English words in a row: prose, which must not come before the Chinese.
ENGLISH_PROSE = re.compile(r"[A-Za-z]{3,}\s+[A-Za-z]{2,}")
PROBLEM = "application/problem+json"


def _sources() -> dict[str, ast.Module]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if not name.startswith(SKIPPED):
                found[name] = ast.parse(path.read_text(encoding="utf-8"), name)
    return found


def _error_classes(trees: dict[str, ast.Module]) -> set[str]:
    """GridmapError and every class that derives from it, by name, wherever it is defined."""
    names = {"GridmapError"}
    grew = True
    while grew:
        grew = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names:
                    bases = {
                        b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")
                        for b in node.bases
                    }
                    if bases & names:
                        names.add(node.name)
                        grew = True
    return names


def _literal_text(node: ast.expr) -> str | None:
    """The constant text of a message written in the source; None for a computed message."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp):
        parts = [_literal_text(node.left), _literal_text(node.right)]
        if all(p is None for p in parts):
            return None
        return "".join(p or "" for p in parts)
    return None


def english_only_errors() -> list[str]:
    trees = _sources()
    errors = _error_classes(trees)
    offenders = []
    for name, tree in trees.items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            func = node.exc.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if called not in errors or not node.exc.args:
                continue
            message = _literal_text(node.exc.args[0])
            chinese = HAN.search(message) if message is not None else None
            if message is None or (
                chinese and not ENGLISH_PROSE.search(message[: chinese.start()])
            ):
                continue
            offenders.append(f"{name}:{node.lineno}: {called}({message[:60]!r}…)")
    return offenders


def test_the_scan_sees_the_error_family() -> None:
    trees = _sources()
    assert {"NotFound", "Conflict", "BadQuery", "StaleVersion", "ImportRejected"} <= _error_classes(
        trees
    )
    # The rule has something to check: hundreds of raises with a written message.
    raised = sum(
        isinstance(n, ast.Raise) and isinstance(n.exc, ast.Call) and bool(n.exc.args)
        for tree in trees.values()
        for n in ast.walk(tree)
    )
    assert raised > 300


def test_every_domain_error_message_has_chinese() -> None:
    offenders = english_only_errors()
    assert not offenders, "Error messages without Chinese first:\n" + "\n".join(offenders)


def test_an_unknown_layer_answers_404_in_chinese_first(client: TestClient) -> None:
    r = client.get("/layers/no-such-layer")
    assert r.status_code == 404
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["detail"].startswith("没有代码为 'no-such-layer' 的网格图层")
    assert "(no grid layer with code 'no-such-layer')" in body["detail"]
    assert body["title"] == "未找到 Not found"


def test_a_stale_edit_answers_409_in_chinese_first(client_as: ClientAs, conn: Connection) -> None:
    version = conn.execute(
        text("SELECT version FROM grid_layer WHERE code = 'unified'")
    ).scalar_one()
    planner = client_as("t-planner")
    r = planner.post(
        "/layers/unified/edits",
        json={"units": [unit_code(1)], "to": "new", "version": version + 5},
    )
    assert r.status_code == 409
    body = r.json()
    assert body["title"] == "图层版本已过期 Stale layer version"
    assert HAN.match(body["detail"]), body["detail"]
    assert f"is at version {version}, not {version + 5}" in body["detail"]
    after = conn.execute(text("SELECT version FROM grid_layer WHERE code = 'unified'")).scalar_one()
    assert after == version


def test_an_unknown_path_answers_in_chinese_first(client: TestClient) -> None:
    body = client.get("/no/such/path").json()
    assert body["title"] == "未找到 Not found"
    assert body["detail"] == "此地址没有资源 (no resource at /no/such/path)"
