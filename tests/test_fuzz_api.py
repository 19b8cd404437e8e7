"""A property-based fuzz of the whole API from its OpenAPI document (schemathesis).

Every operation is called with generated requests — valid ones and, for a share, invalid ones —
in process against the ASGI app, inside the test's rolled-back transaction, as an administrator
(of the tiny city: every admin path, on data small enough for 25 examples) and as a field worker
(whose scope turns most codes into 403); the first few examples of each operation also as the
administrator of everything, so that every answer is checked on the sample city's real data too.
No answer may be a 5xx, and every answer must be one the document describes: a documented
status code, its media type, and a body matching its schema.
"""

from __future__ import annotations

from collections import Counter

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
#: path of this API (its 5xx finds came within the first examples) while the suite stays under
#: its time: 25 took about 9 of the suite's minutes once 150 operations had come.
EXAMPLES = 10
#: Of those, how many are also sent as the administrator of everything. Its answers cover the
#: whole sample city (exports of seconds each), and the first examples are the ones that reach
#: the data unfiltered.
CITY_EXAMPLES = 2
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


#: Examples sent so far, per operation.
SENT: Counter[tuple[str, str]] = Counter()


@pytest.fixture
def bearers(app, conn, users) -> dict[str, dict[str, str]]:
    """Authorization headers of the tiny city's administrator, a field worker and the
    administrator of everything, by user name."""
    headers = {}
    for username in ("t-admin", "t-worker", "root"):
        session = open_session(conn, get_user(conn, username), policy=app.state.policy)
        headers[username] = {"Authorization": f"Bearer {session.token}"}
    return headers


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure here is reproducible
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_within_its_schema(case, app, bearers: dict[str, dict[str, str]]) -> None:
    operation = (case.method.upper(), case.path)
    if operation in SKIP:
        pytest.skip("would end the session under test")
    SENT[operation] += 1
    users = ["t-admin", "t-worker"] + (["root"] if SENT[operation] <= CITY_EXAMPLES else [])
    for headers in (bearers[user] for user in users):
        # A generous read timeout: the whole-city exports are downloads of seconds, and a test
        # asserts what the answer is, never how fast it came (bench/ measures speed).
        response = case.call(app=app, headers=headers, timeout=120)
        case.validate_response(response, checks=CHECKS)
