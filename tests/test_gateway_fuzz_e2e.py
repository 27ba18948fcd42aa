"""Schemathesis over the gateway's aggregated OpenAPI (every service's public routes, as a user
sees them), with an admin API key, on a stack of its own (issue #12): whatever it sends, no
answer is a 5xx and every answer with a documented body matches its schema.

Its own stack: the fuzzer creates, changes and deletes whatever the API lets an admin touch, so
it must not share the session's stack. Rate limits are off there (hundreds of requests a minute
from one key are the point); each operation gets a bounded number of cases in each mode.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from nightwatch_core.testing.databases import create_database, drop_database
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.stack_runner import ADMIN, Stack, make_stack, up_on_free_ports

EXAMPLES = 4  # per operation and mode: ~1,000 requests in all


@pytest.fixture(scope="session")
async def fuzz_database_url(pg_server_url: str, repo_root: Path) -> AsyncIterator[str]:
    url = await create_database(pg_server_url, repo_root=repo_root, prefix="nw_fuzz")
    yield url
    await drop_database(pg_server_url, url)


@pytest.fixture(scope="module")
def fuzz_stack(fuzz_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = up_on_free_ports(
        lambda: make_stack(
            tmp_path_factory.mktemp("fuzz-stack"),
            database_url=fuzz_database_url,
            RATE_LIMIT_ENABLED="false",
        )
    )
    try:
        yield stack
    finally:
        stack.down()


def _admin_key(base_url: str) -> str:
    with httpx.Client(base_url=base_url, timeout=15) as client:
        login = client.post("/api/v1/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]})
        assert login.status_code == 200, login.text
        token = {"Authorization": f"Bearer {login.json()['access_token']}"}
        key = client.post(
            "/api/v1/api-keys", json={"name": "fuzz-admin", "role": "admin"}, headers=token
        )
        assert key.status_code == 201, key.text
        return str(key.json()["key"])


def test_no_5xx_and_documented_bodies_through_the_gateway(fuzz_stack: Stack) -> None:
    base_url = fuzz_stack.urls["api-gateway"]
    headers = {"X-API-Key": _admin_key(base_url)}
    spec = httpx.get(f"{base_url}/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(spec)
    server_errors: list[str] = []
    mismatches: list[str] = []
    sent = [0]

    for operation in [result.ok() for result in schema.get_all_operations()]:  # type: ignore[union-attr]
        if operation.path.startswith("/api/v1/auth/"):
            continue  # logins and password changes: the rate-limit and lockout tests own them
        if operation.path == "/api/v1/incidents/events":
            continue  # a stream that never ends (heartbeats): tests/web_ui/test_live_console.py
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: Any) -> None:
                response = case.call(base_url=base_url, headers=headers, timeout=15)
                sent[0] += 1
                where = f"{case.method} {case.formatted_path} -> {response.status_code}"
                if response.status_code >= 500:
                    server_errors.append(f"{where} {response.text[:300]}")
                    return
                try:
                    case.validate_response(response, checks=[response_schema_conformance])
                except FailureGroup as exc:
                    mismatches.append(f"{where}: {str(exc)[:400]}")

            with contextlib.suppress(Unsatisfiable):  # no way to call it so in this mode
                check()

    assert sent[0] > 200, f"only {sent[0]} requests: the spec was not read"
    assert server_errors == [], "\n".join(server_errors[:20])
    assert mismatches == [], "\n".join(mismatches[:20])
