"""Schemathesis over the whole on-call service's OpenAPI: whatever it sends, never a 5xx."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from nightwatch_core.testing.databases import create_database, drop_database
from nightwatch_oncall.main import create_app
from nightwatch_oncall.settings import OncallSettings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import response_schema_conformance

# The OpenAPI document does not depend on settings or the database: build it at collection.
schema = schemathesis.openapi.from_dict(create_app(OncallSettings()).openapi())


@pytest.fixture(scope="module")
def fuzz_database_url(pg_server_url: str, repo_root: Path) -> Iterator[str]:
    """A database of its own: what the fuzzer creates is committed, and must not leak into the
    other tests' shared database."""
    url = asyncio.run(create_database(pg_server_url, repo_root=repo_root, prefix="nw_fuzz"))
    yield url
    asyncio.run(drop_database(pg_server_url, url))


@pytest.fixture(scope="module")
def oncall_client(fuzz_database_url: str) -> Iterator[Any]:
    """schemathesis' in-process client; the app's lifespan runs once for the whole module."""
    # Workers off and neighbours unreachable (port 9 on loopback refuses): nothing is paged.
    settings = OncallSettings(
        database_url=fuzz_database_url,
        access_log=False,
        escalation_workers_enabled=False,
        notification_url="http://127.0.0.1:9",
        incident_management_url="http://127.0.0.1:9",
    )
    with asgi.get_client(create_app(settings)) as client:
        yield client
    asgi.shutdown_lifespans()


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_server_errors(case: Any, oncall_client: Any) -> None:
    response = case.call(session=oncall_client)
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
