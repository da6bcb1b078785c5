"""Schemathesis against the API's own OpenAPI schema, in process: no 5xx, and every answer is documented.

Each operation gets a bounded, derandomised set of generated requests, valid and invalid (the examples and
fuzzing phases; the coverage phase is left out, as it alone would more than double the run time), with an
admin token over a small seeded database: three orders (stopped, shipping, shipped), a shop, products,
mappings and stock. A request may be refused (400/401/403/404/409/422), but its status code and body must be
the ones the schema documents, and nothing may answer 500.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from tests.integration.test_api import clock as clock  # the near-real-time clock fixture
from tests.integration.test_api import seed_orders, seed_tokens

#: Requests per operation and phase; derandomised so a failure reproduces on every run.
MAX_EXAMPLES = 25

schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json",
    get_wsgi_application(),
    config=schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}}}),
)


@pytest.fixture
def admin_token(world, fakes, clock) -> str:
    seed_orders(fakes, clock)
    return seed_tokens()["admin"]


@pytest.fixture
def same_connection():
    """Keep the test's database connection across requests, as Django's own test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_honours_its_schema(case, admin_token, same_connection) -> None:
    response = case.call(headers={"Authorization": f"Bearer {admin_token}"})
    case.validate_response(response, checks=[not_a_server_error, status_code_conformance, response_schema_conformance])
