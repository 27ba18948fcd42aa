"""Property-based API test: whatever schemathesis sends, the answer is never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from nightwatch_notify.main import create_app
from nightwatch_notify.settings import NotifySettings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import response_schema_conformance

# The OpenAPI document does not depend on settings or the database: build it at collection.
schema = schemathesis.openapi.from_dict(create_app(NotifySettings()).openapi())


@pytest.fixture(scope="module")
def notify_client(database_url: str) -> Iterator[Any]:
    """schemathesis' in-process client; the app's lifespan runs once for the whole module."""
    # Every channel configured (receivers unreachable, worker off: nothing is sent).
    settings = NotifySettings(
        database_url=database_url,
        access_log=False,
        notify_worker_enabled=False,
        webhook_secret="fuzz-secret",
        smtp_host="127.0.0.1",
        smtp_port=9,
        slack_webhook_url="http://127.0.0.1:9/slack",
    )
    with asgi.get_client(create_app(settings)) as client:
        yield client
    asgi.shutdown_lifespans()


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_server_errors(case: Any, notify_client: Any) -> None:
    response = case.call(session=notify_client)
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
