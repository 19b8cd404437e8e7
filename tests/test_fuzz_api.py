"""A property-based fuzz of the whole API from its OpenAPI document (schemathesis).

Every operation is called with generated requests — valid ones and, for a share, invalid ones —
in process against the ASGI app, inside the test's rolled-back transaction, as the
administrator of everything and as a field worker (whose scope turns most codes into 403).
No answer may be a 5xx, and every answer must be one the document describes: a documented
status code, its media type, and a body matching its schema.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from gis.accounts import get_user, open_session
from gis.infra.settings import load_settings
from tests.conftest import TEST_SECRET

#: Examples per operation (each sent as both users): enough to reach every parameter and error
#: path of this API while the whole suite stays quick.
EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Logging out or changing the password would end the session the rest of the run uses.
SKIP = {("POST", "/auth/logout"), ("POST", "/auth/password")}

# The document only: building the app opens no database (that happens in its lifespan, and the
# calls below go to the test's app, which shares the test's transaction).
schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    create_app(load_settings(secret_key=TEST_SECRET, database_url="postgresql://unused/none")),
)


@pytest.fixture
def bearers(app, conn, users) -> list[dict[str, str]]:
    """Authorization headers of the administrator of everything and of a field worker."""
    headers = []
    for username in ("root", "t-worker"):
        session = open_session(conn, get_user(conn, username), policy=app.state.policy)
        headers.append({"Authorization": f"Bearer {session.token}"})
    return headers


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure here is reproducible
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_within_its_schema(case, app, bearers: list[dict[str, str]]) -> None:
    if (case.method.upper(), case.path) in SKIP:
        pytest.skip("would end the session under test")
    for headers in bearers:
        # A generous read timeout: the whole-city exports are downloads of seconds, and a test
        # asserts what the answer is, never how fast it came (bench/ measures speed).
        response = case.call(app=app, headers=headers, timeout=120)
        case.validate_response(response, checks=CHECKS)
