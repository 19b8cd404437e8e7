"""Every JSON route says what it answers: a 2xx response whose schema names its members.

A route that returns ``dict[str, Any]`` shows up in the OpenAPI document as ``{"type": "object",
"additionalProperties": true}``, and one that sends a ``Response`` as no schema at all: the
schemathesis fuzz (tests/test_fuzz_api.py) then checks nothing of its answers, and a client
cannot tell what comes back. This test lists such routes (convention 15 in DESIGN.md).

Left out: file downloads (CSV, XLSX, GeoPackage, photos: no JSON to describe), answers without a
body (204), and the OGC API and tile routes, which follow their own specifications.
"""

from __future__ import annotations

from typing import Any

import pytest

from api.app import create_app
from gis.infra.settings import load_settings
from tests.conftest import TEST_SECRET

JSON_TYPES = ("application/json", "application/geo+json")
#: Routes that follow another specification than ours.
OWN_SPECIFICATION = ("/ogc", "/tiles")
#: Downloads whose formats include GeoJSON as a file, not as an answer to read.
DOWNLOADS = {("get", "/layers/{layer}/export")}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The app's OpenAPI document (building the app opens no database)."""
    settings = load_settings(secret_key=TEST_SECRET, database_url="postgresql://unused/none")
    return create_app(settings).openapi()


def resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.removeprefix("#/components/schemas/")
        return resolve(document["components"]["schemas"][name], document)
    return schema


def described(schema: dict[str, Any] | None, document: dict[str, Any]) -> bool:
    """True when a schema says what the answer holds: an object with named members, a list of
    described items, or a scalar type; not an empty schema or a bag of anything."""
    if not schema:
        return False
    schema = resolve(schema, document)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if resolve(s, document).get("type") != "null"]
            return bool(options) and all(described(s, document) for s in options)
    if "allOf" in schema:
        return any(described(s, document) for s in schema["allOf"])
    kind = schema.get("type")
    if kind == "array":
        return described(schema.get("items"), document)
    if kind == "object" or "properties" in schema:
        return bool(schema.get("properties"))
    return kind is not None or "const" in schema or "enum" in schema


def json_operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """The operations that answer JSON with a body: (method, path, their 2xx responses)."""
    found = []
    for path, item in document["paths"].items():
        if path.startswith(OWN_SPECIFICATION):
            continue
        for method, operation in item.items():
            if (method, path) in DOWNLOADS:
                continue
            ok = {c: r for c, r in operation["responses"].items() if c.startswith("2")}
            contents = [r.get("content") or {} for r in ok.values()]
            if not any(contents):
                continue  # 204: no body to describe
            if not any(t in JSON_TYPES for content in contents for t in content):
                continue  # a file (CSV, XLSX, a photo)
            found.append((method, path, ok))
    return found


def test_every_json_route_declares_its_answer(document: dict[str, Any]) -> None:
    offenders = []
    operations = json_operations(document)
    for method, path, responses in operations:
        schemas = [
            media.get("schema")
            for response in responses.values()
            for media_type, media in (response.get("content") or {}).items()
            if media_type in JSON_TYPES
        ]
        if not any(described(s, document) for s in schemas):
            offenders.append(f"{method.upper()} {path}")
    assert not offenders, "routes whose answer has no described schema:\n" + "\n".join(offenders)
    assert len(operations) >= 60, "the document lost its routes"


def test_a_bag_of_anything_is_not_a_description(document: dict[str, Any]) -> None:
    """The test above would catch ``-> dict[str, Any]`` and a bare ``Response``."""
    assert not described({"type": "object", "additionalProperties": True}, document)
    assert not described({}, document)
    assert not described({"type": "array", "items": {}}, document)
    assert described({"$ref": "#/components/schemas/LayerOut"}, document)
    assert described(
        {"type": "array", "items": {"$ref": "#/components/schemas/LayerOut"}}, document
    )
